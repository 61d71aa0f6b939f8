extension Duration {
    /// Parses a Prometheus duration: `0`, or units in decreasing order, each at most once, with integer amounts —
    /// `y` (365 days), `w`, `d`, `h`, `m`, `s`, `ms`.
    ///
    /// Examples: `30s`, `1m30s`, `500ms`, `1h`, `2d12h`.
    ///
    /// Returns `nil` for anything else (empty text, decimals like `1.5s`, negative values, `1s1m`, overflow).
    public init?(prometheus text: String) {
        if text == "0" {
            self = .zero
            return
        }
        let units: [(name: String, milliseconds: Int64)] = [
            ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000), ("h", 3_600_000),
            ("m", 60_000), ("s", 1000), ("ms", 1),
        ]
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var nextUnit = 0
        var total: Int64 = 0
        while index < bytes.count {
            var amount: Int64 = 0
            let start = index
            while index < bytes.count, ConfigText.isASCIIDigit(bytes[index]) {
                let (times, overflow1) = amount.multipliedReportingOverflow(by: 10)
                let (plus, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                amount = plus
                index += 1
            }
            guard index > start else { return nil }
            var unitEnd = index
            while unitEnd < bytes.count, ConfigText.isASCIILetter(bytes[unitEnd]) { unitEnd += 1 }
            let unit = String(decoding: bytes[index..<unitEnd], as: UTF8.self)
            guard let position = units.firstIndex(where: { $0.name == unit }), position >= nextUnit else { return nil }
            let (scaled, overflow1) = amount.multipliedReportingOverflow(by: units[position].milliseconds)
            let (sum, overflow2) = total.addingReportingOverflow(scaled)
            guard !overflow1, !overflow2 else { return nil }
            total = sum
            nextUnit = position + 1
            index = unitEnd
        }
        self = .milliseconds(total)
    }

    /// The duration in Prometheus syntax with the largest whole units, such as `1m30s`, `500ms`, `0s`.
    ///
    /// Precision below a millisecond is dropped.
    public var prometheusDescription: String {
        let (seconds, attoseconds) = components
        var milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        guard milliseconds > 0 else { return milliseconds == 0 ? "0s" : "-" + (.zero - self).prometheusDescription }
        var out = ""
        for (name, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
            if milliseconds >= size {
                out += "\(milliseconds / size)\(name)"
                milliseconds %= size
            }
        }
        return out
    }
}
