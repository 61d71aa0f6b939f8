import CompressNIO
public import NIOCore

/// Gzip-compresses a response chunk by chunk at a fast level (compression dominates the serving cost).
public final class GzipStream {
    private let compressor: ZlibCompressor
    private let allocator: ByteBufferAllocator

    /// Creates a stream; level 1 is zlib's fastest.
    public init(level: Int32 = 1, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws {
        self.compressor = try ZlibCompressor(
            algorithm: .gzip,
            configuration: ZlibConfiguration(compressionLevel: level)
        )
        self.allocator = allocator
    }

    /// Compresses one chunk; `final` ends the gzip member.
    public func compress(_ chunk: ByteBuffer, final: Bool) throws -> ByteBuffer {
        var input = chunk
        return try input.compressStream(with: compressor, flush: final ? .finish : .sync, allocator: allocator)
    }
}
