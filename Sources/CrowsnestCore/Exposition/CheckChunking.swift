#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a payload can be cut so that each piece validates on its own exactly as it does inside the whole.
///
/// A cut is placed only before a `# HELP name ` or `# TYPE name ` line (single spaces, legacy name) whose previous
/// line is a sample whose legacy name does not start with that name. At such a line the serial parser always
/// starts a new family group (the previous sample's family name is a prefix of the sample name, so it cannot be
/// `name`), and no parser state but the validator's cross-family memory (family names seen, sample names claimed)
/// crosses the cut; ``MetricsChecker`` checks that memory when it merges the pieces.
enum CheckChunking {
    /// One piece of a payload, a byte range.
    struct Chunk: Sendable, Hashable {
        /// Offset of the first byte (the start of a line).
        var start: Int
        /// Offset after the last byte (just after a newline, or the end of the payload).
        var end: Int
    }

    /// Cuts `bytes` into at most `count` chunks of about equal size at safe places; fewer when no safe place is
    /// found near a target offset.
    ///
    /// Always covers the payload exactly, in order.
    static func chunks(_ bytes: UnsafeRawBufferPointer, count: Int, format: ExpositionFormat) -> [Chunk] {
        guard count > 1, bytes.count > count else { return [Chunk(start: 0, end: bytes.count)] }
        var cuts: [Int] = []
        let step = bytes.count / count
        for index in 1..<count {
            let target = max(index * step, (cuts.last ?? 0) + 1)
            let limit = min(bytes.count, (index + 1) * step)
            if target >= limit { continue }
            if let cut = safeCut(bytes, from: target, before: limit, format: format) { cuts.append(cut) }
        }
        var chunks: [Chunk] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            chunks.append(Chunk(start: start, end: cut))
            start = cut
        }
        return chunks
    }

    /// The first safe cut at a line start in `from..<before`, or `nil`.
    static func safeCut(_ bytes: UnsafeRawBufferPointer, from: Int, before limit: Int, format: ExpositionFormat) -> Int?
    {
        let base = bytes.baseAddress!
        // The first newline at or after `from - 1`: the line after it is the first candidate, the one it ends
        // that candidate's predecessor.
        var lineEnd = from - 1
        guard let first = memchr(base + lineEnd, Int32(UInt8(ascii: "\n")), bytes.count - lineEnd) else { return nil }
        lineEnd = base.distance(to: UnsafeRawPointer(first))
        var previousStart = lineStart(bytes, before: lineEnd)
        var candidate = lineEnd + 1
        while candidate < limit {
            guard let found = memchr(base + candidate, Int32(UInt8(ascii: "\n")), bytes.count - candidate) else {
                return nil
            }
            let candidateEnd = base.distance(to: UnsafeRawPointer(found))
            if isSafeCut(
                bytes,
                previousStart: previousStart,
                candidate: candidate,
                candidateEnd: candidateEnd,
                format: format
            ) {
                return candidate
            }
            previousStart = candidate
            candidate = candidateEnd + 1
        }
        return nil
    }

    /// Whether a cut before the line `bytes[candidate..<candidateEnd]` is safe, its previous line starting at
    /// `previousStart` (and ending just before `candidate`).
    static func isSafeCut(
        _ bytes: UnsafeRawBufferPointer,
        previousStart: Int,
        candidate: Int,
        candidateEnd: Int,
        format: ExpositionFormat
    ) -> Bool {
        // The candidate: `# HELP name ` or `# TYPE name ` with a legacy name followed by a space.
        guard candidateEnd - candidate > 8,
            bytes[candidate] == UInt8(ascii: "#"), bytes[candidate + 1] == UInt8(ascii: " "),
            bytes[candidate + 6] == UInt8(ascii: " ")
        else { return false }
        let keyword = UnsafeRawBufferPointer(rebasing: bytes[(candidate + 2)..<(candidate + 6)])
        guard keyword.elementsEqual("HELP".utf8) || keyword.elementsEqual("TYPE".utf8) else { return false }
        let nameStart = candidate + 7
        var nameEnd = nameStart
        guard NameSyntax.isMetricNameStart(bytes[nameStart]) else { return false }
        while nameEnd < candidateEnd, NameSyntax.isMetricNameContinue(bytes[nameEnd]) { nameEnd += 1 }
        guard nameEnd < candidateEnd, bytes[nameEnd] == UInt8(ascii: " ") else { return false }
        // The previous line: a sample with a legacy name that does not start with the candidate's name.
        let previousEnd = candidate - 1
        guard previousStart < previousEnd, NameSyntax.isMetricNameStart(bytes[previousStart]) else { return false }
        var sampleNameEnd = previousStart
        while sampleNameEnd < previousEnd, NameSyntax.isMetricNameContinue(bytes[sampleNameEnd]) { sampleNameEnd += 1 }
        let nameLength = nameEnd - nameStart
        if sampleNameEnd - previousStart >= nameLength
            && memcmp(bytes.baseAddress! + previousStart, bytes.baseAddress! + nameStart, nameLength) == 0
        {
            return false
        }
        return true
    }

    /// The start of the line that ends at the newline at `newlineOffset`.
    static func lineStart(_ bytes: UnsafeRawBufferPointer, before newlineOffset: Int) -> Int {
        var index = newlineOffset
        while index > 0, bytes[index - 1] != UInt8(ascii: "\n") { index -= 1 }
        return index
    }
}
