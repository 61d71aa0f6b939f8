public import CoreMetrics
public import CrowsnestCore
import Synchronization

/// Schedules the scrapes of one cluster's targets: each on its interval, spread over the interval by a stable hash
/// in slots of about 250 ms (``ScrapeGrid``), at most `maxConcurrentScrapes` at once (the API server proxies them
/// all), and paused when the API server asks to slow down (429/503 with `Retry-After`, backing off further while it
/// repeats).
public final class ClusterScraper: Sendable {
    /// What the health pages show for one target.
    public struct TargetStatus: Sendable {
        /// The target.
        public var target: ScrapeTarget
        /// The last scrape, if any.
        public var lastHealth: ScrapeHealth?
        /// Scrapes started later than their due time by more than a second.
        public var lateScrapes: Int
    }

    private struct Entry {
        var target: ScrapeTarget
        /// The request, built once per target version.
        var plan: ScrapePlan
        var nextDue: ContinuousClock.Instant
        var inFlight = false
        var previousSeries: SeriesHashes?
        var lastHealth: ScrapeHealth?
        var lateScrapes = 0
    }

    /// The targets live in an array (`slotOf` maps a key to its index): the scheduler scans due times every wake-up,
    /// and reading `entries[i].nextDue` in place copies nothing, where iterating a dictionary copies every entry
    /// (target, labels, series hashes) with its reference counts.
    private struct State {
        var entries: [Entry] = []
        var slotOf: [TargetKey: Int] = [:]
        var inFlight = 0
        var pausedUntil: ContinuousClock.Instant?
        var consecutiveThrottles = 0
    }

    /// The cluster name.
    public let cluster: String
    private let scraper: TargetScraper
    private let grid: ScrapeGrid
    private let maxConcurrentScrapes: Int
    private let store: SnapshotStore
    private let successes: Counter
    private let failures: Counter
    private let durations: Timer
    private let state = Mutex(State())

    /// Creates a scheduler for one cluster; `metricsFactory` receives `crowsnest_scrapes_total{cluster,result}` and
    /// `crowsnest_scrape_duration_seconds{cluster}`.
    public init(
        cluster: String, scraper: TargetScraper, interval: Duration, maxConcurrentScrapes: Int, store: SnapshotStore,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        let dimensions = [("cluster", cluster)]
        self.successes = Counter(
            label: "crowsnest_scrapes_total", dimensions: dimensions + [("result", "success")], factory: metricsFactory
        )
        self.failures = Counter(
            label: "crowsnest_scrapes_total", dimensions: dimensions + [("result", "failure")], factory: metricsFactory
        )
        self.durations = Timer(label: "crowsnest_scrape_duration_seconds", dimensions: dimensions, factory: metricsFactory)
        self.cluster = cluster
        self.scraper = scraper
        self.grid = ScrapeGrid(interval: interval)
        self.maxConcurrentScrapes = max(1, maxConcurrentScrapes)
        self.store = store
    }

    /// Replaces the target set: new targets are scheduled (spread over the interval), removed ones stop and their
    /// series disappear, changed ones keep their schedule.
    public func update(targets: [ScrapeTarget]) {
        let now = ContinuousClock.now
        let removed: [TargetKey] = state.withLock { state in
            var entries: [Entry] = []
            var slotOf: [TargetKey: Int] = [:]
            entries.reserveCapacity(targets.count)
            for target in targets where slotOf[target.key] == nil {
                if let slot = state.slotOf[target.key] {
                    var existing = state.entries[slot]
                    if existing.target != target {
                        existing.plan = ScrapePlan(target)
                        existing.target = target
                    }
                    entries.append(existing)
                } else {
                    let firstDue = grid.firstDue(atOrAfter: now, hash: target.key.stableHash)
                    entries.append(Entry(target: target, plan: ScrapePlan(target), nextDue: firstDue))
                }
                slotOf[target.key] = entries.count - 1
            }
            let removed = state.slotOf.keys.filter { slotOf[$0] == nil }
            state.entries = entries
            state.slotOf = slotOf
            return removed
        }
        if !removed.isEmpty {
            let gone = Set(removed)
            store.remove { gone.contains($0) }
        }
    }

    /// Removes every target and its series (the cluster is going away).
    public func removeAll() {
        update(targets: [])
        store.remove { $0.cluster == cluster }
    }

    /// The status of every target, in key order.
    public var targetStatuses: [TargetStatus] {
        state.withLock { state in
            state.entries.sorted { $0.target.key < $1.target.key }.map {
                TargetStatus(target: $0.target, lastHealth: $0.lastHealth, lateScrapes: $0.lateScrapes)
            }
        }
    }

    /// Runs the schedule until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = ContinuousClock.now
                let (due, wakeUp) = takeDue(now: now)
                for entry in due {
                    group.addTask { await self.scrape(entry) }
                }
                let sleep = min(max(wakeUp - now, .milliseconds(5)), .milliseconds(250))
                do { try await Task.sleep(for: sleep) } catch { break }
            }
            group.cancelAll()
        }
    }

    /// Marks due targets in flight (as many as the concurrency cap allows) and says when to look again.
    private func takeDue(now: ContinuousClock.Instant) -> ([Entry], ContinuousClock.Instant) {
        state.withLock { state in
            var earliest = now + .milliseconds(250)
            if let paused = state.pausedUntil, paused > now { return ([], min(paused, earliest)) }
            var due: [Entry] = []
            // One pass finds the due targets and the next wake-up; only the due ones are sorted (most overdue first).
            var candidates: [(nextDue: ContinuousClock.Instant, slot: Int)] = []
            for slot in state.entries.indices where !state.entries[slot].inFlight {
                let nextDue = state.entries[slot].nextDue
                if nextDue > now {
                    earliest = min(earliest, nextDue)
                } else {
                    candidates.append((nextDue, slot))
                }
            }
            candidates.sort { $0.nextDue < $1.nextDue }
            for (_, slot) in candidates {
                guard state.inFlight < maxConcurrentScrapes else { break }
                // Updated in place: the entry (target, labels, series hashes) is copied once, into `due`.
                if now - state.entries[slot].nextDue > .seconds(1) { state.entries[slot].lateScrapes += 1 }
                // Keep the phase; skip missed ticks instead of bursting.
                var nextDue = state.entries[slot].nextDue + grid.period
                while nextDue <= now { nextDue = nextDue + grid.period }
                state.entries[slot].nextDue = nextDue
                state.entries[slot].inFlight = true
                state.inFlight += 1
                due.append(state.entries[slot])
            }
            return (due, earliest)
        }
    }

    private func scrape(_ entry: Entry) async {
        let (snapshot, series, failure) = await scraper.scrape(
            entry.target, previousSeries: entry.previousSeries, plan: entry.plan,
            expectedBodySize: entry.lastHealth?.bodyBytes ?? 0
        )
        (failure == nil ? successes : failures).increment()
        durations.recordNanoseconds(Int64(snapshot.health.durationSeconds * 1e9))
        let stillWanted: Bool = state.withLock { state in
            state.inFlight -= 1
            if let retryAfter = failure?.retryAfterSeconds {
                // One throttle per pause: the other scrapes of the same wave that come back with 429 while the
                // cluster is already paused must not stretch the pause further.
                let now = ContinuousClock.now
                if state.pausedUntil.map({ $0 <= now }) ?? true {
                    state.consecutiveThrottles += 1
                    let backoff = min(retryAfter * Double(1 << min(state.consecutiveThrottles - 1, 6)), 120)
                    state.pausedUntil = now + .milliseconds(Int64(backoff * 1000))
                }
            } else if failure?.code != .apiServer {
                state.consecutiveThrottles = 0
            }
            guard let slot = state.slotOf[entry.target.key] else { return false }
            state.entries[slot].inFlight = false
            state.entries[slot].previousSeries = series
            state.entries[slot].lastHealth = snapshot.health
            return true
        }
        if stillWanted { store.replace(snapshot) }
    }
}
