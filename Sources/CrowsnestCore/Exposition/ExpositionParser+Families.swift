#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Metric names and the family each sample belongs to: reading a name (legacy or quoted), taking over the current
// family's name, and matching the suffixes (`_total`, `_bucket`, …) a family's type allows.

// The special bytes of the format this file reads (file-private in each parser file, so the module has no
// global `space` or `hash`).
private let quote = UInt8(ascii: "\"")

extension ParserRun {
    /// Reads a metric name (legacy or quoted) at `index`; returns its content range, quoted and escaped flags.
    @inline(__always)
    func readMetricName(_ index: Int, _ end: Int, what: StaticString) throws(ExpositionError) -> (
        start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int
    ) {
        guard index < end else { throw error(index, "missing \(what)") }
        if bytes[index] == quote {
            let (contentEnd, escaped) = try readQuoted(index + 1, end)
            guard contentEnd > index + 1 else { throw error(index, "empty quoted \(what)") }
            return (index + 1, contentEnd, true, escaped, contentEnd + 1)
        }
        guard NameSyntax.isMetricNameStart(bytes[index]) else { throw error(index, "invalid \(what)") }
        var cursor = index + 1
        while cursor < end, NameSyntax.isMetricNameContinue(bytes[cursor]) { cursor += 1 }
        return (index, cursor, false, false, cursor)
    }

    /// Reads a sample's metric name outside braces.
    ///
    /// Most samples start with their family's name, already checked
    /// when the family began: only the bytes after it are scanned then (the result is the same as a full scan).
    /// `startsWithFamilyName` tells ``assignFamily(_:_:_:quoted:startsWithFamilyName:)`` not to compare again.
    @inline(__always)
    mutating func readSampleMetricName(_ index: Int, _ end: Int) throws(ExpositionError) -> (
        name: (start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int), startsWithFamilyName: Bool
    ) {
        if familyNameIsLegacy && family.ordinal >= 0 {
            let length = family.nameEnd - family.nameStart
            if length <= end - index && sameBytes(index, family.nameStart, length) {
                var cursor = index + length
                while cursor < end, NameSyntax.isMetricNameContinue(bytes[cursor]) { cursor += 1 }
                return ((index, cursor, false, false, cursor), true)
            }
        }
        return (try readMetricName(index, end, what: "metric name"), false)
    }

    /// Finds the family of a sample named `bytes[start..<end]`: the current one when the name is the family name
    /// plus a suffix its type allows, otherwise a new implied family of unknown type.
    ///
    /// `startsWithFamilyName`: the
    /// caller already found the name to start with the current family's.
    mutating func assignFamily(
        _ start: Int,
        _ end: Int,
        _ escaped: Bool,
        quoted: Bool,
        startsWithFamilyName: Bool = false
    ) -> SampleSuffix {
        if family.ordinal >= 0 {
            let familyLength = family.nameEnd - family.nameStart
            let nameLength = end - start
            if startsWithFamilyName
                || (nameLength >= familyLength
                    && bytesEqual(family.nameStart, family.nameEnd, start, start + familyLength))
            {
                let suffixBytes = UnsafeRawBufferPointer(rebasing: bytes[(start + familyLength)..<end])
                if let suffix = Self.matchSuffix(suffixBytes, type: family.type, format: format) { return suffix }
            }
        }
        family = FamilyToken(
            nameStart: start,
            nameEnd: end,
            nameEscaped: escaped,
            type: .unknown,
            helpStart: -1,
            helpEnd: -1,
            helpEscaped: false,
            unitStart: -1,
            unitEnd: -1,
            ordinal: family.ordinal + 1,
            hasType: false
        )
        familyHasSamples = false
        familyNameIsLegacy = !quoted
        return .none
    }

    static func matchSuffix(_ suffix: UnsafeRawBufferPointer, type: MetricType, format: ExpositionFormat)
        -> SampleSuffix?
    {
        if suffix.isEmpty {
            switch (type, format) {
            case (.counter, .openMetrics), (.histogram, _), (.gaugeHistogram, _): return nil
            case (.info, .openMetrics): return nil
            default: return SampleSuffix.none
            }
        }
        func equals(_ text: StaticString) -> Bool {
            suffix.count == text.utf8CodeUnitCount
                && memcmp(suffix.baseAddress!, text.utf8Start, suffix.count) == 0
        }
        switch (type, format) {
        case (.counter, .openMetrics):
            if equals("_total") { return .total }
            if equals("_created") { return .created }
        case (.summary, _):
            if equals("_sum") { return .sum }
            if equals("_count") { return .count }
            if format == .openMetrics && equals("_created") { return .created }
        case (.histogram, _):
            if equals("_bucket") { return .bucket }
            if equals("_sum") { return .sum }
            if equals("_count") { return .count }
            if format == .openMetrics && equals("_created") { return .created }
        case (.gaugeHistogram, _):
            if equals("_bucket") { return .bucket }
            if equals("_gsum") { return .gsum }
            if equals("_gcount") { return .gcount }
        case (.info, .openMetrics):
            if equals("_info") { return .info }
        default:
            break
        }
        return nil
    }
}
