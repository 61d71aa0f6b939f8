/// The series of one scrape as 64-bit hashes (``RenderedScrape/seriesHashes``), held until the next scrape of the
/// target for `scrape_series_added`: eight bytes per series, where a `Set<UInt64>` takes two to four times that and
/// re-hashes every key.
///
/// Held in the order the scrape rendered them: an exporter writes its series in the same order scrape after scrape,
/// so the common case (nothing new, nothing repeated) is one comparison of two arrays, no sorting and no hashing.
public struct SeriesHashes: Sendable, Equatable {
    /// The hashes, distinct, in the scrape's order (or ascending after a scrape that repeated a series).
    public private(set) var hashes: [UInt64]

    /// No series.
    public init() { hashes = [] }

    /// Number of distinct series.
    public var count: Int { hashes.count }

    /// The series of a scrape rendered with `current` (one hash per line), compared with the previous scrape's:
    /// how many are new, and whether a line repeated an earlier line's series (or, rarely, its hash).
    public static func comparing(_ current: [UInt64], with previous: SeriesHashes?) -> (
        series: SeriesHashes, added: Int, repeated: Bool
    ) {
        if let previous, previous.hashes == current { return (previous, 0, false) }
        let sorted = distinctSorted(current)
        let repeated = sorted.count < current.count
        let added = previous.map { countMissing(sorted, from: distinctSorted($0.hashes)) } ?? sorted.count
        var series = SeriesHashes()
        series.hashes = repeated ? sorted : exactCopy(current)
        return (series, added, repeated)
    }

    /// `values` sorted without repeats, in an array of exactly that size.
    static func distinctSorted(_ values: [UInt64]) -> [UInt64] {
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
    static func countMissing(_ ours: [UInt64], from theirs: [UInt64]) -> Int {
        var missing = 0
        var cursor = 0
        for hash in ours {
            while cursor < theirs.count && theirs[cursor] < hash { cursor += 1 }
            if cursor == theirs.count || theirs[cursor] != hash { missing += 1 }
        }
        return missing
    }

    /// A copy without spare capacity (the renderer's array grew by doubling; this one lives until the next scrape).
    static func exactCopy(_ values: [UInt64]) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: values.count) { buffer, count in
            _ = buffer.initialize(from: values)
            count = values.count
        }
    }
}
