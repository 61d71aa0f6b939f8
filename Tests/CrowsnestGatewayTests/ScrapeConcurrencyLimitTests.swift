import Testing

@testable import CrowsnestGateway

/// The adaptive concurrency limit as a value: grows while scrapes wait and latency holds, shrinks when the API
/// server queues or throttles, within 1…ceiling.
@Suite("Scrape concurrency limit")
struct ScrapeConcurrencyLimitTests {
    /// Completes `count` scrapes of `latency`, saturated (scrapes waiting) or not.
    static func run(
        _ limit: inout ScrapeConcurrencyLimit,
        _ count: Int,
        latency: Duration,
        saturated: Bool,
        overloaded: Bool = false
    ) {
        for _ in 0..<count {
            if saturated { limit.saturated() }
            limit.completed(latency: latency, overloaded: overloaded)
        }
    }

    @Test("starts at 32 (or the ceiling); grows by a quarter per window while scrapes wait, up to the ceiling")
    func growth() {
        #expect(ScrapeConcurrencyLimit(ceiling: 8).limit == 8)
        #expect(ScrapeConcurrencyLimit(ceiling: 0).limit == 1)
        var limit = ScrapeConcurrencyLimit(ceiling: 100)
        #expect(limit.limit == 32)
        Self.run(&limit, 32, latency: .milliseconds(250), saturated: true)
        #expect(limit.limit == 40)
        Self.run(&limit, 40, latency: .milliseconds(250), saturated: true)
        #expect(limit.limit == 50)
        Self.run(&limit, 1000, latency: .milliseconds(250), saturated: true)
        #expect(limit.limit == 100)
        // Nobody waits: no growth.
        var idle = ScrapeConcurrencyLimit(ceiling: 100)
        Self.run(&idle, 500, latency: .milliseconds(250), saturated: false)
        #expect(idle.limit == 32)
    }

    @Test("latency three times its floor shrinks the limit by an eighth, never below its start; 2× stops growth")
    func queueing() {
        var limit = ScrapeConcurrencyLimit(ceiling: 100)
        Self.run(&limit, 32, latency: .milliseconds(100), saturated: true)
        #expect(limit.limit == 40)
        Self.run(&limit, 40, latency: .milliseconds(250), saturated: true)
        #expect(limit.limit == 40, "2.5× the floor: held")
        Self.run(&limit, 40, latency: .milliseconds(400), saturated: true)
        #expect(limit.limit == 35, "4× the floor: an eighth off")
        // A busy machine: latency ten times the floor. The limit falls to its start, never below; once the floor
        // has drifted up to the new latency (5 % a window), it may grow again.
        var lowest = limit.limit
        for _ in 0..<3000 {
            Self.run(&limit, 1, latency: .seconds(1), saturated: true)
            lowest = min(lowest, limit.limit)
        }
        #expect(lowest == 32)
    }

    @Test("after a throttle the limit grows back to its start while scrapes wait, whatever the latency")
    func recovery() {
        var limit = ScrapeConcurrencyLimit(ceiling: 100)
        Self.run(&limit, 4, latency: .milliseconds(10), saturated: true)
        for _ in 0..<6 { Self.run(&limit, 40, latency: .milliseconds(10), saturated: false, overloaded: true) }
        #expect(limit.limit == 1)
        Self.run(&limit, 400, latency: .seconds(1), saturated: true)
        #expect(limit.limit == 32, "back at the start, not beyond: latency is 100× the floor")
    }

    @Test("a throttled or API-server-failed scrape halves the limit once per window, never below 1")
    func overload() {
        var limit = ScrapeConcurrencyLimit(ceiling: 100)
        Self.run(&limit, 5, latency: .milliseconds(100), saturated: true, overloaded: true)
        #expect(limit.limit == 16, "one halving for the whole wave")
        for _ in 0..<20 { Self.run(&limit, 40, latency: .milliseconds(100), saturated: false, overloaded: true) }
        #expect(limit.limit == 1)
        Self.run(&limit, 8, latency: .milliseconds(100), saturated: true)
        #expect(limit.limit == 2, "and it grows back once the server recovers")
    }
}
