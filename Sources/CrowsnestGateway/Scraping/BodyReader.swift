import AsyncHTTPClient
import CompressNIO
import CrowsnestCore
import NIOCore

/// Reads a scrape response body into memory, decompressing gzip on the fly, and refuses it as soon as the
/// compressed or decompressed size passes the limit (a gzip bomb never expands past it).
enum BodyReader {
    static func read(_ body: HTTPClientResponse.Body, gzip: Bool, limit: Int, deadline: NIODeadline) async throws(ScrapeFailure)
        -> [UInt8]
    {
        var collector = BoundedByteCollector(limit: limit)
        var compressedBytes = 0
        let decompressor: ZlibDecompressor?
        do {
            decompressor = gzip ? try ZlibDecompressor(algorithm: .gzip) : nil
        } catch {
            throw ScrapeFailure(.badEncoding, "cannot start gzip decompression")
        }
        var window = ByteBuffer()
        window.reserveCapacity(64 * 1024)
        var finished = false
        do {
            for try await chunk in body {
                if NIODeadline.now() > deadline { throw ScrapeFailure(.timeout, "scrape timed out while reading the body") }
                compressedBytes += chunk.readableBytes
                if limit > 0 && compressedBytes > limit {
                    throw ScrapeFailure(.bodyTooLarge, "body exceeds the size limit of \(limit) bytes")
                }
                guard let decompressor else {
                    try collector.append(chunk.readableBytesView)
                    continue
                }
                var input = chunk
                while input.readableBytes > 0 && !finished {
                    window.clear()
                    var needsInput = false
                    do {
                        try decompressor.inflate(from: &input, to: &window)
                        // A normal return: input consumed, or the gzip stream ended (trailing bytes are ignored).
                        if input.readableBytes > 0 { finished = true }
                    } catch let error as CompressNIOError where error == .bufferOverflow {
                        // The window filled up: keep what came out and go on.
                    } catch let error as CompressNIOError where error == .inputBufferOverflow {
                        needsInput = true
                    } catch {
                        throw ScrapeFailure(.badEncoding, "body is not valid gzip")
                    }
                    try collector.append(window.readableBytesView)
                    if needsInput { break }
                }
            }
            if let decompressor, !finished {
                // Probe with no input: zlib answers "stream end" only when the gzip member was complete.
                var empty = ByteBufferAllocator().buffer(capacity: 16)
                window.clear()
                do {
                    try decompressor.inflate(from: &empty, to: &window)
                } catch {
                    throw ScrapeFailure(.badEncoding, "gzip body is truncated")
                }
                try collector.append(window.readableBytesView)
            }
        } catch let failure as ScrapeFailure {
            throw failure
        } catch is BoundedByteCollector.LimitExceeded {
            throw ScrapeFailure(.bodyTooLarge, "body exceeds the size limit of \(limit) bytes once decompressed")
        } catch {
            if NIODeadline.now() > deadline { throw ScrapeFailure(.timeout, "scrape timed out while reading the body") }
            throw ScrapeFailure(.transport, "connection failed while reading the body")
        }
        return collector.bytes
    }
}
