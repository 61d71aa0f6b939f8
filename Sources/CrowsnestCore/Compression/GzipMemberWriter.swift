import CZlib

/// Writes one gzip member (RFC 1952) from a mix of plain bytes, compressed here, and ranges already compressed
/// by ``DeflatedRanges``, copied as they are.
///
/// Every piece of the deflate stream ends at a full flush (no back-references across pieces, no final block),
/// so their concatenation is one valid stream; the member's CRC-32 is combined from the pieces' own
/// (`crc32_combine`) and its length summed, so the precompressed bytes are never looked at again. Output
/// accumulates in ``output``; the caller takes it in chunks with ``drain(_:)``.
public final class GzipMemberWriter {
    /// Bytes written and not yet taken.
    public private(set) var output: [UInt8]
    private let deflater: RawDeflater
    private var crc: UInt32 = 0
    private var length: UInt32 = 0

    /// Starts a member: the ten-byte header (no name, no time, unknown OS, like Go's `gzip.Writer`).
    public init(deflater: RawDeflater = RawDeflater(), capacity: Int = 256 * 1024) {
        self.deflater = deflater
        output = []
        output.reserveCapacity(capacity)
        output.append(contentsOf: [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
    }

    /// Compresses and appends plain bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        deflater.compress(bytes, into: &output)
        crc = CRC32.checksum(bytes, continuing: crc)
        length &+= UInt32(truncatingIfNeeded: bytes.count)
    }

    /// Compresses and appends plain bytes.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Appends piece `index` of `ranges` as it is.
    public func write(_ ranges: DeflatedRanges, piece index: Int) {
        let piece = ranges.pieces[index]
        guard piece.plainCount > 0 else { return }
        let start = Int(piece.start)
        output.append(contentsOf: ranges.bytes[start..<(start + Int(piece.count))])
        crc = UInt32(truncatingIfNeeded: crc32_combine(UInt(crc), UInt(piece.crc), Int(piece.plainCount)))
        length &+= piece.plainCount
    }

    /// Ends the member: the final block and the trailer (CRC-32 and length modulo 2³², little-endian).
    public func finish() {
        deflater.finish(into: &output)
        for value in [crc, length] {
            output.append(contentsOf: [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) })
        }
    }

    /// Hands the bytes written so far to `body` and empties ``output``, keeping its capacity.
    public func drain(_ body: (UnsafeRawBufferPointer) -> Void) {
        output.withUnsafeBytes(body)
        output.removeAll(keepingCapacity: true)
    }
}
