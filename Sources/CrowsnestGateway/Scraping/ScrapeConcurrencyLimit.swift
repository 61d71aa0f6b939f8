/// How many scrapes of one cluster may be out at once, adapted to what its API server sustains, as a congestion
/// window adapts to a network path.
///
/// Every scrape goes through the API server's proxy, so a fixed cap is either too low for a distant API server
/// (each request takes a few hundred milliseconds: at 32 at once, 1,000 targets every 5 s cannot all be scraped) or
/// too high for a small one. The limit starts at ``initial`` and is judged once per window of as many completed
/// scrapes as the limit:
/// - it grows by a quarter (at least one) when scrapes waited for a slot during the window, and the window's mean
///   latency stayed within twice the latency floor (no queueing at the API server) or the limit is below its start;
/// - it shrinks by an eighth when the mean latency passed three times the floor (the API server queues), but never
///   below its start for that reason: latency also rises on a busy gateway or network, which fewer scrapes at once
///   do not cure, and the start is what a fixed cap used to be;
/// - it halves at once, at most once per window, when the API server throttles (429/503) or fails a scrape itself:
///   the server's own word, which may take it down to 1.
///
/// Always between 1 and ``ceiling`` (`max_concurrent_scrapes`). The floor is the lowest window mean, drifting up by
/// 5 % a window, so a server that became slower for good is relearned.
struct ScrapeConcurrencyLimit: Sendable, Hashable {
    /// The limit now.
    private(set) var limit: Int
    /// The highest the limit may go (`max_concurrent_scrapes`).
    let ceiling: Int
    /// The lowest window mean latency seen (nil before the first window).
    private(set) var latencyFloor: Duration?
    private var windowCompletions = 0
    private var windowLatency = Duration.zero
    private var windowSaturated = false
    private var windowOverloaded = false

    /// The starting limit: what a fixed cap used to be.
    static let initial = 32

    /// Creates a limit that starts at ``initial`` (or `ceiling`, when lower).
    init(ceiling: Int) {
        self.ceiling = max(1, ceiling)
        self.limit = min(Self.initial, self.ceiling)
    }

    /// Records that due scrapes waited because `limit` were already out.
    mutating func saturated() { windowSaturated = true }

    /// Records a finished scrape: how long it took and whether the API server said it is overloaded (429/503) or
    /// failed it. Returns whether the limit changed.
    @discardableResult
    mutating func completed(latency: Duration, overloaded: Bool) -> Bool {
        let before = limit
        if overloaded && !windowOverloaded {
            windowOverloaded = true
            limit = max(1, limit / 2)
        }
        windowCompletions += 1
        windowLatency += latency
        if windowCompletions >= max(limit, 4) { closeWindow() }
        return limit != before
    }

    private mutating func closeWindow() {
        let mean = windowLatency / windowCompletions
        let floor = min(latencyFloor.map { $0 * 1.05 } ?? mean, mean)
        latencyFloor = floor
        let start = min(Self.initial, ceiling)
        if !windowOverloaded {
            if mean > floor * 3 && limit > start {
                limit = max(start, limit - max(1, limit / 8))
            } else if windowSaturated && (mean <= floor * 2 || limit < start) {
                limit = min(ceiling, limit + max(1, limit / 4))
            }
        }
        windowCompletions = 0
        windowLatency = .zero
        windowSaturated = false
        windowOverloaded = false
    }
}
