/// The series of one scrape as hashes, held until the next scrape of the target for `scrape_series_added`: the low
/// 32 bits of ``RenderedScrape/seriesHashes``, four bytes per series (a `Set<UInt64>` takes 16–32 and re-hashes
/// every key). A collision among a target's series (odds about n²/2³³: 1 in 34,000 for 500 series) only costs
/// an exact repeated-series check that finds nothing, and a new series colliding with an old one (n/2³²) is not
/// counted as added.
///
/// Held in the order the scrape rendered them: an exporter writes its series in the same order scrape after scrape,
/// so the common case (nothing new, nothing repeated) is one comparison of two arrays, no sorting and no hashing.
public struct SeriesHashes: Sendable, Equatable {
    /// The hashes, distinct, in the scrape's order (or ascending after a scrape that repeated a series).
    public private(set) var hashes: [UInt32]

    /// No series.
    public init() { hashes = [] }

    /// Number of distinct series.
    public var count: Int { hashes.count }

    /// The series of a scrape whose lines hashed to `rendered` (one per line), compared with the previous scrape's:
    /// how many are new, and whether a line repeated an earlier line's series (or, rarely, its hash).
    public static func comparing(
        _ rendered: [UInt64],
        with previous: SeriesHashes?
    ) -> (
        series: SeriesHashes, added: Int, repeated: Bool
    ) {
        let current = [UInt32](unsafeUninitializedCapacity: rendered.count) { buffer, count in
            for index in rendered.indices { buffer[index] = UInt32(truncatingIfNeeded: rendered[index]) }
            count = rendered.count
        }
        if let previous, previous.hashes == current { return (previous, 0, false) }
        let sorted = distinctSorted(current)
        let repeated = sorted.count < current.count
        let added = previous.map { countMissing(sorted, from: distinctSorted($0.hashes)) } ?? sorted.count
        var series = SeriesHashes()
        series.hashes = repeated ? sorted : current
        return (series, added, repeated)
    }

    /// `values` sorted without repeats, in an array of exactly that size.
    static func distinctSorted(_ values: [UInt32]) -> [UInt32] {
        var sorted = exactCopy(values)
        sorted.sort()
        var kept = 0
        for index in sorted.indices where index == 0 || sorted[index] != sorted[kept - 1] {
            sorted[kept] = sorted[index]
            kept += 1
        }
        if kept < sorted.count { sorted = exactCopy(Array(sorted[..<kept])) }
        return sorted
    }

    /// How many of the ascending `ours` the ascending `theirs` lacks (one merge walk).
    static func countMissing(_ ours: [UInt32], from theirs: [UInt32]) -> Int {
        var missing = 0
        var cursor = 0
        for hash in ours {
            while cursor < theirs.count && theirs[cursor] < hash { cursor += 1 }
            if cursor == theirs.count || theirs[cursor] != hash { missing += 1 }
        }
        return missing
    }

    /// A copy without spare capacity (this one lives until the next scrape).
    static func exactCopy(_ values: [UInt32]) -> [UInt32] {
        [UInt32](unsafeUninitializedCapacity: values.count) { buffer, count in
            _ = buffer.initialize(from: values)
            count = values.count
        }
    }
}
