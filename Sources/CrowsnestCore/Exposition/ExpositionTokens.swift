/// A label of a parsed sample, as byte offsets into the payload.
///
/// Offsets delimit the name and the value *content*: without the quotes, escapes still in place. When
/// `valueEscaped` (or `nameEscaped`) is set the content holds a backslash and must be unescaped before use as text;
/// copied into another exposition payload it is already correctly escaped.
public struct LabelToken: Sendable, Hashable {
    /// Start of the label name.
    public var nameStart: Int
    /// End of the label name.
    public var nameEnd: Int
    /// Whether the name was written quoted (a UTF-8 name).
    public var nameQuoted: Bool
    /// Whether the (quoted) name contains escapes.
    public var nameEscaped: Bool
    /// Start of the value content.
    public var valueStart: Int
    /// End of the value content.
    public var valueEnd: Int
    /// Whether the value contains escapes.
    public var valueEscaped: Bool

    /// Creates a token.
    public init(
        nameStart: Int,
        nameEnd: Int,
        nameQuoted: Bool,
        nameEscaped: Bool,
        valueStart: Int,
        valueEnd: Int,
        valueEscaped: Bool
    ) {
        self.nameStart = nameStart
        self.nameEnd = nameEnd
        self.nameQuoted = nameQuoted
        self.nameEscaped = nameEscaped
        self.valueStart = valueStart
        self.valueEnd = valueEnd
        self.valueEscaped = valueEscaped
    }
}

/// The family a sample belongs to, as the parser tracks it: declared by `# TYPE`/`# HELP`/`# UNIT` lines, or
/// implied (type unknown, named after the sample) when a sample matches no declared family.
public struct FamilyToken: Sendable, Hashable {
    /// Start of the family name (escapes in place when `nameEscaped`).
    public var nameStart: Int
    /// End of the family name.
    public var nameEnd: Int
    /// Whether the name contains escapes (quoted UTF-8 name).
    public var nameEscaped: Bool
    /// The declared type, `.unknown` when none.
    public var type: MetricType
    /// Start of the raw HELP text, -1 when there is no HELP.
    public var helpStart: Int
    /// End of the raw HELP text.
    public var helpEnd: Int
    /// Whether the HELP text contains escapes.
    public var helpEscaped: Bool
    /// Start of the UNIT, -1 when none.
    public var unitStart: Int
    /// End of the UNIT.
    public var unitEnd: Int
    /// Counts families in payload order; changes exactly when a new family group starts.
    public var ordinal: Int
    /// Whether a `# TYPE` line declared the type.
    public var hasType: Bool

    /// Whether a HELP line was seen.
    public var hasHelp: Bool { helpStart >= 0 }
    /// Whether a UNIT line was seen.
    public var hasUnit: Bool { unitStart >= 0 }

    static let none = FamilyToken(
        nameStart: 0,
        nameEnd: 0,
        nameEscaped: false,
        type: .unknown,
        helpStart: -1,
        helpEnd: -1,
        helpEscaped: false,
        unitStart: -1,
        unitEnd: -1,
        ordinal: -1,
        hasType: false
    )
}

/// One parsed sample line, as byte offsets into the payload.
public struct SampleToken: Sendable, Hashable {
    /// 1-based line number.
    public var line: Int
    /// Offset of the line's first byte.
    public var lineStart: Int
    /// Start of the metric name.
    public var nameStart: Int
    /// End of the metric name.
    public var nameEnd: Int
    /// Whether the metric name was quoted (`{"name", …}`).
    public var nameQuoted: Bool
    /// Whether the quoted metric name contains escapes.
    public var nameEscaped: Bool
    /// Start of the value text.
    public var valueStart: Int
    /// End of the value text.
    public var valueEnd: Int
    /// Start of the timestamp text, -1 when absent.
    public var timestampStart: Int
    /// End of the timestamp text.
    public var timestampEnd: Int
    /// The timestamp in milliseconds (OpenMetrics seconds converted), when present.
    public var timestampMilliseconds: Double?
    /// Start of the exemplar (from `#`), -1 when absent.
    public var exemplarStart: Int
    /// End of the exemplar.
    public var exemplarEnd: Int
    /// Which suffix of the family this sample carries (`""`, `_total`, `_bucket`, …).
    public var suffix: SampleSuffix

    /// Whether a timestamp is present.
    public var hasTimestamp: Bool { timestampStart >= 0 }
}

/// The part of a sample name after its family name.
public enum SampleSuffix: UInt8, Sendable, Hashable {
    case none, total, created, bucket, sum, count, gsum, gcount, info

    /// The suffix text.
    public var text: String {
        switch self {
        case .none: ""
        case .total: "_total"
        case .created: "_created"
        case .bucket: "_bucket"
        case .sum: "_sum"
        case .count: "_count"
        case .gsum: "_gsum"
        case .gcount: "_gcount"
        case .info: "_info"
        }
    }

    init?(_ text: String) {
        switch text {
        case "": self = .none
        case "_total": self = .total
        case "_created": self = .created
        case "_bucket": self = .bucket
        case "_sum": self = .sum
        case "_count": self = .count
        case "_gsum": self = .gsum
        case "_gcount": self = .gcount
        case "_info": self = .info
        default: return nil
        }
    }
}

/// Which metadata line was read.
public enum MetadataKind: Sendable, Hashable {
    case help, type, unit
}

/// Receives what the parser reads, in payload order.
///
/// All offsets refer to `bytes`, valid during the call only.
///
/// The parser is generic over its visitor, so a visitor's methods are specialised and inlined: no per-sample
/// allocation happens in the parser itself.
public protocol ExpositionVisitor {
    /// A metadata line updated `family`.
    mutating func visitMetadata(_ kind: MetadataKind, family: FamilyToken, bytes: UnsafeRawBufferPointer)
        throws(ExpositionError)
    /// A sample of `family` with its labels.
    mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) throws(ExpositionError)
}

extension ExpositionVisitor {
    /// Metadata is ignored unless a visitor wants it.
    public mutating func visitMetadata(_ kind: MetadataKind, family: FamilyToken, bytes: UnsafeRawBufferPointer)
        throws(ExpositionError)
    {}
}

/// The label tokens of the sample being parsed: one buffer reused for every line, so a sample costs no
/// allocation, reference counting or uniqueness check.
///
/// Tokens are plain values (no deinitialization needed).
///
/// Beside each token sits one word a consumer may fill (``labelHashes``; the strict validator keeps the label's
/// hash there), kept with the token when a line repeats it (``repeatPreviousLine(shiftedBy:before:)``).
struct LabelTokenBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<LabelToken>
    private var hashes: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private(set) var count = 0
    /// How many tokens the line before the last ``removeAll()`` had; those at `count...` are still in place.
    private var previousCount = 0
    /// How many of the current tokens are the previous line's, repeated (``repeatPreviousLine(shiftedBy:before:)``).
    private(set) var repeatedCount = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
        hashes = .allocate(capacity: self.capacity)
        hashes.initialize(repeating: 0, count: self.capacity)
    }

    deinit {
        base.deallocate()
        hashes.deallocate()
    }

    /// The tokens appended since the last ``removeAll()``; valid until the next mutation.
    var tokens: UnsafeBufferPointer<LabelToken> { UnsafeBufferPointer(start: base, count: count) }

    /// One word per token for its consumer (`count` of them in use); a repeated token keeps the word its
    /// consumer wrote for it on the previous line.
    ///
    /// Valid until the next mutation.
    var labelHashes: UnsafeMutablePointer<UInt64> { hashes }

    /// Starts a new line; the previous line's tokens stay readable (``previousLineUnquotedName(at:)``,
    /// ``repeatPreviousLine(shiftedBy:before:)``) until overwritten.
    mutating func removeAll() {
        previousCount = count
        count = 0
        repeatedCount = 0
    }

    /// Takes over, at the start of an empty line, the previous line's leading tokens whose closing quote lies
    /// before `limit` once moved by `shift` bytes: where the two lines hold the same bytes, they parse to the same
    /// tokens.
    ///
    /// Returns the offset just after the last one's closing quote, or `nil` when none was taken. The
    /// caller guarantees that the previous line was parsed (and consumed) without error.
    @inline(__always)
    mutating func repeatPreviousLine(shiftedBy shift: Int, before limit: Int) -> Int? {
        guard count == 0 else { return nil }
        var taken = 0
        while taken < previousCount, base[taken].valueEnd + shift < limit {
            base[taken].nameStart += shift
            base[taken].nameEnd += shift
            base[taken].valueStart += shift
            base[taken].valueEnd += shift
            taken += 1
        }
        guard taken > 0 else { return nil }
        count = taken
        repeatedCount = taken
        return base[taken - 1].valueEnd + 1
    }

    /// The token the previous line had at `index` when its name was unquoted and this line has not yet written
    /// there (`index == count`); `nil` otherwise.
    ///
    /// Such a name was checked when that line was parsed, and the
    /// previous line's names are distinct.
    @inline(__always)
    func previousLineUnquotedName(at index: Int) -> LabelToken? {
        guard index == count, index < previousCount, !base[index].nameQuoted else { return nil }
        return base[index]
    }

    @inline(__always)
    mutating func append(_ token: LabelToken) {
        if count == capacity { grow() }
        (base + count).initialize(to: token)
        count += 1
    }

    /// Doubles the capacity, keeping the tokens and their words.
    @inline(never)
    private mutating func grow() {
        let grown = UnsafeMutablePointer<LabelToken>.allocate(capacity: capacity * 2)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        let grownHashes = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        grownHashes.initialize(from: hashes, count: count)
        (grownHashes + count).initialize(repeating: 0, count: capacity * 2 - count)
        hashes.deallocate()
        hashes = grownHashes
        capacity *= 2
    }
}

/// What a parse run hands down to its line parsers by `inout` instead of holding in `self`: the current sample's
/// label tokens and the strict rules.
///
/// Mutating them while `self` is read (the family, the payload) then needs no
/// defensive copy of what is read.
struct ParseScratch: ~Copyable {
    var labels: LabelTokenBuffer
    var validator: StrictValidator
    /// The previous line, when it was a sample parsed and consumed without error (else `lineStart < 0`).
    var previousSample = PreviousSample.none
}

/// A sample line parsed without error, kept so that the next line can take over what it repeats: lines of a
/// family mostly begin with the same name and labels, and where two lines hold the same bytes they parse the same.
struct PreviousSample {
    /// Offset of the line's first byte (the name's; `-1`: no previous sample).
    var lineStart: Int
    /// Length of the line.
    var length: Int
    /// Length of the metric name, written unquoted before any brace (`0`: the name was in the braces).
    var nameLength: Int
    /// The sample's suffix within its family.
    var suffix: SampleSuffix

    static let none = PreviousSample(lineStart: -1, length: 0, nameLength: 0, suffix: .none)
}
