import AsyncHTTPClient
import CompressNIO
import NIOCore

/// Reads a scrape response body into memory, decompressing gzip on the fly, and refuses it as soon as the
/// compressed or decompressed size passes the limit (a gzip bomb never expands past it).
///
/// gzip is inflated straight into the body buffer, which starts at the size the target's last body had (taken from
/// `recycler` when one of that size is kept, so a multi-MB body is written into memory already mapped), so a
/// steady-state scrape allocates it once and copies nothing; a plain body made of one chunk is that chunk.
enum BodyReader {
    /// Reads `body`.
    /// - Parameters:
    ///   - gzip: whether to inflate it.
    ///   - limit: the most bytes kept, decompressed (0: no limit); the compressed bytes are held to it too.
    ///   - expectedSize: the size to reserve up front (the target's last body), 0 when unknown.
    ///   - recycler: where a buffer of the expected size may wait from an earlier scrape.
    ///   - deadline: when to give up.
    static func read(
        _ body: HTTPClientResponse.Body,
        gzip: Bool,
        limit: Int,
        expectedSize: Int = 0,
        recycler: BufferRecycler<ByteBuffer>? = nil,
        deadline: NIODeadline
    ) async throws(ScrapeFailure) -> ByteBuffer {
        let decompressor: ZlibDecompressor?
        do {
            decompressor = gzip ? try ZlibDecompressor(algorithm: .gzip) : nil
        } catch {
            throw ScrapeFailure(.badEncoding, "cannot start gzip decompression")
        }
        /// A buffer with room for the expected body: a kept one (up to twice that: NIO rounds capacities up to a
        /// power of two), else a new one.
        func reserved() -> ByteBuffer {
            let capacity = reservation(for: expectedSize, limit)
            guard let recycler else { return ByteBufferAllocator().buffer(capacity: capacity) }
            return recycler.take(minimumCapacity: capacity, maximumCapacity: 2 * capacity, capacity: capacity)
        }
        var output = ByteBuffer()
        if gzip {
            output = expectedSize > 0 ? reserved() : ByteBufferAllocator().buffer(capacity: capped(16 << 10, limit))
        }
        /// Whether a plain body is still the first chunk itself (not yet copied into a buffer of its own).
        var outputIsChunk = false
        var compressedBytes = 0
        var finished = false
        do {
            for try await chunk in body {
                if NIODeadline.now() > deadline {
                    throw ScrapeFailure(.timeout, "scrape timed out while reading the body")
                }
                compressedBytes += chunk.readableBytes
                if limit > 0 && compressedBytes > limit {
                    throw ScrapeFailure(.bodyTooLarge, "body exceeds the size limit of \(limit) bytes")
                }
                guard let decompressor else {
                    if output.readableBytes == 0 {
                        output = chunk
                        outputIsChunk = true
                    } else {
                        if outputIsChunk && expectedSize > output.readableBytes + chunk.readableBytes {
                            var own = reserved()
                            own.writeImmutableBuffer(output)
                            output = own
                            outputIsChunk = false
                        }
                        output.writeImmutableBuffer(chunk)
                    }
                    continue
                }
                var input = chunk
                while !finished {
                    if output.writableBytes == 0 { try grow(&output, limit: limit) }
                    do {
                        try decompressor.inflate(from: &input, to: &output)
                        // A normal return: input consumed, or the gzip stream ended (trailing bytes are ignored).
                        if input.readableBytes > 0 { finished = true }
                        break
                    } catch let error as CompressNIOError where error == .bufferOverflow {
                        continue  // the buffer filled up: grow it and go on
                    } catch let error as CompressNIOError where error == .inputBufferOverflow {
                        break  // this chunk is used up
                    } catch {
                        throw ScrapeFailure(.badEncoding, "body is not valid gzip")
                    }
                }
            }
            if let decompressor, !finished {
                // Probe with no input: zlib answers "stream end" only when the gzip member was complete.
                var empty = ByteBufferAllocator().buffer(capacity: 16)
                if output.writableBytes == 0 { try grow(&output, limit: limit) }
                do {
                    try decompressor.inflate(from: &empty, to: &output)
                } catch {
                    throw ScrapeFailure(.badEncoding, "gzip body is truncated")
                }
            }
        } catch let failure as ScrapeFailure {
            throw failure
        } catch {
            if NIODeadline.now() > deadline { throw ScrapeFailure(.timeout, "scrape timed out while reading the body") }
            throw ScrapeFailure(.transport, "connection failed while reading the body")
        }
        if limit > 0 && output.readableBytes > limit { throw tooLarge(limit) }
        return output
    }

    /// Doubles the buffer, to at most one byte past the limit (holding that byte means the body is too large).
    private static func grow(_ buffer: inout ByteBuffer, limit: Int) throws(ScrapeFailure) {
        if limit > 0 && buffer.readableBytes > limit { throw tooLarge(limit) }
        buffer.reserveCapacity(capped(max(buffer.capacity * 2, 16 << 10), limit))
        if buffer.writableBytes == 0 { throw tooLarge(limit) }
    }

    /// Room for a body of about `expectedSize`: a little more, so that an unchanged body fits without growing.
    private static func reservation(for expectedSize: Int, _ limit: Int) -> Int {
        capped(expectedSize + expectedSize / 16 + 256, limit)
    }

    /// `size`, but at most one byte past a limit.
    private static func capped(_ size: Int, _ limit: Int) -> Int {
        limit > 0 ? min(size, limit + 1) : size
    }

    private static func tooLarge(_ limit: Int) -> ScrapeFailure {
        ScrapeFailure(.bodyTooLarge, "body exceeds the size limit of \(limit) bytes once decompressed")
    }
}
