public import CoreMetrics
public import CrowsnestCore
import Synchronization

/// Schedules the scrapes of one cluster's targets: each on its interval, spread over the interval by a stable hash
/// in slots of about 250 ms (``ScrapeGrid``), as many at once as the API server sustains (``ScrapeConcurrencyLimit``,
/// at most `maxConcurrentScrapes`: the API server proxies them all), and paused when the API server asks to slow down (429/503 with `Retry-After`, backing off further while it
/// repeats).
public final class ScrapeScheduler: Sendable {
    /// What the health pages show for one target.
    public struct TargetStatus: Sendable {
        /// The target.
        public var target: ScrapeTarget
        /// The last scrape, if any.
        public var lastHealth: ScrapeHealth?
        /// Scrapes started later than their due time by more than a second.
        public var lateScrapes: Int
        /// Due scrapes that never ran (the previous one, or the concurrency limit, held them past their time).
        public var skippedScrapes: Int
    }

    /// How the cluster's scrapes keep up: the adaptive concurrency limit and what it holds back.
    public struct Pace: Sendable, Hashable, Codable {
        /// Scrapes allowed out at once now.
        public var concurrencyLimit: Int
        /// The most the limit may grow to (`max_concurrent_scrapes`).
        public var concurrencyCeiling: Int
        /// Scrapes out now.
        public var inFlight: Int
        /// Due scrapes that waited for a slot at the last look.
        public var waiting: Int
        /// Due scrapes that never ran, since the cluster started.
        public var skippedScrapes: Int
    }

    /// The cluster name.
    public let cluster: String
    private let scraper: TargetScraper
    private let store: SnapshotStore
    private let successes: Counter
    private let failures: Counter
    private let durations: Timer
    private let state: Mutex<StateMachine>

    /// Creates a scheduler for one cluster; `metricsFactory` receives `crowsnest_scrapes_total{cluster,result}` and
    /// `crowsnest_scrape_duration_seconds{cluster}`.
    public init(
        cluster: String,
        scraper: TargetScraper,
        interval: Duration,
        maxConcurrentScrapes: Int,
        store: SnapshotStore,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        let dimensions = [("cluster", cluster)]
        self.successes = Counter(
            label: OwnMetric.scrapes.name,
            dimensions: dimensions + [("result", "success")],
            factory: metricsFactory
        )
        self.failures = Counter(
            label: OwnMetric.scrapes.name,
            dimensions: dimensions + [("result", "failure")],
            factory: metricsFactory
        )
        self.durations = Timer(label: OwnMetric.scrapeDuration.name, dimensions: dimensions, factory: metricsFactory)
        self.cluster = cluster
        self.scraper = scraper
        self.state = Mutex(
            StateMachine(grid: ScrapeGrid(interval: interval), maxConcurrentScrapes: maxConcurrentScrapes)
        )
        self.store = store
    }

    /// Replaces the target set: new targets are scheduled (spread over the interval), removed ones stop and their
    /// series disappear, changed ones keep their schedule.
    public func update(targets: [ScrapeTarget]) {
        let now = ContinuousClock.now
        let removed = state.withLock { $0.update(targets: targets, now: now) }
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
    public var targetStatuses: [TargetStatus] { state.withLock { $0.targetStatuses } }

    /// How the scrapes keep up now.
    public var pace: Pace {
        state.withLock { machine in
            Pace(
                concurrencyLimit: machine.concurrency.limit,
                concurrencyCeiling: machine.concurrency.ceiling,
                inFlight: machine.inFlight,
                waiting: machine.waiting,
                skippedScrapes: machine.skippedScrapes
            )
        }
    }

    /// Runs the schedule until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = ContinuousClock.now
                let (due, wakeUp) = state.withLock { $0.takeDue(now: now) }
                for entry in due {
                    group.addTask { await self.scrape(entry) }
                }
                let sleep = min(max(wakeUp - now, .milliseconds(5)), StateMachine.maximumSleep)
                do { try await Task.sleep(for: sleep) } catch { break }
            }
            group.cancelAll()
        }
    }

    private func scrape(_ entry: StateMachine.Entry) async {
        let (snapshot, series, failure) = await scraper.scrape(
            entry.target,
            previousSeries: entry.previousSeries,
            plan: entry.plan,
            expectedBodySize: entry.lastHealth?.bodyBytes ?? 0,
            expectedSnapshotSize: entry.lastSnapshotBytes
        )
        (failure == nil ? successes : failures).increment()
        durations.recordNanoseconds(Int64(snapshot.health.durationSeconds * 1e9))
        let outcome = StateMachine.Outcome(
            series: series,
            health: snapshot.health,
            retryAfterSeconds: failure?.retryAfterSeconds,
            apiServerFailure: failure?.code == .apiServer,
            latency: .nanoseconds(Int64(snapshot.health.durationSeconds * 1e9)),
            snapshotBytes: snapshot.textCount
        )
        let now = ContinuousClock.now
        let stillWanted = state.withLock { $0.finish(entry.target.key, outcome, now: now) }
        if stillWanted { store.replace(snapshot) }
    }
}
