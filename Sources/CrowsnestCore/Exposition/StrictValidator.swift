/// The rules ``ParseMode/strict`` adds on top of syntax, from the OpenMetrics 1.0 spec (as its reference parser
/// and conformance suite apply them) and Prometheus' strict text parser:
///
/// - every family forms one contiguous group, its name declared at most once; metadata only before its samples;
/// - OpenMetrics: no two families may claim one sample name (`a_created` gauge beside counter `a`); a UNIT must be
///   the suffix of the family name and is not allowed on info/stateset;
/// - histogram and gauge-histogram buckets carry `le`, summaries `quantile` in [0, 1], statesets their own label,
///   info values are 1, stateset values 0 or 1;
/// - OpenMetrics: counter-like values (`_total`, `_count`, `_bucket`, `_sum`, `_gcount`) are neither NaN nor
///   negative; metric points stay grouped; timestamps never go backwards in a group nor mix presence;
///   histograms end at `+Inf`, are cumulative, `_count` equals the `+Inf` bucket, `_sum`/`_count` come together,
///   no `_sum` with negative buckets; exemplars only on `_total` and `_bucket` samples;
/// - a series appears once (OpenMetrics: unless distinguished by timestamps).
///
/// It works on decoded strings: strict parsing is for validation (`check metrics`), not for the scrape path.
struct StrictValidator {
    let format: ExpositionFormat

    private var seenFamilies: Set<String> = []
    private var claimedNames: [String: String] = [:]
    private var current: FamilyState?

    private struct FamilyState {
        var ordinal: Int
        var name: String
        var type: MetricType
        var unit: String?
        var line: Int
        var seenGroups: Set<[Label]> = []
        var group: [Label]?
        var groupTimestamp: Double?
        var groupHasSamples = false
        var histogram = HistogramGroup()
        var series: Set<SeriesKey> = []
    }

    private struct SeriesKey: Hashable {
        var name: String
        var labels: [Label]
        var timestamp: Double?
    }

    private struct HistogramGroup {
        var lastLe: Double?
        var lastBucketValue: Double = 0
        var count: Double?
        var hasSum = false
        var hasGSum = false
        var negativeGSum = false
        var negativeBuckets = false
        var samples = 0
    }

    init(format: ExpositionFormat) {
        self.format = format
    }

    // MARK: Events

    mutating func metadata(
        _ kind: MetadataKind,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer,
        line: Int,
        column: Int
    ) throws(ExpositionError) {
        try enter(family, bytes: bytes, line: line, column: column)
        current?.type = family.type
        if kind == .unit, family.hasUnit {
            let unit = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[family.unitStart..<family.unitEnd]), as: UTF8.self)
            current?.unit = unit
        }
    }

    mutating func sample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) throws(ExpositionError) {
        let line = sample.line
        func fail(_ offset: Int, _ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: line, column: offset - sample.lineStart + 1, reason)
        }
        try enter(family, bytes: bytes, line: line, column: sample.nameStart - sample.lineStart + 1)
        guard var state = current else { return }
        current = nil
        defer { current = state }

        for token in labels {
            let name = UnsafeRawBufferPointer(rebasing: bytes[token.nameStart..<token.nameEnd])
            if name.elementsEqual("__name__".utf8) { throw fail(token.nameStart, "label name \"__name__\" is reserved") }
            if format == .text && token.valueEscaped {
                var index = token.valueStart
                while index < token.valueEnd {
                    if bytes[index] == UInt8(ascii: "\\") {
                        let next = bytes[index + 1]
                        guard next == UInt8(ascii: "\\") || next == UInt8(ascii: "\"") || next == UInt8(ascii: "n") else {
                            throw fail(index, "invalid escape sequence in label value (only \\\\, \\\" and \\n)")
                        }
                        index += 1
                    }
                    index += 1
                }
            }
        }
        let decodedLabels = labels.map { token in
            Label(
                Unescaping.labelName(bytes, token),
                Unescaping.string(bytes, token.valueStart, token.valueEnd, escaped: token.valueEscaped)
            )
        }
        let value = NumberSyntax.parseDouble(bytes, sample.valueStart, sample.valueEnd)
        let sampleName = Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
        let openMetrics = format == .openMetrics
        func label(_ name: String) -> String? { decodedLabels.first { $0.name == name }?.value }

        // Type-specific labels and values.
        var groupLabels = decodedLabels
        switch (state.type, sample.suffix) {
        case (.histogram, .bucket), (.gaugeHistogram, .bucket):
            guard let le = label("le") else { throw fail(sample.nameStart, "histogram bucket without an \"le\" label") }
            guard let bound = Self.parseBound(le, format: format), !bound.isNaN else {
                throw fail(sample.nameStart, "invalid \"le\" label value \"\(le.prefix(40))\"")
            }
            groupLabels.removeAll { $0.name == "le" }
            _ = bound
        case (.summary, .none):
            guard let quantile = label("quantile") else {
                throw fail(sample.nameStart, "summary quantile sample without a \"quantile\" label")
            }
            guard let bound = Self.parseBound(quantile, format: format), bound >= 0 && bound <= 1 else {
                throw fail(sample.nameStart, "invalid \"quantile\" label value \"\(quantile.prefix(40))\"")
            }
            groupLabels.removeAll { $0.name == "quantile" }
            if openMetrics && value < 0 { throw fail(sample.valueStart, "negative summary quantile value") }
        case (.stateSet, _):
            guard label(state.name) != nil else {
                throw fail(sample.nameStart, "stateset sample without the \"\(state.name)\" label")
            }
            guard value == 0 || value == 1 else { throw fail(sample.valueStart, "stateset value must be 0 or 1") }
            groupLabels.removeAll { $0.name == state.name }
        case (.info, _):
            guard value == 1 else { throw fail(sample.valueStart, "info value must be 1") }
        default:
            break
        }
        if openMetrics {
            switch sample.suffix {
            case .total, .count, .gcount, .bucket:
                if value.isNaN || value < 0 {
                    throw fail(sample.valueStart, "\(sample.suffix.text) value must be a non-negative number")
                }
            case .sum where state.type == .histogram || state.type == .summary:
                if value.isNaN || value < 0 {
                    throw fail(sample.valueStart, "_sum value must be a non-negative number")
                }
            case .gsum:
                if value.isNaN { throw fail(sample.valueStart, "_gsum value must not be NaN") }
            default:
                break
            }
            if sample.exemplarStart >= 0 {
                let allowed =
                    (state.type == .counter && sample.suffix == .total)
                    || ((state.type == .histogram || state.type == .gaugeHistogram) && sample.suffix == .bucket)
                if !allowed { throw fail(sample.exemplarStart, "exemplars are allowed only on _total and _bucket samples") }
            }
        }

        // Grouping of metric points.
        groupLabels.sort()
        let timestamp = sample.timestampMilliseconds
        if openMetrics {
            if let group = state.group, group == groupLabels {
                if (timestamp == nil) != (state.groupTimestamp == nil) {
                    throw fail(sample.valueEnd, "samples of one metric point mix presence of timestamps")
                }
                if let timestamp, let previous = state.groupTimestamp, timestamp < previous, state.type != .info {
                    throw fail(sample.timestampStart, "timestamps go backwards within a metric point")
                }
                if timestamp != state.groupTimestamp { try finishHistogramGroup(&state, line: line) }
            } else {
                if state.seenGroups.contains(groupLabels) {
                    throw fail(sample.nameStart, "metric points of family \"\(state.name)\" are not grouped together")
                }
                if state.group != nil { try finishHistogramGroup(&state, line: line) }
                state.group = groupLabels
                state.seenGroups.insert(groupLabels)
            }
            state.groupTimestamp = timestamp
            if state.type == .histogram || state.type == .gaugeHistogram {
                try accumulateHistogram(&state, suffix: sample.suffix, value: value, le: label("le"), fail: {
                    fail(sample.nameStart, $0)
                })
            }
        }

        // Duplicate series.
        var sortedLabels = decodedLabels
        sortedLabels.sort()
        let key = SeriesKey(name: sampleName, labels: sortedLabels, timestamp: openMetrics ? timestamp : nil)
        if !state.series.insert(key).inserted && (!openMetrics || timestamp == nil) {
            throw fail(sample.nameStart, "duplicate series \(sampleName)\(LabelSet(sortedLabels))")
        }
    }

    mutating func finish(line: Int) throws(ExpositionError) {
        try closeCurrent(line: line, column: 0)
    }

    // MARK: Families

    private mutating func enter(_ family: FamilyToken, bytes: UnsafeRawBufferPointer, line: Int, column: Int)
        throws(ExpositionError)
    {
        if let current, current.ordinal == family.ordinal { return }
        try closeCurrent(line: line, column: column)
        let name = Unescaping.string(bytes, family.nameStart, family.nameEnd, escaped: family.nameEscaped)
        if seenFamilies.contains(name) {
            throw ExpositionError(
                .semantics,
                line: line,
                column: column,
                "metric family \"\(name)\" appears in more than one group"
            )
        }
        seenFamilies.insert(name)
        current = FamilyState(ordinal: family.ordinal, name: name, type: family.type, line: line)
    }

    private mutating func closeCurrent(line: Int, column: Int) throws(ExpositionError) {
        guard var state = current else { return }
        current = nil
        func fail(_ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: state.line, column: 0, reason)
        }
        if format == .openMetrics {
            try finishHistogramGroup(&state, line: line)
            if let unit = state.unit, !unit.isEmpty {
                if state.type == .info || state.type == .stateSet {
                    throw fail("UNIT is not allowed on \(state.type.openMetricsName) family \"\(state.name)\"")
                }
                if !state.name.hasSuffix("_" + unit) {
                    throw fail("family name \"\(state.name)\" does not end with its unit \"_\(unit)\"")
                }
            }
        }
        // Sample names the family claims; another family may not claim them too.
        var names = Set(state.type.sampleSuffixes(in: format).map { state.name + $0 })
        names.insert(state.name)
        for name in names {
            if let owner = claimedNames[name], owner != state.name {
                throw ExpositionError(
                    .semantics,
                    line: line,
                    column: column,
                    "metric family \"\(state.name)\" clashes with family \"\(owner)\" over the name \"\(name)\""
                )
            }
        }
        for name in names { claimedNames[name] = state.name }
    }

    // MARK: Histograms

    private func accumulateHistogram(
        _ state: inout FamilyState,
        suffix: SampleSuffix,
        value: Double,
        le: String?,
        fail: (String) -> ExpositionError
    ) throws(ExpositionError) {
        state.histogram.samples += 1
        switch suffix {
        case .bucket:
            let bound = le.flatMap { Self.parseBound($0, format: format) } ?? .nan
            if bound < 0 { state.histogram.negativeBuckets = true }
            if let last = state.histogram.lastLe, bound <= last { throw fail("histogram buckets out of order") }
            if value < state.histogram.lastBucketValue { throw fail("histogram bucket counts decrease") }
            state.histogram.lastLe = bound
            state.histogram.lastBucketValue = value
        case .count, .gcount:
            state.histogram.count = value
        case .sum:
            state.histogram.hasSum = true
        case .gsum:
            state.histogram.hasGSum = true
            if value < 0 { state.histogram.negativeGSum = true }
        default:
            break
        }
    }

    private func finishHistogramGroup(_ state: inout FamilyState, line: Int) throws(ExpositionError) {
        defer { state.histogram = HistogramGroup() }
        guard state.type == .histogram || state.type == .gaugeHistogram, state.histogram.samples > 0 else { return }
        let group = state.histogram
        func fail(_ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: line, column: 0, "histogram \"\(state.name)\": \(reason)")
        }
        guard group.lastLe == .infinity else { throw fail("the +Inf bucket is missing") }
        if let count = group.count, count != group.lastBucketValue { throw fail("_count does not match the +Inf bucket") }
        if group.hasSum && group.count == nil { throw fail("_sum without _count") }
        if group.hasGSum && group.count == nil { throw fail("_gsum without _gcount") }
        if !(group.hasSum || group.hasGSum) && group.count != nil { throw fail("_count without _sum") }
        if group.negativeBuckets && group.hasSum { throw fail("_sum is not allowed with negative buckets") }
        if !group.negativeBuckets && group.negativeGSum { throw fail("negative _gsum without negative buckets") }
    }

    /// Parses an `le`/`quantile` value; OpenMetrics requires infinities spelled `+Inf`/`-Inf`.
    static func parseBound(_ text: String, format: ExpositionFormat) -> Double? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { raw -> Double? in
            let buffer = UnsafeRawBufferPointer(raw)
            guard NumberSyntax.isValidValue(buffer, 0, buffer.count, format: format) else { return nil }
            let value = NumberSyntax.parseDouble(buffer, 0, buffer.count)
            if format == .openMetrics && value.isInfinite && text != "+Inf" && text != "-Inf" { return nil }
            return value
        }
    }
}
