/// Writes exposition payloads with canonical escaping.
///
/// Names that are valid legacy names are written bare; any other name is quoted (`{"my.metric"}`,
/// `{"my.label"="v"}`). Label values escape `\`, `"` and newline; HELP escapes `\` and newline (and `"` in
/// OpenMetrics). Values are written in their shortest round-tripping form, `NaN`, `+Inf`, `-Inf`, integers
/// without a fraction.
public enum ExpositionWriter {
    /// Renders families in `format`; OpenMetrics output ends with `# EOF`.
    ///
    /// The caller is responsible for the families being expressible in the format (see
    /// ``OpenMetricsConversion`` for text families written as OpenMetrics).
    public static func write(_ families: [MetricFamily], format: ExpositionFormat) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.reduce(0) { $0 + 64 + $1.samples.count * 64 })
        var previous: MetricFamily?
        for family in families {
            append(family, after: previous, format: format, into: &out)
            previous = family
        }
        if format == .openMetrics { out.append(contentsOf: "# EOF\n".utf8) }
        return out
    }

    /// Appends one family's metadata and samples; `previous` is the family written just before it, if any.
    public static func append(
        _ family: MetricFamily,
        after previous: MetricFamily? = nil,
        format: ExpositionFormat,
        into out: inout [UInt8]
    ) {
        let typeLine = family.type != .unknown || family.isBare || family.continues(previous, format: format)
        switch format {
        case .text:
            if let help = family.help {
                out.append(contentsOf: "# HELP ".utf8)
                appendMetricName(family.name, into: &out)
                out.append(UInt8(ascii: " "))
                appendEscapedHelp(help, format: .text, into: &out)
                out.append(UInt8(ascii: "\n"))
            }
            if typeLine {
                out.append(contentsOf: "# TYPE ".utf8)
                appendMetricName(family.name, into: &out)
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: family.type.textName.utf8)
                out.append(UInt8(ascii: "\n"))
            }
        case .openMetrics:
            if typeLine {
                out.append(contentsOf: "# TYPE ".utf8)
                appendMetricName(family.name, into: &out)
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: family.type.openMetricsName.utf8)
                out.append(UInt8(ascii: "\n"))
            }
            if let unit = family.unit {
                out.append(contentsOf: "# UNIT ".utf8)
                appendMetricName(family.name, into: &out)
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: unit.utf8)
                out.append(UInt8(ascii: "\n"))
            }
            if let help = family.help {
                out.append(contentsOf: "# HELP ".utf8)
                appendMetricName(family.name, into: &out)
                out.append(UInt8(ascii: " "))
                appendEscapedHelp(help, format: .openMetrics, into: &out)
                out.append(UInt8(ascii: "\n"))
            }
        }
        for sample in family.samples { appendSample(sample, format: format, into: &out) }
    }

    /// Appends one sample line.
    public static func appendSample(_ sample: Sample, format: ExpositionFormat, into out: inout [UInt8]) {
        let legacyName = NameSyntax.isLegacyMetricName(sample.name.utf8)
        if legacyName { out.append(contentsOf: sample.name.utf8) }
        if !legacyName || !sample.labels.isEmpty {
            out.append(UInt8(ascii: "{"))
            var first = true
            if !legacyName {
                appendQuoted(sample.name, into: &out)
                first = false
            }
            for label in sample.labels {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendLabelName(label.name, into: &out)
                out.append(contentsOf: "=\"".utf8)
                appendEscapedLabelValue(label.value.utf8, into: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        appendValue(sample.value, into: &out)
        if let milliseconds = sample.timestampMilliseconds {
            out.append(UInt8(ascii: " "))
            switch format {
            case .text:
                // Text timestamps are int64 milliseconds: a large one written as a Double would come out in exponent
                // form ("1.44e+18"), which no text parser accepts.
                let rounded = milliseconds.rounded()
                if abs(rounded) < 9.2e18 {
                    appendInteger(Int64(rounded), into: &out)
                } else {
                    appendValue(rounded, into: &out)
                }
            case .openMetrics: appendValue(milliseconds / 1000, into: &out)
            }
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// Appends a metric name, quoted when it is not a legacy name.
    public static func appendMetricName(_ name: String, into out: inout [UInt8]) {
        if NameSyntax.isLegacyMetricName(name.utf8) {
            out.append(contentsOf: name.utf8)
        } else {
            appendQuoted(name, into: &out)
        }
    }

    /// Appends a label name, quoted when it is not a legacy name.
    public static func appendLabelName(_ name: String, into out: inout [UInt8]) {
        if NameSyntax.isLegacyLabelName(name.utf8) {
            out.append(contentsOf: name.utf8)
        } else {
            appendQuoted(name, into: &out)
        }
    }

    static func appendQuoted(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscapedLabelValue(text.utf8, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends a label value with `\`, `"` and newline escaped.
    @inline(__always)
    public static func appendEscapedLabelValue(_ value: some Collection<UInt8>, into out: inout [UInt8]) {
        for byte in value {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: out.append(byte)
            }
        }
    }

    /// Appends HELP text, escaped for `format`.
    public static func appendEscapedHelp(_ help: String, format: ExpositionFormat, into out: inout [UInt8]) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where format == .openMetrics:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: out.append(byte)
            }
        }
    }

    /// Appends a value: integers (|v| < 2^53) without fraction, `NaN`, `+Inf`, `-Inf`, else the shortest
    /// round-tripping decimal.
    public static func appendValue(_ value: Double, into out: inout [UInt8]) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            out.append(contentsOf: (value > 0 ? "+Inf" : "-Inf").utf8)
        } else if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            appendInteger(Int64(value), into: &out)
            if value == 0 && value.sign == .minus { out.removeLast(); out.append(contentsOf: "-0".utf8) }
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    /// Appends a base-10 integer.
    @inline(__always)
    public static func appendInteger(_ value: Int64, into out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            while magnitude > 0 {
                digits[19 - count] = UInt8(truncatingIfNeeded: magnitude % 10) + 48
                magnitude /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
    }
}

extension MetricFamily {
    /// An untyped family with no HELP, UNIT or samples: written as a TYPE line, so it is not lost and the next
    /// family's HELP does not attach to the previous name when read back.
    var isBare: Bool { type == .unknown && help == nil && unit == nil && samples.isEmpty }

    /// Whether this family's samples, written after `previous` without a TYPE line, would be read as part of it:
    /// the same name, or the name plus a suffix `previous`'s type takes (`x_count` after histogram `x`).
    ///
    /// Such an
    /// untyped family is written with `# TYPE name untyped` so that it stays a family of its own.
    func continues(_ previous: MetricFamily?, format: ExpositionFormat) -> Bool {
        guard let previous, name.utf8.starts(with: previous.name.utf8) else { return false }
        let suffix = Array(name.utf8.dropFirst(previous.name.utf8.count))
        return suffix.withUnsafeBytes { ParserRun.matchSuffix($0, type: previous.type, format: format) != nil }
    }
}
