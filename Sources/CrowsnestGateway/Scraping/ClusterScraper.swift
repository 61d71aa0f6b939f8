public import CoreMetrics
public import CrowsnestCore
import Synchronization

/// Schedules the scrapes of one cluster's targets: each on its interval, the first scrapes spread over the interval
/// by a stable hash, at most `maxConcurrentScrapes` at once (the API server proxies them all), and paused when the
/// API server asks to slow down (429/503 with `Retry-After`, backing off further while it repeats).
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
        var nextDue: ContinuousClock.Instant
        var inFlight = false
        var previousSeries: SeriesHashes?
        var lastHealth: ScrapeHealth?
        var lateScrapes = 0
        var generation: Int
    }

    private struct State {
        var entries: [TargetKey: Entry] = [:]
        var inFlight = 0
        var pausedUntil: ContinuousClock.Instant?
        var consecutiveThrottles = 0
        var generation = 0
    }

    /// The cluster name.
    public let cluster: String
    private let scraper: TargetScraper
    private let interval: Duration
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
        self.interval = interval
        self.maxConcurrentScrapes = max(1, maxConcurrentScrapes)
        self.store = store
    }

    /// Replaces the target set: new targets are scheduled (spread over the interval), removed ones stop and their
    /// series disappear, changed ones keep their schedule.
    public func update(targets: [ScrapeTarget]) {
        let now = ContinuousClock.now
        let removed: [TargetKey] = state.withLock { state in
            state.generation += 1
            var next: [TargetKey: Entry] = [:]
            for target in targets {
                if var existing = state.entries[target.key] {
                    existing.target = target
                    next[target.key] = existing
                } else {
                    let offset = Double(target.key.stableHash % 1_000_000) / 1_000_000
                    next[target.key] = Entry(target: target, nextDue: now + interval * offset, generation: state.generation)
                }
            }
            let removed = state.entries.keys.filter { next[$0] == nil }
            state.entries = next
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
            state.entries.values.sorted { $0.target.key < $1.target.key }.map {
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
            var candidates: [(nextDue: ContinuousClock.Instant, key: TargetKey)] = []
            for (key, entry) in state.entries where !entry.inFlight {
                if entry.nextDue > now {
                    earliest = min(earliest, entry.nextDue)
                } else {
                    candidates.append((entry.nextDue, key))
                }
            }
            candidates.sort { $0.nextDue < $1.nextDue }
            for (_, key) in candidates {
                guard var entry = state.entries[key] else { continue }
                guard state.inFlight < maxConcurrentScrapes else { break }
                if now - entry.nextDue > .seconds(1) { entry.lateScrapes += 1 }
                // Keep the phase; skip missed ticks instead of bursting.
                entry.nextDue = entry.nextDue + interval
                while entry.nextDue <= now { entry.nextDue = entry.nextDue + interval }
                entry.inFlight = true
                state.inFlight += 1
                state.entries[key] = entry
                due.append(entry)
            }
            return (due, earliest)
        }
    }

    private func scrape(_ entry: Entry) async {
        let (snapshot, series, failure) = await scraper.scrape(entry.target, previousSeries: entry.previousSeries)
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
            guard var current = state.entries[entry.target.key] else { return false }
            current.inFlight = false
            current.previousSeries = series
            current.lastHealth = snapshot.health
            state.entries[entry.target.key] = current
            return true
        }
        if stillWanted { store.replace(snapshot) }
    }
}
