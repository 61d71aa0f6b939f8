#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads Prometheus text 0.0.4 and OpenMetrics 1.0 payloads from bytes, handing a visitor byte offsets instead of
/// strings.
///
/// The parser allocates nothing per sample: it finds line ends with `memchr`, splits on the few special bytes and
/// calls the visitor with offsets into the payload. Escapes are left in place (flagged), so label values can be
/// copied into another payload verbatim and are decoded only when a caller needs them as text.
///
/// Both modes check syntax, names, number grammar, duplicate label names, UTF-8 of label values, limits and
/// (OpenMetrics) the `# EOF` terminator. ``ParseMode/strict`` adds the rules of the specs and of Prometheus' strict
/// parsers; see ``StrictValidator``.
public struct ExpositionParser: Sendable {
    /// The format of the payload.
    public var format: ExpositionFormat
    /// Strict (`check metrics`) or scrape (tolerant) rules.
    public var mode: ParseMode
    /// Sample, label and size limits; zero means none.
    public var limits: ExpositionLimits
    /// Whether a sample line takes over what it shares with the sample line before it: the name and leading labels
    /// it repeats byte for byte (not read again), and the label names it writes in the same places (read without
    /// the general reader's branches).
    ///
    /// Same outcome; off only in tests that compare the two.
    var repeatsPreviousLine = true

    /// Creates a parser.
    public init(format: ExpositionFormat, mode: ParseMode = .scrape, limits: ExpositionLimits = .none) {
        self.format = format
        self.mode = mode
        self.limits = limits
    }

    /// What a successful parse saw.
    public struct Summary: Sendable, Hashable {
        /// Samples read.
        public var sampleCount: Int
        /// Family groups read (declared or implied).
        public var familyCount: Int
        /// Lines read.
        public var lineCount: Int
    }

    /// Parses `bytes`, calling `visitor` for every metadata line and sample in order.
    @discardableResult
    public func parse<Visitor: ExpositionVisitor>(_ bytes: UnsafeRawBufferPointer, visitor: inout Visitor)
        throws(ExpositionError) -> Summary
    {
        if limits.exceedsBodySizeLimit(bytes.count) { throw limits.bodySizeError(payloadBytes: bytes.count) }
        var run = ParserRun(parser: self, bytes: bytes)
        try run.run(visitor: &visitor)
        return Summary(sampleCount: run.sampleCount, familyCount: run.family.ordinal + 1, lineCount: run.line)
    }

    /// Checks `bytes` and returns every problem found (up to `maxErrors`), continuing with the next line after
    /// each; `visitor` sees what parsed.
    ///
    /// An empty result means the payload is valid.
    public func validate<Visitor: ExpositionVisitor>(
        _ bytes: UnsafeRawBufferPointer,
        visitor: inout Visitor,
        maxErrors: Int = 100
    ) -> [ExpositionError] {
        if limits.exceedsBodySizeLimit(bytes.count) { return [limits.bodySizeError(payloadBytes: nil)] }
        return validate(bytes, visitor: &visitor, maxErrors: maxErrors, continuing: nil)
    }

    /// ``validate(_:visitor:maxErrors:)``, optionally continuing a payload: `bytes` follow `continuing.lines` lines
    /// whose families `continuing.validator` already saw (the pieces of `check metrics`, ``MetricsChecker``).
    func validate<Visitor: ExpositionVisitor>(
        _ bytes: UnsafeRawBufferPointer,
        visitor: inout Visitor,
        maxErrors: Int,
        continuing: (lines: Int, validator: StrictValidator)?
    ) -> [ExpositionError] {
        var run = ParserRun(parser: self, bytes: bytes)
        if let continuing {
            run.line = continuing.lines
            run.validator = continuing.validator
        }
        run.collectedErrors = []
        run.maxErrors = max(1, maxErrors)
        do {
            try run.run(visitor: &visitor)
        } catch {
            run.collectedErrors?.append(error)
        }
        return Array((run.collectedErrors ?? []).prefix(max(1, maxErrors)))
    }

    /// Parses an array of bytes; see ``parse(_:visitor:)-(UnsafeRawBufferPointer,_)``.
    @discardableResult
    public func parse<Visitor: ExpositionVisitor>(_ bytes: [UInt8], visitor: inout Visitor)
        throws(ExpositionError) -> Summary
    {
        let result: Result<Summary, ExpositionError> = bytes.withUnsafeBytes { buffer in
            do throws(ExpositionError) {
                return .success(try parse(buffer, visitor: &visitor))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

// MARK: - The parse run

private let newline = UInt8(ascii: "\n")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let hash = UInt8(ascii: "#")

/// One parse of one payload: the state the line loop carries from line to line.
///
/// The loop is here; what it hands a
/// line to has its own extension file (`ExpositionParser+Metadata.swift`, `+Sample.swift`, `+Labels.swift`,
/// `+Families.swift`, `+QuotedStrings.swift`, `+ByteComparison.swift`), so that the state stays in one place.
struct ParserRun {
    let format: ExpositionFormat
    let strict: Bool
    let limits: ExpositionLimits
    let bytes: UnsafeRawBufferPointer
    let count: Int
    let repeatsPreviousLine: Bool

    var line = 0
    var lineStart = 0
    var family = FamilyToken.none
    var familyHasSamples = false
    /// Whether the current family's name was written unquoted (so its bytes are a valid legacy name).
    var familyNameIsLegacy = false
    var sampleCount = 0
    var sawEOF = false
    /// The strict rules (used only when `strict`): a plain stored value, not an optional, so that each sample
    /// mutates it in place instead of copying it out of and back into an `Optional`.
    var validator: StrictValidator
    /// When set, line errors are collected here and parsing continues with the next line.
    var collectedErrors: [ExpositionError]?
    var maxErrors = 1

    init(parser: ExpositionParser, bytes: UnsafeRawBufferPointer) {
        self.format = parser.format
        self.strict = parser.mode == .strict
        self.limits = parser.limits
        self.bytes = bytes
        self.count = bytes.count
        self.repeatsPreviousLine = parser.repeatsPreviousLine
        validator = StrictValidator(format: parser.format)
    }

    @inline(__always)
    func error(_ offset: Int, _ reason: String, code: ExpositionError.Code = .syntax) -> ExpositionError {
        ExpositionError(code, line: line, column: column(offset), reason)
    }

    /// The column of `offset` on the current line, counted from 1.
    @inline(__always)
    func column(_ offset: Int) -> Int { offset - lineStart + 1 }

    mutating func run<Visitor: ExpositionVisitor>(visitor: inout Visitor) throws(ExpositionError) {
        guard let base = bytes.baseAddress, count > 0 else {
            if format == .openMetrics { throw ExpositionError(.syntax, line: 1, column: 1, "missing # EOF") }
            return
        }
        // Handed down by `inout` (not read from `self`), so mutating it while `self` is read needs no copy.
        var scratch = ParseScratch(labels: LabelTokenBuffer(capacity: 16), validator: validator)
        defer { validator = scratch.validator }
        var start = 0
        while start < count {
            line += 1
            lineStart = start
            let end: Int
            if let found = memchr(base + start, Int32(newline), count - start) {
                end = base.distance(to: UnsafeRawPointer(found))
            } else {
                end = count
            }
            do throws(ExpositionError) {
                if sawEOF { throw error(start, "content after # EOF") }
                try parseLine(start, end, scratch: &scratch, visitor: &visitor)
            } catch {
                guard collectedErrors != nil else { throw error }
                collectedErrors!.append(error)
                if collectedErrors!.count >= maxErrors { return }
                if sawEOF { return }
            }
            start = end + 1
        }
        if strict && format == .text && bytes[count - 1] != newline {
            throw ExpositionError(.syntax, line: line, column: 0, "the last line does not end with a newline")
        }
        if format == .openMetrics && !sawEOF {
            throw ExpositionError(.syntax, line: line, column: 0, "missing # EOF at the end of the payload")
        }
        if strict {
            try scratch.validator.finish(line: line)
        }
    }

    @inline(__always)
    func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always)
    func skipBlanks(_ index: Int, _ end: Int) -> Int {
        var index = index
        while index < end, isBlank(bytes[index]) { index += 1 }
        return index
    }

    mutating func parseLine<Visitor: ExpositionVisitor>(
        _ start: Int,
        _ end: Int,
        scratch: inout ParseScratch,
        visitor: inout Visitor
    ) throws(ExpositionError) {
        var index = start
        if format == .text {
            index = skipBlanks(start, end)
            if index == end { return }
        } else if index == end {
            throw error(start, "blank line (OpenMetrics allows none)")
        }
        if bytes[index] == hash {
            // Metadata may start another family: the next sample line must not take over this family's name.
            scratch.previousSample = .none
            try parseComment(index, end, scratch: &scratch, visitor: &visitor)
        } else {
            try parseSample(index, end, scratch: &scratch, visitor: &visitor)
        }
    }

    func excerpt(_ start: Int, _ end: Int) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<min(end, start + 40)])
        return String(decoding: slice, as: UTF8.self)
    }
}
