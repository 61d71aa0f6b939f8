import CZlib

/// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip), computed by zlib: its braided implementation checks
/// several bytes per cycle, where a byte-at-a-time table loop made checksums a tenth of remote write's CPU.
public enum CRC32 {
    /// The checksum of `bytes`; `continuing` is the checksum of the bytes before them, when they are split.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return UInt32(
            truncatingIfNeeded: crc32_z(UInt(crc), base.assumingMemoryBound(to: UInt8.self), bytes.count)
        )
    }

    /// The checksum of an array's bytes.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }
}
