import CrowsnestCore

extension ScrapeScheduler {
    /// One cluster's scrape schedule as a value, every decision taken at an explicit `now`: which targets are due
    /// (on the ``ScrapeGrid``, under the adaptive concurrency limit, ``ScrapeConcurrencyLimit``, skipping missed
    /// ticks and counting them), when to wake up, and how long to pause after the API server throttles (429/503
    /// with `Retry-After`, doubling while it repeats, one pause per wave). ``ScrapeScheduler`` holds it under a lock
    /// and does the I/O; tests drive it directly.
    struct StateMachine: Sendable {
        /// One target's place in the schedule.
        struct Entry: Sendable {
            var target: ScrapeTarget
            /// The request, built once per target version.
            var plan: ScrapePlan
            var nextDue: ContinuousClock.Instant
            var inFlight = false
            var previousSeries: SeriesHashes?
            var lastHealth: ScrapeHealth?
            var lateScrapes = 0
            /// Due scrapes that never ran: ticks passed over because the target's previous scrape, or the limit,
            /// held it past its next due time.
            var skippedScrapes = 0
            /// Bytes of the last successful scrape's snapshot: what the next one's line buffer reserves.
            var lastSnapshotBytes = 0
        }

        /// How a scrape ended, as the schedule needs it.
        struct Outcome: Sendable {
            /// The new series hashes.
            var series: SeriesHashes
            /// The scrape's health.
            var health: ScrapeHealth
            /// Seconds the API server asked to wait (429/503), when it did.
            var retryAfterSeconds: Double?
            /// Whether the API server (not the pod) failed the scrape: such a failure neither pauses nor ends a
            /// throttling streak.
            var apiServerFailure: Bool
            /// How long the scrape took.
            var latency: Duration
            /// Bytes of the snapshot.
            var snapshotBytes = 0
        }

        /// The targets live in an array (`slotOf` maps a key to its index): the scheduler scans due times every
        /// wake-up, and reading `entries[i].nextDue` in place copies nothing, where iterating a dictionary copies
        /// every entry (target, labels, series hashes) with its reference counts.
        private(set) var entries: [Entry] = []
        private(set) var slotOf: [TargetKey: Int] = [:]
        private(set) var inFlight = 0
        private(set) var pausedUntil: ContinuousClock.Instant?
        private(set) var consecutiveThrottles = 0
        let grid: ScrapeGrid
        /// How many scrapes may be out at once.
        private(set) var concurrency: ScrapeConcurrencyLimit
        /// Due scrapes that never ran, over every target so far (`crowsnest_scrapes_skipped_total`).
        private(set) var skippedScrapes = 0
        /// Due scrapes that waited for a slot at the last look (the limit binding).
        private(set) var waiting = 0
        /// The longest sleep between two looks at the schedule.
        static let maximumSleep = Duration.milliseconds(250)
        /// The longest pause after throttling.
        static let maximumPauseSeconds = 120.0

        init(grid: ScrapeGrid, maxConcurrentScrapes: Int) {
            self.grid = grid
            self.concurrency = ScrapeConcurrencyLimit(ceiling: maxConcurrentScrapes)
        }

        /// Replaces the target set: new targets get their first start on the grid, changed ones keep their
        /// schedule (with a new request), removed ones are forgotten. Returns the removed keys.
        mutating func update(targets: [ScrapeTarget], now: ContinuousClock.Instant) -> [TargetKey] {
            var newEntries: [Entry] = []
            var newSlotOf: [TargetKey: Int] = [:]
            newEntries.reserveCapacity(targets.count)
            for target in targets where newSlotOf[target.key] == nil {
                if let slot = slotOf[target.key] {
                    var existing = entries[slot]
                    if existing.target != target {
                        existing.plan = ScrapePlan(target)
                        existing.target = target
                    }
                    newEntries.append(existing)
                } else {
                    let firstDue = grid.firstDue(atOrAfter: now, hash: target.key.stableHash)
                    newEntries.append(Entry(target: target, plan: ScrapePlan(target), nextDue: firstDue))
                }
                newSlotOf[target.key] = newEntries.count - 1
            }
            let removed = slotOf.keys.filter { newSlotOf[$0] == nil }
            entries = newEntries
            slotOf = newSlotOf
            return removed
        }

        /// Marks the due targets in flight, most overdue first and as many as the cap allows, moves each one
        /// interval on (skipping missed ticks instead of bursting), and says when to look again.
        mutating func takeDue(now: ContinuousClock.Instant) -> (due: [Entry], wakeUp: ContinuousClock.Instant) {
            var earliest = now + Self.maximumSleep
            if let paused = pausedUntil, paused > now { return ([], min(paused, earliest)) }
            var due: [Entry] = []
            // One pass finds the due targets and the next wake-up; only the due ones are sorted.
            var candidates: [(nextDue: ContinuousClock.Instant, slot: Int)] = []
            for slot in entries.indices where !entries[slot].inFlight {
                let nextDue = entries[slot].nextDue
                if nextDue > now {
                    earliest = min(earliest, nextDue)
                } else {
                    candidates.append((nextDue, slot))
                }
            }
            candidates.sort { $0.nextDue < $1.nextDue }
            waiting = 0
            for (index, (_, slot)) in candidates.enumerated() {
                guard inFlight < concurrency.limit else {
                    waiting = candidates.count - index
                    concurrency.saturated()
                    break
                }
                // Updated in place: the entry (target, labels, series hashes) is copied once, into `due`.
                if now - entries[slot].nextDue > .seconds(1) { entries[slot].lateScrapes += 1 }
                var nextDue = entries[slot].nextDue + grid.period
                while nextDue <= now {
                    nextDue = nextDue + grid.period
                    entries[slot].skippedScrapes += 1
                    skippedScrapes += 1
                }
                entries[slot].nextDue = nextDue
                entries[slot].inFlight = true
                inFlight += 1
                due.append(entries[slot])
            }
            return (due, earliest)
        }

        /// Records the end of `key`'s scrape. A throttled answer pauses the cluster, once per wave: the other
        /// scrapes of the same wave that come back throttled while the cluster is paused do not stretch the pause.
        /// Returns whether the target is still scheduled (else its snapshot must not be stored).
        mutating func finish(_ key: TargetKey, _ outcome: Outcome, now: ContinuousClock.Instant) -> Bool {
            inFlight -= 1
            concurrency.completed(
                latency: outcome.latency,
                overloaded: outcome.retryAfterSeconds != nil || outcome.apiServerFailure
            )
            if let retryAfter = outcome.retryAfterSeconds {
                if pausedUntil.map({ $0 <= now }) ?? true {
                    consecutiveThrottles += 1
                    let backoff = min(
                        retryAfter * Double(1 << min(consecutiveThrottles - 1, 6)),
                        Self.maximumPauseSeconds
                    )
                    pausedUntil = now + .milliseconds(Int64(backoff * 1000))
                }
            } else if !outcome.apiServerFailure {
                consecutiveThrottles = 0
            }
            guard let slot = slotOf[key] else { return false }
            entries[slot].inFlight = false
            entries[slot].previousSeries = outcome.series
            entries[slot].lastHealth = outcome.health
            if outcome.health.up { entries[slot].lastSnapshotBytes = outcome.snapshotBytes }
            return true
        }

        /// The status of every target, in key order.
        var targetStatuses: [TargetStatus] {
            entries.sorted { $0.target.key < $1.target.key }.map {
                TargetStatus(
                    target: $0.target,
                    lastHealth: $0.lastHealth,
                    lateScrapes: $0.lateScrapes,
                    skippedScrapes: $0.skippedScrapes
                )
            }
        }
    }
}
