#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Byte-range comparisons inside the payload, a word (eight bytes) at a time: what lets a sample line take over
// the name and labels it repeats from the previous line cheaply (see `ParseScratch.previousSample`).

extension ParserRun {
    /// Whether `bytes[a..<a + length]` equals `bytes[b..<b + length]`, compared a word at a time (the last word
    /// overlapping, or masked for a range under eight bytes) where the payload holds eight bytes past both ranges'
    /// starts; `memcmp` otherwise.
    @inline(__always)
    func sameBytes(_ a: Int, _ b: Int, _ length: Int) -> Bool {
        let base = bytes.baseAddress!
        guard length > 0, max(a, b) + max(length, 8) <= count else {
            return length <= 0 || memcmp(base + a, base + b, length) == 0
        }
        if length < 8 {
            let difference =
                base.loadUnaligned(fromByteOffset: a, as: UInt64.self)
                ^ base.loadUnaligned(fromByteOffset: b, as: UInt64.self)
            return difference << (64 - UInt64(length) * 8) == 0
        }
        var offset = 0
        while offset + 8 < length {
            if base.loadUnaligned(fromByteOffset: a + offset, as: UInt64.self)
                != base.loadUnaligned(fromByteOffset: b + offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        return base.loadUnaligned(fromByteOffset: a + length - 8, as: UInt64.self)
            == base.loadUnaligned(fromByteOffset: b + length - 8, as: UInt64.self)
    }

    @inline(__always)
    func bytesEqual(_ aStart: Int, _ aEnd: Int, _ bStart: Int, _ bEnd: Int) -> Bool {
        let length = aEnd - aStart
        guard length == bEnd - bStart else { return false }
        return sameBytes(aStart, bStart, length)
    }

    /// How many bytes `bytes[a...]` and `bytes[b...]` (`a < b`) have in common at their start, at most `limit`.
    @inline(__always)
    func sharedPrefixLength(_ a: Int, _ b: Int, limit: Int) -> Int {
        let first = bytes.baseAddress! + a
        let second = bytes.baseAddress! + b
        let lastWord = count - b - 8  // the last offset a word can be read at (from both: a < b)
        var offset = 0
        while offset < limit && offset <= lastWord {
            let difference =
                (first.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                ^ second.loadUnaligned(fromByteOffset: offset, as: UInt64.self)).littleEndian
            if difference != 0 { return min(limit, offset &+ difference.trailingZeroBitCount &>> 3) }
            offset &+= 8
        }
        while offset < limit
            && first.load(fromByteOffset: offset, as: UInt8.self) == second.load(fromByteOffset: offset, as: UInt8.self)
        {
            offset &+= 1
        }
        return min(offset, limit)
    }
}
