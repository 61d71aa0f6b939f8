/// Character classes of legacy (unquoted) names: what the parser accepts unquoted and what the writer and the
/// renderer may write without quotes, so the two can never disagree.
enum NameSyntax {
    @inline(__always)
    static func isMetricNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
    }

    @inline(__always)
    static func isMetricNameContinue(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte &- 48 < 11 || byte == UInt8(ascii: "_")  // 48..58 = digits and ':'
    }

    @inline(__always)
    static func isLabelNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isLabelNameContinue(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte &- 48 < 10 || byte == UInt8(ascii: "_")
    }

    /// Whether `text` is a legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), writable without quotes.
    static func isLegacyMetricName(_ text: some Collection<UInt8>) -> Bool {
        guard let first = text.first, isMetricNameStart(first) else { return false }
        return text.dropFirst().allSatisfy(isMetricNameContinue)
    }

    /// Whether `text` is a legacy label name (`[a-zA-Z_][a-zA-Z0-9_]*`), writable without quotes.
    static func isLegacyLabelName(_ text: some Collection<UInt8>) -> Bool {
        guard let first = text.first, isLabelNameStart(first) else { return false }
        return text.dropFirst().allSatisfy(isLabelNameContinue)
    }
}
