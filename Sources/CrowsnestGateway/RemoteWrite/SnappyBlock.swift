import CSnappy

/// Snappy block compression (the raw format, not the framed one), as remote-write bodies use it, through
/// Google's C library.
public enum SnappyBlock {
    /// Why a body does not decompress.
    public struct DecodeError: Error, Sendable, Hashable {}

    /// Compresses `input`.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        let bound = snappy_max_compressed_length(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        var length = bound
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                snappy_compress(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self),
                    source.count,
                    target.baseAddress?.assumingMemoryBound(to: CChar.self),
                    &length
                )
            }
        }
        // snappy_compress fails only for a too-small output buffer, which `bound` rules out.
        precondition(status == SNAPPY_OK, "snappy_compress failed with a maximum-size buffer")
        output.removeSubrange(length...)
        return output
    }

    /// Decompresses a snappy block.
    public static func decompress(_ input: [UInt8]) throws(DecodeError) -> [UInt8] {
        var length = 0
        let sized = input.withUnsafeBytes { source in
            snappy_uncompressed_length(source.baseAddress?.assumingMemoryBound(to: CChar.self), source.count, &length)
        }
        guard sized == SNAPPY_OK, length <= 1 << 30 else { throw DecodeError() }
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                snappy_uncompress(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self),
                    source.count,
                    target.baseAddress?.assumingMemoryBound(to: CChar.self),
                    &length
                )
            }
        }
        guard status == SNAPPY_OK else { throw DecodeError() }
        return output
    }
}
