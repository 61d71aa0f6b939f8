import KubeSim

/// KubeSim's SplitMix64 seeded with the run's seed as its state, so a soak run's choices repeat with its seed.
struct SoakRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(state: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// A whole number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// A duration between `low` and `high` seconds.
    mutating func seconds(_ low: Double, _ high: Double) -> Duration {
        .milliseconds(Int64(Double.random(in: low...high, using: &self) * 1000))
    }

    /// One element (nil for an empty collection).
    mutating func pick<C: Collection>(_ collection: C) -> C.Element? { collection.randomElement(using: &self) }
}
