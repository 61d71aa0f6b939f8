/// The framing of one batch in a remote-write buffer segment file: a 20-byte header — payload length (u32), CRC-32
/// of everything after the CRC (u32), sample count (u32), newest timestamp (i64), all little-endian — then the
/// payload (`WriteRequest` fragments).
///
/// The CRC covers count, timestamp and payload, so a record torn by a crash (short, or with bytes never written)
/// is recognised and never sent.
public enum BufferRecord {
    /// Bytes before the payload.
    public static let headerSize = 20

    /// Appends `batch`, framed (the payload copied once, its checksum computed in place).
    public static func append(_ batch: RemoteWriteBatch, into out: inout [UInt8]) {
        var fields: [UInt8] = []
        fields.reserveCapacity(12)
        appendLittleEndian(UInt32(truncatingIfNeeded: batch.sampleCount), into: &fields)
        appendLittleEndian(UInt64(bitPattern: batch.newestTimestamp), into: &fields)
        let crc = batch.payload.withUnsafeBytes { payload in
            CRC32.checksum(payload, continuing: fields.withUnsafeBytes { CRC32.checksum($0) })
        }
        out.reserveCapacity(out.count + headerSize + batch.payload.count)
        appendLittleEndian(UInt32(truncatingIfNeeded: batch.payload.count), into: &out)
        appendLittleEndian(crc, into: &out)
        out.append(contentsOf: fields)
        out.append(contentsOf: batch.payload)
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
    public static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> ReadResult {
        guard offset < bytes.count else { return .end }
        guard bytes.count - offset >= headerSize else { return .corrupt }
        let length = Int(loadLittleEndian(UInt32.self, bytes, offset))
        let crc = loadLittleEndian(UInt32.self, bytes, offset + 4)
        let end = offset + headerSize + length
        guard end <= bytes.count else { return .corrupt }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<end])
        guard CRC32.checksum(body) == crc else { return .corrupt }
        let count = Int(loadLittleEndian(UInt32.self, bytes, offset + 8))
        let newest = Int64(bitPattern: loadLittleEndian(UInt64.self, bytes, offset + 12))
        let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + headerSize)..<end]))
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
            headerSize + length, Int(loadLittleEndian(UInt32.self, bytes, offset + 8)),
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
