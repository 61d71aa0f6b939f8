import CrowsnestCore
import Testing

@testable import CrowsnestGateway

/// The scrape grid: slots of at least 250 ms, every target's starts on its slot one interval apart, spread by hash
/// (also within a shard).
@Suite("Scrape grid")
struct ScrapeGridTests {
    /// Deterministic pseudo-random hashes (SplitMix64).
    static func hashes(_ count: Int, seed: UInt64 = 7) -> [UInt64] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(
        "slots of at least 250 ms fill the interval",
        arguments: [
            (Duration.seconds(5), 20), (.seconds(30), 120), (.milliseconds(7300), 29), (.milliseconds(100), 1),
            (.milliseconds(499), 1),
        ]
    )
    func slots(interval: Duration, slots: Int) {
        let grid = ScrapeGrid(interval: interval, origin: .now)
        #expect(grid.slots == slots)
        #expect(grid.tick >= min(interval, ScrapeGrid.minimumTick))
        // The period is the interval up to rounding of the division (attoseconds).
        #expect(abs((grid.period - interval) / .nanoseconds(1)) < 1)
    }

    @Test("an interval of zero, which configuration refuses, still makes a usable grid")
    func zeroInterval() {
        let grid = ScrapeGrid(interval: .zero, origin: .now)
        #expect(grid.slots == 1 && grid.tick == .milliseconds(1))
        let now = ContinuousClock.now
        #expect(grid.firstDue(atOrAfter: now, hash: 42) - now <= .milliseconds(1))
    }

    @Test("first starts lie on the target's slot, within one interval, at or after now")
    func firstStarts() {
        let origin = ContinuousClock.now - .seconds(1000)
        let grid = ScrapeGrid(interval: .seconds(5), origin: origin)
        let nows = [
            origin, origin + .milliseconds(1), origin + .milliseconds(250),
            origin + .seconds(4321) + .milliseconds(137),
        ]
        for hash in Self.hashes(200) {
            var starts: [ContinuousClock.Instant] = []
            for now in nows {
                let due = grid.firstDue(atOrAfter: now, hash: hash)
                #expect(due >= now - .nanoseconds(1))
                #expect(due - now < grid.period)
                let ticks = (due - origin) / grid.tick
                #expect(abs(ticks - ticks.rounded()) < 1e-6, "on the grid")
                #expect(Int(ticks.rounded()) % grid.slots == grid.slot(of: hash), "in the target's slot")
                starts.append(due)
            }
            // From any `now`, the starts of one target are whole intervals apart.
            for start in starts.dropFirst() {
                let periods = (start - starts[0]) / grid.period
                #expect(abs(periods - periods.rounded()) < 1e-6)
            }
        }
    }

    @Test("targets spread over every slot, also the targets of one shard", arguments: [1, 2, 4, 20])
    func spread(shards: Int) {
        let grid = ScrapeGrid(interval: .seconds(5), origin: .now)
        let shardHashes = Self.hashes(4000).filter { $0 % UInt64(shards) == 0 }
        var counts = [Int](repeating: 0, count: grid.slots)
        for hash in shardHashes { counts[grid.slot(of: hash)] += 1 }
        let mean = Double(shardHashes.count) / Double(grid.slots)
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
        #expect(counts.allSatisfy { Double($0) < 2 * mean }, "\(counts)")
    }
}
