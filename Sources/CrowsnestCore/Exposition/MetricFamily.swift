/// A parsed metric family: the value model used by tests, `check metrics`, the merger and OpenMetrics output.
///
/// The scrape path never builds these; it works on ``SampleToken`` offsets.
public struct MetricFamily: Sendable, Hashable {
    /// The family name (for OpenMetrics counters without `_total`; in text, the name on the TYPE line).
    public var name: String
    /// The type.
    public var type: MetricType
    /// The HELP text, decoded; `nil` when absent.
    public var help: String?
    /// The UNIT (OpenMetrics), `nil` when absent.
    public var unit: String?
    /// The samples, in payload order.
    public var samples: [Sample]

    /// Creates a family.
    public init(
        name: String,
        type: MetricType = .unknown,
        help: String? = nil,
        unit: String? = nil,
        samples: [Sample] = []
    ) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
        self.samples = samples
    }
}

/// One sample of a family.
public struct Sample: Sendable, Hashable {
    /// The full sample name, such as `http_requests_total` or `latency_bucket`.
    public var name: String
    /// The labels in payload order.
    public var labels: [Label]
    /// The value.
    public var value: Double
    /// The timestamp in milliseconds, when the payload gave one.
    public var timestampMilliseconds: Double?

    /// Creates a sample.
    public init(name: String, labels: [Label] = [], value: Double, timestampMilliseconds: Double? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The value of label `name`, if present.
    public func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }

    /// Equality treating NaN values (of any bit pattern) as equal, for round-trip comparisons.
    public func isEquivalent(to other: Sample) -> Bool {
        name == other.name && labels == other.labels && timestampMilliseconds == other.timestampMilliseconds
            && (value == other.value || (value.isNaN && other.value.isNaN))
    }
}

extension MetricFamily {
    /// Parses a payload into families.
    public static func parse(
        _ bytes: [UInt8],
        format: ExpositionFormat,
        mode: ParseMode = .scrape,
        limits: ExpositionLimits = .none
    ) throws(ExpositionError) -> [MetricFamily] {
        var builder = FamilyBuilder(format: format)
        try ExpositionParser(format: format, mode: mode, limits: limits).parse(bytes, visitor: &builder)
        return builder.families
    }

    /// Parses a payload given as a string.
    public static func parse(_ text: String, format: ExpositionFormat, mode: ParseMode = .scrape)
        throws(ExpositionError) -> [MetricFamily]
    {
        try parse(Array(text.utf8), format: format, mode: mode)
    }

    /// Equality with NaN values treated as equal.
    public func isEquivalent(to other: MetricFamily) -> Bool {
        name == other.name && type == other.type && help == other.help && unit == other.unit
            && samples.count == other.samples.count
            && zip(samples, other.samples).allSatisfy { $0.isEquivalent(to: $1) }
    }
}

/// A visitor building ``MetricFamily`` values.
struct FamilyBuilder: ExpositionVisitor {
    let format: ExpositionFormat
    var families: [MetricFamily] = []
    var ordinal = -1

    init(format: ExpositionFormat) { self.format = format }

    private mutating func update(_ family: FamilyToken, bytes: UnsafeRawBufferPointer) {
        if family.ordinal != ordinal {
            ordinal = family.ordinal
            families.append(
                MetricFamily(
                    name: Unescaping.string(bytes, family.nameStart, family.nameEnd, escaped: family.nameEscaped)
                )
            )
        }
        families[families.count - 1].type = family.type
        if family.hasHelp {
            families[families.count - 1].help = Self.decodeHelp(bytes, family.helpStart, family.helpEnd, format: format)
        }
        if family.hasUnit {
            families[families.count - 1].unit = String(
                decoding: UnsafeRawBufferPointer(rebasing: bytes[family.unitStart..<family.unitEnd]),
                as: UTF8.self
            )
        }
    }

    mutating func visitMetadata(_ kind: MetadataKind, family: FamilyToken, bytes: UnsafeRawBufferPointer) {
        update(family, bytes: bytes)
    }

    mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) {
        update(family, bytes: bytes)
        let decoded = labels.map { Label(Unescaping.labelName(bytes, $0), Unescaping.labelValue(bytes, $0)) }
        families[families.count - 1].samples.append(
            Sample(
                name: Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped),
                labels: decoded,
                value: NumberSyntax.parseDouble(bytes, sample.valueStart, sample.valueEnd),
                timestampMilliseconds: sample.timestampMilliseconds
            )
        )
    }

    /// HELP decoding: `\\` and `\n` in text, plus `\"` in OpenMetrics; other escapes kept.
    static func decodeHelp(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, format: ExpositionFormat)
        -> String
    {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard slice.contains(UInt8(ascii: "\\")) else { return String(decoding: slice, as: UTF8.self) }
        var out: [UInt8] = []
        var index = 0
        while index < slice.count {
            let byte = slice[index]
            if byte == UInt8(ascii: "\\"), index + 1 < slice.count {
                let next = slice[index + 1]
                if next == UInt8(ascii: "\\") {
                    out.append(next)
                } else if next == UInt8(ascii: "n") {
                    out.append(UInt8(ascii: "\n"))
                } else if next == UInt8(ascii: "\""), format == .openMetrics {
                    out.append(next)
                } else {
                    out.append(byte)
                    out.append(next)
                }
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
