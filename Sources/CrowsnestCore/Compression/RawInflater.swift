import CZlib

/// A zlib raw-inflate decompressor for the pieces of ``DeflatedRanges``: what serves plain text from snapshots
/// held compressed.
///
/// Not thread-safe: one owner at a time (a response). The state is about 7 KiB plus a 32 KiB window.
public final class RawInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    /// Creates an inflater.
    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        // Only Z_MEM_ERROR is possible with these constant arguments: out of memory is not recoverable here.
        precondition(status == Z_OK, "inflateInit2 failed (\(status))")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses piece `index` of `ranges` into `destination`, which must hold exactly its plain length;
    /// returns false (leaving `destination` in an undefined state) if the piece does not decompress to exactly
    /// that many bytes, which only a bug could cause: the pieces never leave memory.
    public func inflate(_ ranges: DeflatedRanges, piece index: Int, into destination: UnsafeMutableRawBufferPointer)
        -> Bool
    {
        let piece = ranges.pieces[index]
        guard Int(piece.plainCount) == destination.count else { return false }
        guard piece.plainCount > 0 else { return true }
        inflateReset(stream)
        return ranges.bytes.withUnsafeBytes { compressed in
            let input = compressed.baseAddress! + Int(piece.start)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(piece.count)
            stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(destination.count)
            let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            // The piece's closing flush marker may stay unread once the output is full; that is fine.
            return (status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR) && stream.pointee.avail_out == 0
        }
    }

    /// Piece `index` of `ranges`, decompressed; empty if it does not decompress (see
    /// ``inflate(_:piece:into:)``).
    public func inflate(_ ranges: DeflatedRanges, piece index: Int) -> [UInt8] {
        let count = Int(ranges.pieces[index].plainCount)
        var ok = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            ok = inflate(ranges, piece: index, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        return ok ? bytes : []
    }
}
