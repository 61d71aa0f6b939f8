import CompressNIO
import NIOCore

/// gzip helpers for exporter bodies.
enum Gzip {
    /// Compresses `buffer` (fast level, as exporters use).
    static func compress(_ buffer: ByteBuffer) -> ByteBuffer {
        var input = buffer
        return (try? input.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression))))
            ?? ByteBuffer()
    }

    /// A gzip stream of `size` zero bytes, compressed as hard as zlib can (about 1000:1).
    static func bomb(decompressedBytes size: Int) -> ByteBuffer {
        let compressor = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .bestCompression)).compressor
        var output = ByteBuffer()
        do {
            try compressor.startStream()
            let block = 1 << 20
            var zeros = ByteBuffer(repeating: UInt8(ascii: "0"), count: block)
            var written = 0
            while written < size {
                let count = min(block, size - written)
                var chunk = zeros.getSlice(at: zeros.readerIndex, length: count)!
                written += count
                let flush: CompressNIOFlush = written >= size ? .finish : .no
                output.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: chunk) + 64)
                try compressor.streamDeflate(from: &chunk, to: &output, flush: flush)
            }
            try compressor.finishStream()
            zeros.clear()
        } catch {
            return ByteBuffer()
        }
        return output
    }
}
