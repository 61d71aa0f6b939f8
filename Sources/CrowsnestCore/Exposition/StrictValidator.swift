#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The rules ``ParseMode/strict`` adds on top of syntax.
///
/// They come from the OpenMetrics 1.0 spec (as its reference parser and conformance suite apply them) and
/// Prometheus' strict text parser:
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
/// A value type kept inside the parse run and mutated in place: a sample costs no reference counting and no
/// dynamic exclusivity checks.
struct StrictValidator {
    let format: ExpositionFormat

    /// Names of the family groups entered so far.
    private(set) var seenFamilies: Set<String> = []
    /// Sample names claimed by the families closed so far, each with its family's name.
    private(set) var claimedNames: [String: String] = [:]
    private var current: FamilyState?
    /// The current family's ordinal (-1 when none) and type, kept beside `current` so that the per-sample checks
    /// read two plain words instead of unwrapping the optional family state.
    private var currentOrdinal = -1
    private var currentType = MetricType.unknown
    /// Series and metric-point keys of the current family (reset per family, capacity kept).
    private var series = UInt64Table()
    private var seenGroups = UInt64Table()
    /// `le` and `quantile` values already parsed: every series of a family repeats the same few bounds.
    private var bounds = BoundCache()

    /// `__name__` as one little-endian word (a literal: a `static let` would cost a lazy-initialisation check on
    /// every read).
    private static var reservedNameWord: UInt64 { 0x5F5F_656D_616E_5F5F }

    private struct FamilyState {
        var ordinal: Int
        var name: String
        var type: MetricType
        var unit: String?
        var line: Int
        var group: UInt64?
        var groupTimestamp: Double?
        var groupHasSamples = false
        var histogram = HistogramGroup()
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

    /// Reserves room for about `families` families, so that the family and claimed-name tables do not grow
    /// step by step (a piece of a payload checked in parallel knows its size; a family takes at least a line).
    mutating func reserveCapacity(families: Int) {
        seenFamilies.reserveCapacity(families)
        claimedNames.reserveCapacity(families * 2)
    }

    /// A validator that continues after families seen elsewhere (earlier pieces of the payload, all closed).
    init(format: ExpositionFormat, seenFamilies: Set<String>, claimedNames: [String: String]) {
        self.format = format
        self.seenFamilies = seenFamilies
        self.claimedNames = claimedNames
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
        currentType = family.type
        if kind == .unit, family.hasUnit {
            let unit = String(
                decoding: UnsafeRawBufferPointer(rebasing: bytes[family.unitStart..<family.unitEnd]),
                as: UTF8.self
            )
            current?.unit = unit
        }
    }

    /// Checks a sample of `family`.
    ///
    /// `labelHashes` holds a word per label: the hash of each of the first
    /// `repeatedLabels` labels, the previous sample's, which this validator checked and hashed there on the
    /// previous call; the hashes of the others are written there.
    mutating func sample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        labelHashes: UnsafeMutablePointer<UInt64>,
        repeatedLabels: Int,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) throws(ExpositionError) {
        let line = sample.line
        func fail(_ offset: Int, _ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: line, column: offset - sample.lineStart + 1, reason)
        }
        try enter(family, bytes: bytes, line: line, column: sample.nameStart - sample.lineStart + 1)
        guard currentOrdinal >= 0 else { return }
        let type = currentType

        // From the end: `le` and `quantile` are mostly written last. Label names are distinct.
        func find(literal name: StaticString) -> LabelToken? {
            labels.last {
                $0.nameEnd - $0.nameStart == name.utf8CodeUnitCount
                    && memcmp(bytes.baseAddress! + $0.nameStart, name.utf8Start, name.utf8CodeUnitCount) == 0
            }
        }
        func find(_ name: String) -> LabelToken? {
            var name = name
            return name.withUTF8 { utf8 in
                labels.first {
                    $0.nameEnd - $0.nameStart == utf8.count
                        && memcmp(bytes.baseAddress! + $0.nameStart, utf8.baseAddress!, utf8.count) == 0
                }
            }
        }
        func decodedValue(_ token: LabelToken) -> String {
            Unescaping.string(bytes, token.valueStart, token.valueEnd, escaped: token.valueEscaped)
        }

        // Checks each label and hashes it in the same pass (order-independent: summed): the series' label set.
        // The first `repeatedLabels` labels are the previous sample's, checked then, their hashes kept beside them.
        var labelsHash: UInt64 = 0
        for index in 0..<repeatedLabels { labelsHash &+= labelHashes[index] }
        for index in repeatedLabels..<labels.count {
            let token = labels[index]
            let labelHash = SeriesHash.label(token, in: bytes)
            labelHashes[index] = labelHash
            labelsHash &+= labelHash
            if token.nameEnd - token.nameStart == 8
                && bytes.loadUnaligned(fromByteOffset: token.nameStart, as: UInt64.self) == Self.reservedNameWord
            {
                throw fail(token.nameStart, "label name \"__name__\" is reserved")
            }
            if format == .text && token.valueEscaped {
                var index = token.valueStart
                while index < token.valueEnd {
                    if bytes[index] == UInt8(ascii: "\\") {
                        let next = bytes[index + 1]
                        guard next == UInt8(ascii: "\\") || next == UInt8(ascii: "\"") || next == UInt8(ascii: "n")
                        else {
                            throw fail(index, "invalid escape sequence in label value (only \\\\, \\\" and \\n)")
                        }
                        index += 1
                    }
                    index += 1
                }
            }
        }
        let openMetrics = format == .openMetrics
        let needsValue = openMetrics || type == .stateSet || type == .info
        let value = needsValue ? NumberSyntax.parseDouble(bytes, sample.valueStart, sample.valueEnd) : 0

        // Type-specific labels and values. `excluded` is the label left out of the metric-point key.
        var excluded: LabelToken?
        var bucketBound = Double.nan
        switch (type, sample.suffix) {
        case (.histogram, .bucket), (.gaugeHistogram, .bucket):
            guard let le = find(literal: "le") else {
                throw fail(sample.nameStart, "histogram bucket without an \"le\" label")
            }
            guard let bound = bounds.bound(of: le, in: bytes, format: format), !bound.isNaN else {
                throw fail(le.valueStart, "invalid \"le\" label value \"\(decodedValue(le).prefix(40))\"")
            }
            excluded = le
            bucketBound = bound
        case (.summary, .none):
            guard let quantile = find(literal: "quantile") else {
                throw fail(sample.nameStart, "summary quantile sample without a \"quantile\" label")
            }
            guard let bound = bounds.bound(of: quantile, in: bytes, format: format), bound >= 0 && bound <= 1 else {
                throw fail(
                    quantile.valueStart,
                    "invalid \"quantile\" label value \"\(decodedValue(quantile).prefix(40))\""
                )
            }
            excluded = quantile
            if openMetrics && value < 0 { throw fail(sample.valueStart, "negative summary quantile value") }
        case (.stateSet, _):
            guard let own = find(current!.name) else {
                throw fail(sample.nameStart, "stateset sample without the \"\(current!.name)\" label")
            }
            guard value == 0 || value == 1 else { throw fail(sample.valueStart, "stateset value must be 0 or 1") }
            excluded = own
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
            case .sum where type == .histogram || type == .summary:
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
                    (type == .counter && sample.suffix == .total)
                    || ((type == .histogram || type == .gaugeHistogram) && sample.suffix == .bucket)
                if !allowed {
                    throw fail(sample.exemplarStart, "exemplars are allowed only on _total and _bucket samples")
                }
            }
        }

        let timestamp = sample.timestampMilliseconds

        // Grouping of metric points (a metric point: the label set minus `excluded`).
        if openMetrics {
            let groupKey = excluded.map { labelsHash &- SeriesHash.label($0, in: bytes) } ?? labelsHash
            if let group = current!.group, group == groupKey {
                if (timestamp == nil) != (current!.groupTimestamp == nil) {
                    throw fail(sample.valueEnd, "samples of one metric point mix presence of timestamps")
                }
                if let timestamp, let previous = current!.groupTimestamp, timestamp < previous, type != .info {
                    throw fail(sample.timestampStart, "timestamps go backwards within a metric point")
                }
                if timestamp != current!.groupTimestamp { try Self.finishHistogramGroup(&current!, line: line) }
            } else {
                if seenGroups.insert(groupKey, value: 0) != nil {
                    throw fail(
                        sample.nameStart,
                        "metric points of family \"\(current!.name)\" are not grouped together"
                    )
                }
                if current!.group != nil { try Self.finishHistogramGroup(&current!, line: line) }
                current!.group = groupKey
            }
            current!.groupTimestamp = timestamp
            if type == .histogram || type == .gaugeHistogram {
                try Self.accumulateHistogram(
                    &current!.histogram,
                    suffix: sample.suffix,
                    value: value,
                    bound: bucketBound,
                    fail: {
                        fail(sample.nameStart, $0)
                    }
                )
            }
        }

        // Duplicate series: a hash per series, verified on the rare hash hit by decoding both lines.
        if !openMetrics || timestamp == nil {
            // The table holds one family's series, and within a family a sample's name is the family's name plus
            // its suffix (`ParserRun.assignFamily` starts a new family otherwise): the suffix stands for the name.
            var seriesHash = SeriesHash.fold(UInt64(sample.suffix.rawValue) &+ 0x51ED_270B_2C6A_2F5B) &+ labelsHash
            if openMetrics, let timestamp { seriesHash ^= UInt64(bitPattern: Int64(timestamp)) }
            if let previous = series.insert(seriesHash, value: sample.lineStart) {
                let current = Self.seriesIdentity(bytes, lineStart: sample.lineStart, format: format)
                if current != nil && current == Self.seriesIdentity(bytes, lineStart: previous, format: format) {
                    let name = Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
                    throw fail(sample.nameStart, "duplicate series \(name)")
                }
            }
        }
    }

    /// The decoded name and sorted labels of the sample line starting at `lineStart`.
    static func seriesIdentity(_ bytes: UnsafeRawBufferPointer, lineStart: Int, format: ExpositionFormat) -> Sample? {
        var end = lineStart
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        var line = Array(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end]))
        line.append(UInt8(ascii: "\n"))
        if format == .openMetrics { line.append(contentsOf: "# EOF\n".utf8) }
        guard var sample = (try? MetricFamily.parse(line, format: format, mode: .scrape))?.first?.samples.first else {
            return nil
        }
        sample.labels.sort()
        sample.value = 0
        return sample
    }

    mutating func finish(line: Int) throws(ExpositionError) {
        try closeCurrent(line: line, column: 0)
    }

    // MARK: Families

    private mutating func enter(_ family: FamilyToken, bytes: UnsafeRawBufferPointer, line: Int, column: Int)
        throws(ExpositionError)
    {
        if currentOrdinal == family.ordinal { return }
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
        currentOrdinal = family.ordinal
        currentType = family.type
        series.reset()
        seenGroups.reset()
    }

    private mutating func closeCurrent(line: Int, column: Int) throws(ExpositionError) {
        guard var state = current else { return }
        current = nil
        currentOrdinal = -1
        func fail(_ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: state.line, column: 0, reason)
        }
        if format == .openMetrics {
            try Self.finishHistogramGroup(&state, line: line)
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
        // In a fixed order (the family name first), so a clash names the same sample name on every run.
        var names = [state.name]
        for suffix in state.type.sampleSuffixes(in: format) {
            let name = state.name + suffix
            if !names.contains(name) { names.append(name) }
        }
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

    private static func accumulateHistogram(
        _ histogram: inout HistogramGroup,
        suffix: SampleSuffix,
        value: Double,
        bound: Double,
        fail: (String) -> ExpositionError
    ) throws(ExpositionError) {
        histogram.samples += 1
        switch suffix {
        case .bucket:
            if bound < 0 { histogram.negativeBuckets = true }
            if let last = histogram.lastLe, bound <= last { throw fail("histogram buckets out of order") }
            if value < histogram.lastBucketValue { throw fail("histogram bucket counts decrease") }
            histogram.lastLe = bound
            histogram.lastBucketValue = value
        case .count, .gcount:
            histogram.count = value
        case .sum:
            histogram.hasSum = true
        case .gsum:
            histogram.hasGSum = true
            if value < 0 { histogram.negativeGSum = true }
        default:
            break
        }
    }

    private static func finishHistogramGroup(_ state: inout FamilyState, line: Int) throws(ExpositionError) {
        defer { state.histogram = HistogramGroup() }
        guard state.type == .histogram || state.type == .gaugeHistogram, state.histogram.samples > 0 else { return }
        let group = state.histogram
        func fail(_ reason: String) -> ExpositionError {
            ExpositionError(.semantics, line: line, column: 0, "histogram \"\(state.name)\": \(reason)")
        }
        guard group.lastLe == .infinity else { throw fail("the +Inf bucket is missing") }
        if let count = group.count, count != group.lastBucketValue {
            throw fail("_count does not match the +Inf bucket")
        }
        if group.hasSum && group.count == nil { throw fail("_sum without _count") }
        if group.hasGSum && group.count == nil { throw fail("_gsum without _gcount") }
        if !(group.hasSum || group.hasGSum) && group.count != nil { throw fail("_count without _sum") }
        if group.negativeBuckets && group.hasSum { throw fail("_sum is not allowed with negative buckets") }
        if !group.negativeBuckets && group.negativeGSum { throw fail("negative _gsum without negative buckets") }
    }

    /// Parses the (decoded) value of an `le`/`quantile` label; OpenMetrics requires infinities spelled
    /// `+Inf`/`-Inf`.
    ///
    /// `nil` when it is not a number.
    static func parseBound(_ bytes: UnsafeRawBufferPointer, _ token: LabelToken, format: ExpositionFormat) -> Double? {
        if !token.valueEscaped {
            return parseBound(
                UnsafeRawBufferPointer(rebasing: bytes[token.valueStart..<token.valueEnd]),
                format: format
            )
        }
        let decoded = Unescaping.unescapedBytes(
            UnsafeRawBufferPointer(rebasing: bytes[token.valueStart..<token.valueEnd])
        )
        return decoded.withUnsafeBytes { parseBound($0, format: format) }
    }

    /// Parses a bound from its decoded bytes.
    static func parseBound(_ text: UnsafeRawBufferPointer, format: ExpositionFormat) -> Double? {
        guard NumberSyntax.isValidValue(text, 0, text.count, format: format) else { return nil }
        let value = NumberSyntax.parseDouble(text, 0, text.count)
        if format == .openMetrics && value.isInfinite && !text.elementsEqual("+Inf".utf8)
            && !text.elementsEqual("-Inf".utf8)
        {
            return nil
        }
        return value
    }
}

/// The bounds (`le`, `quantile` label values) parsed lately, by their exact bytes: a family's series repeat the same
/// few bounds, each parsed once instead of once per sample.
///
/// Values longer than 16 bytes or escaped are parsed every
/// time; a value that is not a number is never kept.
struct BoundCache {
    private struct Entry {
        var low: UInt64
        var high: UInt64
        var length: Int
        var value: Double
    }

    /// Direct-mapped slots; `length == -1` marks an empty one.
    private var entries = [Entry](repeating: Entry(low: 0, high: 0, length: -1, value: 0), count: 64)

    /// ``StrictValidator/parseBound(_:_:format:)`` of `token`, from the cache when its bytes were seen before.
    mutating func bound(of token: LabelToken, in bytes: UnsafeRawBufferPointer, format: ExpositionFormat) -> Double? {
        guard let (low, high) = Self.words(of: token, in: bytes) else {
            return StrictValidator.parseBound(bytes, token, format: format)
        }
        let length = token.valueEnd - token.valueStart
        let slot = Self.slot(low: low, high: high)
        let entry = entries[slot]
        if entry.length == length && entry.low == low && entry.high == high { return entry.value }
        guard let value = StrictValidator.parseBound(bytes, token, format: format) else { return nil }
        entries[slot] = Entry(low: low, high: high, length: length, value: value)
        return value
    }

    /// The value's bytes as two little-endian words, zero past its end; `nil` when it is escaped, longer than 16
    /// bytes, or too close to the payload's end to read two words.
    @inline(__always)
    static func words(of token: LabelToken, in bytes: UnsafeRawBufferPointer) -> (low: UInt64, high: UInt64)? {
        let length = token.valueEnd - token.valueStart
        guard !token.valueEscaped, length <= 16, token.valueStart + 16 <= bytes.count else { return nil }
        let base = bytes.baseAddress! + token.valueStart
        func word(_ offset: Int) -> UInt64 {
            let used = min(max(length - offset, 0), 8)
            guard used > 0 else { return 0 }
            let loaded = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return used == 8 ? loaded : loaded & ((1 << (UInt64(used) * 8)) - 1)
        }
        return (word(0), word(8))
    }

    /// The slot of a value's words.
    @inline(__always)
    static func slot(low: UInt64, high: UInt64) -> Int {
        Int(truncatingIfNeeded: ((low ^ (high &* 0x9E37_79B9_7F4A_7C15)) &* 0xD6E8_FEB8_6659_FD93) >> 58)
    }
}

/// Fast 64-bit hashing of byte ranges (eight bytes per multiply, as wyhash reads them, with a final mix),
/// combined order-independently (summed) for label sets.
enum SeriesHash {
    @inline(__always)
    static func bytes(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        let count = buffer.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        // The length goes in after the words are folded, never XORed into them: "r1" and "r10" once collided
        // because 2 ^ "1" equals 3 ^ "0" in the low byte.
        let length = UInt64(truncatingIfNeeded: count) &* 0xD6E8_FEB8_6659_FD93
        guard let base = buffer.baseAddress, count > 0 else { return fold(hash ^ length) }
        if count >= 8 {
            var offset = 0
            while offset + 8 <= count {
                hash = fold(hash ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            if offset < count {  // the last eight bytes, overlapping the words already read
                hash = fold(hash ^ base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
            }
        } else if count >= 4 {
            let low = UInt64(base.loadUnaligned(as: UInt32.self))
            let high = UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            hash = fold(hash ^ (low | high << 32))
        } else {
            let first = UInt64(base.load(as: UInt8.self))
            let middle = UInt64(base.load(fromByteOffset: count >> 1, as: UInt8.self))
            let last = UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self))
            hash = fold(hash ^ (first << 16 | middle << 8 | last))
        }
        return fold(hash ^ length)
    }

    /// One multiply-fold step: the high and low halves of a 128-bit product.
    @inline(__always)
    static func fold(_ value: UInt64) -> UInt64 {
        let product = (value ^ 0xE703_7ED1_A0B4_28DB).multipliedFullWidth(by: 0xA076_1D64_78BD_642F)
        return product.high ^ product.low
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The hash of one label as written: the bytes `name="value` (value still escaped, which in the strict text
    /// and OpenMetrics formats is one spelling per value), hashed in one pass straight from the payload when the
    /// label is written that way; a quoted or spaced-out name is first spelled the same way.
    @inline(__always)
    static func label(_ token: LabelToken, in payload: UnsafeRawBufferPointer) -> UInt64 {
        if !token.nameQuoted && token.valueStart == token.nameEnd + 2 {
            return bytes(UnsafeRawBufferPointer(rebasing: payload[token.nameStart..<token.valueEnd]))
        }
        let name = UnsafeRawBufferPointer(rebasing: payload[token.nameStart..<token.nameEnd])
        var spelled = token.nameEscaped ? Unescaping.unescapedBytes(name) : Array(name)
        spelled.append(contentsOf: "=\"".utf8)
        spelled.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[token.valueStart..<token.valueEnd]))
        return spelled.withUnsafeBytes { bytes($0) }
    }
}

/// An open-addressing table from already well-mixed 64-bit hashes to an `Int` (the hot duplicate-series check;
/// Swift's `Dictionary` would re-hash every key with SipHash).
///
/// `reset()` is O(1): entries carry a generation.
struct UInt64Table {
    private struct Entry {
        var key: UInt64
        var value: Int
        var generation: UInt32
    }

    private var entries: [Entry] = []
    private var generation: UInt32 = 1
    private(set) var count = 0

    /// Empties the table, keeping its capacity.
    mutating func reset() {
        generation &+= 1
        if generation == 0 {
            for index in entries.indices { entries[index].generation = 0 }
            generation = 1
        }
        count = 0
    }

    /// Inserts `key` with `value`; returns the previous value when the key was present (and replaces it).
    @inline(__always)
    mutating func insert(_ key: UInt64, value: Int) -> Int? {
        if (count + 1) * 4 > entries.count * 3 { grow() }
        let mask = entries.count - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        let generation = generation
        return entries.withUnsafeMutableBufferPointer { table -> Int? in
            while table[slot].generation == generation {
                if table[slot].key == key {
                    let previous = table[slot].value
                    table[slot].value = value
                    return previous
                }
                slot = (slot + 1) & mask
            }
            table[slot] = Entry(key: key, value: value, generation: generation)
            count += 1
            return nil
        }
    }

    @inline(never)
    private mutating func grow() {
        let old = entries
        let capacity = max(64, entries.count * 2)
        entries = [Entry](repeating: Entry(key: 0, value: 0, generation: 0), count: capacity)
        let mask = capacity - 1
        let generation = generation
        entries.withUnsafeMutableBufferPointer { table in
            for entry in old where entry.generation == generation {
                var slot = Int(truncatingIfNeeded: entry.key) & mask
                while table[slot].generation == generation { slot = (slot + 1) & mask }
                table[slot] = entry
            }
        }
    }
}
