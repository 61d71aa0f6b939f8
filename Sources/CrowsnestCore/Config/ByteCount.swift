/// A size in bytes, as written in configuration files: `50MiB`, `512KB`, `1.5GiB`, `0`.
///
/// Units follow Prometheus (`units.Base2Bytes`): `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`, `TB`/`TiB`, `PB`/`PiB`,
/// `EB`/`EiB`, all powers of 1024 — so a `body_size_limit` copied from a Prometheus configuration means the same
/// here. A unit is required except for `0`. Units are case-sensitive.
public struct ByteCount: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The number of bytes.
    public var bytes: Int64

    /// Creates a size from a number of bytes.
    public init(bytes: Int64) { self.bytes = bytes }

    /// No bytes; for limits, "no limit".
    public static let zero = ByteCount(bytes: 0)

    /// `n` kibibytes.
    public static func kibibytes(_ n: Int64) -> ByteCount { ByteCount(bytes: n * 1024) }
    /// `n` mebibytes.
    public static func mebibytes(_ n: Int64) -> ByteCount { ByteCount(bytes: n * 1024 * 1024) }
    /// `n` gibibytes.
    public static func gibibytes(_ n: Int64) -> ByteCount { ByteCount(bytes: n * 1024 * 1024 * 1024) }

    private static let units: [(name: String, shift: Int)] = [
        ("B", 0), ("KB", 10), ("KiB", 10), ("MB", 20), ("MiB", 20), ("GB", 30), ("GiB", 30), ("TB", 40),
        ("TiB", 40), ("PB", 50), ("PiB", 50), ("EB", 60), ("EiB", 60),
    ]

    /// Parses `NUMBER UNIT` (the number may have a fraction; spaces between are allowed) or `0`; `nil` otherwise.
    ///
    /// A fractional result is rounded down to whole bytes.
    public init?(parsing text: String) {
        if text == "0" {
            self = .zero
            return
        }
        let bytes = Array(text.utf8)
        var index = 0
        var whole: Int64 = 0
        var fraction: [UInt8] = []
        let digitsStart = index
        while index < bytes.count, ConfigText.isASCIIDigit(bytes[index]) {
            let (times, overflow1) = whole.multipliedReportingOverflow(by: 10)
            let (plus, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            whole = plus
            index += 1
        }
        guard index > digitsStart else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, ConfigText.isASCIIDigit(bytes[index]) {
                fraction.append(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard !fraction.isEmpty else { return nil }
        }
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let unitName = String(decoding: bytes[index...], as: UTF8.self)
        guard let unit = Self.units.first(where: { $0.name == unitName }) else { return nil }
        let multiplier = Int64(1) << unit.shift
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        // The fraction: digits d1 d2 … mean (d1/10 + d2/100 + …) × multiplier; accumulate exactly then divide.
        var fractionBytes: Int64 = 0
        if !fraction.isEmpty {
            var numerator: Int64 = 0
            var denominator: Int64 = 1
            for digit in fraction.prefix(6) {
                numerator = numerator * 10 + Int64(digit)
                denominator *= 10
            }
            // multiplier ≤ 2^60 and numerator < 10^6 (six fraction digits suffice): split to avoid overflow.
            fractionBytes =
                (multiplier / denominator) * numerator + (multiplier % denominator) * numerator / denominator
        }
        let (sum, overflow2) = scaled.addingReportingOverflow(fractionBytes)
        guard !overflow2 else { return nil }
        self.bytes = sum
    }

    /// The size with the largest binary unit that divides it exactly: `50MiB`, `1536B`… `0B` for zero.
    public var description: String {
        guard bytes != 0 else { return "0B" }
        for (name, shift) in [("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] {
            let size = Int64(1) << shift
            if bytes % size == 0 { return "\(bytes / size)\(name)" }
        }
        return "\(bytes)B"
    }

    /// Orders by number of bytes.
    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }
}
