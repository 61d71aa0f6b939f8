/// Byte tests on eight bytes at once ("SIMD within a register"): how the parser scans quoted values without a
/// branch per byte.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero exactly when some byte of `word` equals `byte` (the classic has-zero-byte test on `word ^ byte…`).
    @inline(__always)
    static func hasByte(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let spread = word ^ (ones &* UInt64(byte))
        return (spread &- ones) & ~spread & highBits
    }
}
