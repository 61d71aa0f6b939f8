/// The series of one scrape as a sorted array of distinct 64-bit hashes (``RenderedScrape/seriesHashes``): what the
/// next scrape of the target compares with for `scrape_series_added`.
///
/// Eight bytes per series, held between scrapes for every target; a `Set<UInt64>` would take two to four times
/// that and re-hash every key.
public struct SeriesHashes: Sendable, Equatable {
    /// The hashes, ascending, without repeats.
    public private(set) var sorted: [UInt64]

    /// No series.
    public init() { sorted = [] }

    /// The distinct hashes among `hashes` (a repeat is a series the scrape exposed twice, or a collision).
    public init(_ hashes: [UInt64]) {
        var values: [UInt64] = []
        values.reserveCapacity(hashes.count)  // exactly: the array lives until the next scrape
        values.append(contentsOf: hashes)
        values.sort()
        var kept = 0
        for index in values.indices where index == 0 || values[index] != values[kept - 1] {
            values[kept] = values[index]
            kept += 1
        }
        values.removeLast(values.count - kept)
        sorted = values
    }

    /// Number of distinct series.
    public var count: Int { sorted.count }

    /// How many of these series `other` lacks (one merge walk over both sorted arrays).
    public func countMissing(from other: SeriesHashes) -> Int {
        var missing = 0
        var cursor = 0
        let theirs = other.sorted
        for hash in sorted {
            while cursor < theirs.count && theirs[cursor] < hash { cursor += 1 }
            if cursor == theirs.count || theirs[cursor] != hash { missing += 1 }
        }
        return missing
    }
}
