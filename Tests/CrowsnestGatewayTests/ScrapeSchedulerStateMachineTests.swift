import CrowsnestCore
import Testing

@testable import CrowsnestGateway

/// The scrape schedule as a value, driven at explicit instants: no clock, no I/O.
@Suite("Scrape scheduler state machine")
struct ScrapeSchedulerStateMachineTests {
    typealias Machine = ScrapeScheduler.StateMachine
    static let origin = ContinuousClock.now

    static func targets(_ count: Int) -> [ScrapeTarget] {
        (0..<count).map { index in
            ScrapeTarget(
                key: TargetKey(cluster: "c", namespace: "ns", pod: "p-\(index)", port: "9102"),
                labels: [Label("cluster", "c"), Label("namespace", "ns"), Label("pod_name", "p-\(index)")]
            )
        }
    }

    static func outcome(
        up: Bool = true,
        retryAfter: Double? = nil,
        apiServer: Bool = false,
        latency: Duration = .milliseconds(10)
    ) -> Machine.Outcome {
        Machine.Outcome(
            series: SeriesHashes(),
            health: ScrapeHealth(up: up, timestampMilliseconds: 0, durationSeconds: 0.01, samplesScraped: 1),
            retryAfterSeconds: retryAfter,
            apiServerFailure: apiServer,
            latency: latency
        )
    }

    /// A machine on a 5 s grid starting at `origin`.
    static func machine(cap: Int = 32) -> Machine {
        Machine(grid: ScrapeGrid(interval: .seconds(5), origin: origin), maxConcurrentScrapes: cap)
    }

    @Test("every target is due once per interval, on its slot; none twice while in flight")
    func oncePerInterval() {
        var machine = Self.machine()
        let result1 = machine.update(targets: Self.targets(50), now: Self.origin)
        #expect(result1.isEmpty)
        var started: [TargetKey: [ContinuousClock.Instant]] = [:]
        var now = Self.origin
        while now < Self.origin + .seconds(10) {
            let (due, wakeUp) = machine.takeDue(now: now)
            for entry in due {
                started[entry.target.key, default: []].append(now)
                let result2 = machine.finish(entry.target.key, Self.outcome(), now: now)
                #expect(result2)
            }
            #expect(wakeUp > now && wakeUp <= now + Machine.maximumSleep)
            now = wakeUp
        }
        #expect(started.count == 50)
        for starts in started.values {
            #expect(starts.count == 2)
            #expect(starts[1] - starts[0] == .seconds(5))
        }
    }

    @Test("the concurrency cap holds: due targets wait while the cap is reached, most overdue first")
    func cap() {
        var machine = Self.machine(cap: 3)
        _ = machine.update(targets: Self.targets(10), now: Self.origin)
        let late = Self.origin + .seconds(6)  // every target is due
        let (first, _) = machine.takeDue(now: late)
        #expect(first.count == 3)
        let result3 = machine.takeDue(now: late)
        #expect(result3.due.isEmpty)
        let result4 = machine.finish(first[0].target.key, Self.outcome(), now: late)
        #expect(result4)
        let result5 = machine.takeDue(now: late)
        #expect(result5.due.count == 1)
        #expect(machine.inFlight == 3)
    }

    @Test("missed ticks are skipped, not burst, and a start over a second late is counted")
    func missedTicks() {
        var machine = Self.machine()
        _ = machine.update(targets: Self.targets(1), now: Self.origin)
        let muchLater = Self.origin + .seconds(23)
        let (due, _) = machine.takeDue(now: muchLater)
        #expect(due.count == 1)
        _ = machine.finish(due[0].target.key, Self.outcome(), now: muchLater)
        let result6 = machine.takeDue(now: muchLater)
        #expect(result6.due.isEmpty)
        #expect(machine.entries[0].nextDue > muchLater && machine.entries[0].nextDue <= muchLater + .seconds(5))
        #expect(machine.targetStatuses[0].lateScrapes == 1)
        // Due at 0 (or within the first interval), started at 23 s: four ticks were passed over.
        #expect(machine.targetStatuses[0].skippedScrapes == machine.skippedScrapes)
        #expect((3...4).contains(machine.skippedScrapes))
    }

    /// Runs `targets` targets on a 5 s grid for `seconds` simulated seconds, every scrape taking `latency`; returns
    /// the share of due scrapes that ran in the last half (after the limit settled) and the machine.
    static func simulate(
        targets: Int,
        ceiling: Int,
        latency: Duration,
        seconds: Int
    ) -> (share: Double, machine: Machine) {
        var machine = Self.machine(cap: ceiling)
        _ = machine.update(targets: Self.targets(targets), now: Self.origin)
        var out: [(end: ContinuousClock.Instant, key: TargetKey)] = []
        var now = Self.origin
        var wakeUp = Self.origin
        let end = Self.origin + .seconds(seconds)
        let half = Self.origin + .seconds(seconds / 2)
        var started = 0
        while now < end {
            out.sort { $0.end < $1.end }
            while let first = out.first, first.end <= now {
                out.removeFirst()
                _ = machine.finish(first.key, Self.outcome(latency: latency), now: now)
            }
            let (due, next) = machine.takeDue(now: now)
            for entry in due {
                out.append((now + latency, entry.target.key))
                if now >= half { started += 1 }
            }
            wakeUp = next
            now = min(wakeUp, out.map(\.end).min() ?? wakeUp)
        }
        let dueInHalf = Double(targets) * Double(seconds / 2) / 5
        return (Double(started) / dueInHalf, machine)
    }

    @Test("behind a slow proxy the limit grows until every due scrape runs; a fixed cap falls behind and says so")
    func slowProxy() {
        // 1,000 targets every 5 s, each scrape 250 ms: about 50 must be out at once.
        let adaptive = Self.simulate(targets: 1000, ceiling: 256, latency: .milliseconds(250), seconds: 120)
        #expect(adaptive.share >= 0.99, "\(adaptive.share)")
        #expect(adaptive.machine.concurrency.limit > 50 && adaptive.machine.concurrency.limit <= 256)
        let fixed = Self.simulate(targets: 1000, ceiling: 32, latency: .milliseconds(250), seconds: 120)
        #expect(fixed.share < 0.7, "\(fixed.share)")
        #expect(fixed.machine.concurrency.limit == 32)
        #expect(fixed.machine.skippedScrapes > 1000, "the skipped scrapes are counted")
        // Fast scrapes: the limit grows only past the largest burst (50 targets share each 250 ms slot), a step at
        // most beyond it.
        let fast = Self.simulate(targets: 1000, ceiling: 256, latency: .milliseconds(20), seconds: 60)
        #expect(fast.share >= 0.99)
        #expect(fast.machine.concurrency.limit < 50 * 5 / 4 + 20, "\(fast.machine.concurrency.limit)")
        #expect(fast.machine.skippedScrapes == 0)
    }

    @Test("one 429 wave gives one pause; a repeat doubles it; a pod's own failure ends the streak")
    func throttling() {
        var machine = Self.machine()
        _ = machine.update(targets: Self.targets(5), now: Self.origin)
        let now = Self.origin + .seconds(6)
        let wave = machine.takeDue(now: now).due
        #expect(wave.count == 5)
        for entry in wave {
            _ = machine.finish(entry.target.key, Self.outcome(up: false, retryAfter: 2, apiServer: true), now: now)
        }
        #expect(machine.consecutiveThrottles == 1)
        #expect(machine.pausedUntil == now + .seconds(2))
        let result7 = machine.takeDue(now: now + .seconds(1))
        #expect(result7.due.isEmpty)
        // After the pause, the next wave is throttled again: the pause doubles.
        let later = now + .seconds(12)
        let second = machine.takeDue(now: later).due
        #expect(second.count == 5)
        _ = machine.finish(second[0].target.key, Self.outcome(up: false, retryAfter: 2, apiServer: true), now: later)
        #expect(machine.pausedUntil == later + .seconds(4))
        // An API-server failure without Retry-After keeps the streak; a pod's own answer ends it.
        _ = machine.finish(second[1].target.key, Self.outcome(up: false, apiServer: true), now: later)
        #expect(machine.consecutiveThrottles == 2)
        _ = machine.finish(second[2].target.key, Self.outcome(up: false), now: later)
        #expect(machine.consecutiveThrottles == 0)
    }

    @Test("a removed target's scrape is not kept; a changed target keeps its schedule with a new request")
    func updates() {
        var machine = Self.machine()
        var targets = Self.targets(2)
        _ = machine.update(targets: targets, now: Self.origin)
        let due = machine.takeDue(now: Self.origin + .seconds(6)).due
        let result8 = machine.update(targets: [targets[1]], now: Self.origin + .seconds(6))
        #expect(result8 == [targets[0].key])
        let result9 = machine.finish(targets[0].key, Self.outcome(), now: Self.origin + .seconds(6))
        #expect(!result9)
        #expect(due.count == 2)
        let result10 = machine.finish(targets[1].key, Self.outcome(), now: Self.origin + .seconds(6))
        #expect(result10)
        let before = machine.entries[0].nextDue
        targets[1].path = "/other"
        _ = machine.update(targets: [targets[1]], now: Self.origin + .seconds(7))
        #expect(machine.entries[0].nextDue == before)
        #expect(machine.entries[0].target.path == "/other")
        #expect(machine.targetStatuses.map(\.lastHealth?.up) == [true])
    }
}
