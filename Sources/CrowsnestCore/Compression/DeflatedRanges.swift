/// Byte ranges of one buffer (a snapshot's families), each compressed on its own as raw deflate by
/// ``RawDeflater``, with the CRC-32 and length of its plain bytes: what ``GzipMemberWriter`` needs to put the
/// range into a gzip member by copying.
///
/// Level-1 deflate of sample lines is about an eighth of their size, so keeping this beside the text costs a
/// fraction of what the text does, and is paid only while gzip clients are asking.
public struct DeflatedRanges: Sendable {
    /// One compressed range.
    public struct Piece: Sendable {
        /// Where the compressed bytes start in ``DeflatedRanges/bytes``.
        public var start: UInt32
        /// Compressed length.
        public var count: UInt32
        /// CRC-32 of the plain bytes.
        public var crc: UInt32
        /// Length of the plain bytes.
        public var plainCount: UInt32
    }

    /// Every piece's compressed bytes, one after the other.
    public private(set) var bytes: [UInt8]
    /// One piece per range, in the order given.
    public private(set) var pieces: [Piece]

    /// Compresses `ranges` of `source` with `deflater`, each independently of the others.
    public init(_ source: [UInt8], ranges: [Range<Int>], deflater: RawDeflater) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count / 6 + 64)
        var pieces: [Piece] = []
        pieces.reserveCapacity(ranges.count)
        source.withUnsafeBytes { source in
            for range in ranges {
                let plain = UnsafeRawBufferPointer(rebasing: source[range])
                let start = bytes.count
                deflater.compress(plain, into: &bytes)
                pieces.append(
                    Piece(
                        start: UInt32(start),
                        count: UInt32(bytes.count - start),
                        crc: CRC32.checksum(plain),
                        plainCount: UInt32(plain.count)
                    )
                )
            }
        }
        bytes.shrinkToFit()
        self.bytes = bytes
        self.pieces = pieces
    }

    /// Bytes held (compressed bytes and the piece table).
    public var heldBytes: Int { bytes.capacity + pieces.capacity * MemoryLayout<Piece>.stride }
}

extension Array where Element == UInt8 {
    /// Drops spare capacity (a copy, when there is any): what a long-lived buffer should do.
    mutating func shrinkToFit() {
        if capacity > count + count / 16 + 64 { self = Array(self) }
    }
}
