/// The framing of one batch in a remote-write buffer segment file.
///
/// A 20-byte header — payload length (u32), CRC-32 of everything after the CRC (u32), sample count (u32), newest
/// timestamp (i64), all little-endian — then the payload (`WriteRequest` fragments). The count's top bit
/// (``compressedFlag``) marks a payload stored snappy-compressed: what the buffer writes while a receiver is away,
/// so an outage's backlog takes a fraction of the disk.
///
/// The CRC covers count, timestamp and payload, so a record torn by a crash (short, or with bytes never written)
/// is recognised and never sent.
public enum BufferRecord {
    /// Bytes before the payload.
    public static let headerSize = 20

    /// The bit of the count field that marks a compressed payload.
    public static let compressedFlag: UInt32 = 1 << 31

    /// Appends `batch`, framed (the payload copied once, its checksum computed in place); `compressed`, when given,
    /// is stored instead of the payload, flagged.
    public static func append(_ batch: RemoteWriteBatch, compressed: [UInt8]? = nil, into out: inout [UInt8]) {
        let stored = compressed ?? batch.payload
        var fields: [UInt8] = []
        fields.reserveCapacity(12)
        let count = UInt32(truncatingIfNeeded: batch.sampleCount) & ~compressedFlag
        appendLittleEndian(compressed == nil ? count : count | compressedFlag, into: &fields)
        appendLittleEndian(UInt64(bitPattern: batch.newestTimestamp), into: &fields)
        let crc = stored.withUnsafeBytes { payload in
            CRC32.checksum(payload, continuing: fields.withUnsafeBytes { CRC32.checksum($0) })
        }
        out.reserveCapacity(out.count + headerSize + stored.count)
        appendLittleEndian(UInt32(truncatingIfNeeded: stored.count), into: &out)
        appendLittleEndian(crc, into: &out)
        out.append(contentsOf: fields)
        out.append(contentsOf: stored)
    }

    /// What reading a record at an offset found.
    public enum ReadResult: Sendable, Hashable {
        /// A whole, intact record ending at `end`.
        case record(RemoteWriteBatch, end: Int)
        /// No bytes left.
        case end
        /// Fewer bytes than the header announces, or a checksum mismatch: a torn or corrupted record.
        case corrupt
    }

    /// Reads the record starting at `offset` of `bytes`.
    ///
    /// A compressed payload is expanded by `decompress` (nil: a payload that does not decompress, read as corrupt);
    /// without it the stored bytes are returned as they are (enough to count samples).
    public static func read(
        _ bytes: UnsafeRawBufferPointer,
        at offset: Int,
        decompress: (([UInt8]) -> [UInt8]?)? = nil
    ) -> ReadResult {
        guard offset < bytes.count else { return .end }
        guard bytes.count - offset >= headerSize else { return .corrupt }
        let length = Int(loadLittleEndian(UInt32.self, bytes, offset))
        let crc = loadLittleEndian(UInt32.self, bytes, offset + 4)
        let end = offset + headerSize + length
        guard end <= bytes.count else { return .corrupt }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<end])
        guard CRC32.checksum(body) == crc else { return .corrupt }
        let countField = loadLittleEndian(UInt32.self, bytes, offset + 8)
        let count = Int(countField & ~compressedFlag)
        let newest = Int64(bitPattern: loadLittleEndian(UInt64.self, bytes, offset + 12))
        var payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + headerSize)..<end]))
        if countField & compressedFlag != 0, let decompress {
            guard let expanded = decompress(payload) else { return .corrupt }
            payload = expanded
        }
        return .record(RemoteWriteBatch(payload: payload, sampleCount: count, newestTimestamp: newest), end: end)
    }

    /// The header fields at `offset` without checking the payload: (total record size, sample count, newest
    /// timestamp), `nil` when the header is incomplete.
    public static func header(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (
        size: Int, samples: Int, newest: Int64
    )? {
        guard bytes.count - offset >= headerSize else { return nil }
        let length = Int(loadLittleEndian(UInt32.self, bytes, offset))
        return (
            headerSize + length, Int(loadLittleEndian(UInt32.self, bytes, offset + 8) & ~compressedFlag),
            Int64(bitPattern: loadLittleEndian(UInt64.self, bytes, offset + 12))
        )
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, into out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func loadLittleEndian<T: FixedWidthInteger>(
        _ type: T.Type,
        _ bytes: UnsafeRawBufferPointer,
        _ offset: Int
    ) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
