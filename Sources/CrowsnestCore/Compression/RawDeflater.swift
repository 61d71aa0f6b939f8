import CZlib

/// A zlib raw-deflate compressor (no zlib or gzip framing) whose output can be cut at full flushes.
///
/// After ``compress(_:into:)`` the output ends at a byte boundary with no final block and no reference to any
/// earlier input (`Z_FULL_FLUSH`), so the pieces it produces — for one snapshot's families, for the HELP/TYPE
/// lines of a response — are self-contained and can be concatenated in any order into one deflate stream: the
/// way pigz splits its input, used here to serve gzip by copying instead of compressing.
///
/// Not thread-safe: one owner at a time. The state is about 256 KiB; reuse one deflater for many pieces.
public final class RawDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: [UInt8]

    /// Creates a deflater; `level` 1 is zlib's fastest, which is what serving wants.
    public init(level: Int32 = 1) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        scratch = [UInt8](repeating: 0, count: 64 * 1024)
        let status = deflateInit2_(
            stream,
            level,
            Z_DEFLATED,
            -15,  // raw deflate, 32 KiB window
            8,
            Z_DEFAULT_STRATEGY,
            ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size)
        )
        // Only Z_MEM_ERROR is possible with these constant arguments: out of memory is not recoverable here.
        precondition(status == Z_OK, "deflateInit2 failed (\(status))")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` and appends the deflate blocks to `output`.
    ///
    /// The blocks end with a full flush, so the appended bytes decompress to `input` whatever came before them.
    /// Empty input appends nothing.
    public func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        run(flush: Z_FULL_FLUSH, into: &output)
    }

    /// Appends the final (empty) block that ends a deflate stream, and resets for a new one.
    public func finish(into output: inout [UInt8]) {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        run(flush: Z_FINISH, into: &output)
        deflateReset(stream)
    }

    private func run(flush: Int32, into output: inout [UInt8]) {
        scratch.withUnsafeMutableBufferPointer { scratch in
            repeat {
                stream.pointee.next_out = scratch.baseAddress
                stream.pointee.avail_out = uInt(scratch.count)
                // With a valid state and room to write, deflate cannot fail; Z_BUF_ERROR only means no progress.
                _ = deflate(stream, flush)
                output.append(contentsOf: scratch[0..<(scratch.count - Int(stream.pointee.avail_out))])
            } while stream.pointee.avail_out == 0
        }
        stream.pointee.next_in = nil
    }
}
