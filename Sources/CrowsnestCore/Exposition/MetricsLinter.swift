/// Naming and unit advice for an exposition payload, after `promtool check metrics`' linter (promlint).
///
/// Advice never makes a payload invalid: `crowsnest check metrics --lint` prints it as warnings and keeps the exit
/// code of validation.
public struct MetricsLinter: ExpositionVisitor, Sendable {
    /// One piece of advice about a metric family.
    public struct Warning: Sendable, Hashable, CustomStringConvertible {
        /// The line of the family's first appearance.
        public var line: Int
        /// The family name.
        public var metric: String
        /// The advice.
        public var text: String

        /// The text shown in messages and logs.
        public var description: String { "\(line): \(metric): \(text)" }
    }

    private struct FamilyFacts {
        var name: String
        var type: MetricType
        var hasHelp: Bool
        var line: Int
        var labelNames: Set<String> = []
    }

    private var families: [FamilyFacts] = []
    private var ordinal = -1

    /// Creates a linter; run it as the visitor of a parse.
    public init() {}

    /// Records a family's metadata (part of ``ExpositionVisitor``).
    public mutating func visitMetadata(_ kind: MetadataKind, family: FamilyToken, bytes: UnsafeRawBufferPointer) {
        note(family, line: 0, bytes: bytes)
    }

    /// Checks one sample (part of ``ExpositionVisitor``).
    public mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) {
        note(family, line: sample.line, bytes: bytes)
        guard families[families.count - 1].labelNames.count < 64 else { return }
        for label in labels {
            let name = UnsafeRawBufferPointer(rebasing: bytes[label.nameStart..<label.nameEnd])
            if !families[families.count - 1].labelNames.contains(where: { $0.utf8.elementsEqual(name) }) {
                families[families.count - 1].labelNames.insert(String(decoding: name, as: UTF8.self))
            }
        }
    }

    private mutating func note(_ family: FamilyToken, line: Int, bytes: UnsafeRawBufferPointer) {
        if family.ordinal != ordinal {
            ordinal = family.ordinal
            let name = Unescaping.string(bytes, family.nameStart, family.nameEnd, escaped: family.nameEscaped)
            families.append(FamilyFacts(name: name, type: family.type, hasHelp: family.hasHelp, line: line))
        }
        families[families.count - 1].type = family.type
        families[families.count - 1].hasHelp = family.hasHelp
        if families[families.count - 1].line == 0 { families[families.count - 1].line = line }
    }

    /// Appends what `later` saw after what this linter saw, as if one linter had visited both payload pieces in
    /// turn; `later`'s lines are shifted by `lineOffset` (a family's line 0, "no sample", stays 0).
    ///
    /// Only for
    /// pieces cut at family boundaries (``CheckChunking``).
    mutating func append(_ later: MetricsLinter, lineOffset: Int) {
        for var family in later.families {
            if family.line > 0 { family.line += lineOffset }
            families.append(family)
        }
    }

    private static let abbreviations = ["_ms", "_sec", "_secs", "_us", "_ns", "_kb", "_mb", "_gb", "_pct", "_perc"]
    private static let nonBaseUnits: [(String, String)] = [
        ("milliseconds", "seconds"), ("microseconds", "seconds"), ("nanoseconds", "seconds"), ("minutes", "seconds"),
        ("hours", "seconds"), ("days", "seconds"), ("kilobytes", "bytes"), ("megabytes", "bytes"),
        ("gigabytes", "bytes"), ("kibibytes", "bytes"), ("mebibytes", "bytes"), ("gibibytes", "bytes"),
        ("percent", "ratio"), ("celsius", "celsius is fine; avoid fahrenheit"),
    ]

    /// The advice for everything visited, in payload order.
    public var warnings: [Warning] {
        var result: [Warning] = []
        for family in families {
            func warn(_ text: String) { result.append(Warning(line: family.line, metric: family.name, text: text)) }
            let name = family.name
            if !family.hasHelp { warn("no help text") }
            if name.contains(where: \.isUppercase) {
                warn("metric names should be written in 'snake_case' not 'camelCase'")
            }
            if name.contains(":") { warn("metric names should not contain ':' (reserved for recording rules)") }
            for label in family.labelNames.sorted() where label.contains(where: \.isUppercase) {
                warn("label names should be written in 'snake_case' not 'camelCase' (\(label))")
            }
            if family.type == .counter && !name.hasSuffix("_total") {
                warn("counter metrics should have \"_total\" suffix")
            }
            if family.type != .counter && family.type != .unknown && name.hasSuffix("_total") {
                warn("non-counter metrics should not have \"_total\" suffix")
            }
            if family.type != .histogram && family.type != .summary {
                for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
                    warn("non-histogram and non-summary metrics should not have \"\(suffix)\" suffix")
                }
            }
            if family.type != .histogram && family.labelNames.contains("le") {
                warn("non-histogram metrics should not have \"le\" label")
            }
            if family.type != .summary && family.labelNames.contains("quantile") {
                warn("non-summary metrics should not have \"quantile\" label")
            }
            for abbreviation in Self.abbreviations
            where name.hasSuffix(abbreviation) || name.contains(abbreviation + "_") {
                warn("metric names should not contain abbreviated units (\(abbreviation.dropFirst()))")
            }
            for (unit, base) in Self.nonBaseUnits where unit != "celsius" && name.contains(unit) {
                warn("use base unit \"\(base)\" instead of \"\(unit)\"")
            }
            for typeWord in ["gauge", "counter", "histogram", "summary"]
            where name.split(separator: "_").contains(Substring(typeWord)) {
                warn("metric name should not include type '\(typeWord)'")
            }
        }
        return result
    }
}

/// A visitor that ignores everything (validation only).
public struct DiscardingVisitor: ExpositionVisitor {
    /// Creates the visitor.
    public init() {}
    /// Ignores the sample.
    @inline(__always)
    public mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) {}
}
