/// SplitMix64: a small seeded generator, so a soak run's choices repeat with its seed.
struct SoakRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A whole number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// A duration between `low` and `high` seconds.
    mutating func seconds(_ low: Double, _ high: Double) -> Duration {
        .milliseconds(Int64(Double.random(in: low...high, using: &self) * 1000))
    }

    /// One element (nil for an empty collection).
    mutating func pick<C: Collection>(_ collection: C) -> C.Element? { collection.randomElement(using: &self) }
}
