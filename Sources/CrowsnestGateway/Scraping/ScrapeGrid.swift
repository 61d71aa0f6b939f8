/// When a cluster's scrapes start: the interval cut into slots of about 250 ms, each target in one slot chosen by
/// a stable hash.
///
/// A target keeps its slot from one interval to the next, so its scrapes stay exactly one interval apart, and the
/// targets of a slot start together on one wake-up of the scheduler. Each wake-up costs a timer and thread
/// hand-overs; with targets a few milliseconds apart (100 targets on a 5 s interval) those cost more CPU than the
/// scrapes' own work (`Benchmarks/scrape-cost.sh`). Every grid of a process has the same origin, so clusters with
/// the same tick wake up together as well.
struct ScrapeGrid: Sendable, Equatable {
    /// The shortest slot.
    static let minimumTick = Duration.milliseconds(250)
    /// Where every grid starts: the first use in the process (a constant from then on).
    static let sharedOrigin = ContinuousClock.now

    /// Where the grid starts.
    let origin: ContinuousClock.Instant
    /// The slot length.
    let tick: Duration
    /// Slots per interval (at least one).
    let slots: Int

    /// The grid of `interval`: as many slots of at least ``minimumTick`` as fit (one for a shorter interval; an
    /// interval under a millisecond, which configuration refuses, counts as one).
    init(interval: Duration, origin: ContinuousClock.Instant = ScrapeGrid.sharedOrigin) {
        let interval = max(interval, .milliseconds(1))
        self.origin = origin
        let fitting = Int((interval / Self.minimumTick).rounded(.down))
        self.slots = max(1, fitting)
        self.tick = interval / slots
    }

    /// The interval as the grid keeps it (`tick × slots`, so due times stay on the grid).
    var period: Duration { tick * slots }

    /// The slot of a target hash. The hash is mixed first: `--shard` derives the owner from the same hash, and a
    /// shard's targets must still spread over every slot.
    func slot(of hash: UInt64) -> Int {
        Int(((hash &* 0x9E37_79B9_7F4A_7C15) >> 32) % UInt64(slots))
    }

    /// The first start at or after `now` in the slot of `hash`.
    func firstDue(atOrAfter now: ContinuousClock.Instant, hash: UInt64) -> ContinuousClock.Instant {
        let elapsedTicks = max(0, Int(((now - origin) / tick).rounded(.up)))
        let slot = slot(of: hash)
        let ahead = ((slot - elapsedTicks) % slots + slots) % slots
        return origin + tick * (elapsedTicks + ahead)
    }
}
