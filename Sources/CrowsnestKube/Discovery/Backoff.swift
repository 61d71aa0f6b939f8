/// Jittered exponential backoff: 0.8 s, doubling, capped at 30 s (client-go's watch backoff), each wait stretched
/// by a random factor in [1, 1.5).
struct Backoff: Sendable {
    var initial: Duration
    var maximum: Duration
    private(set) var next: Duration

    init(initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        self.next = initial
    }

    /// The next wait (at least `minimum`, such as a `Retry-After`), and advances.
    mutating func nextWait(atLeast minimum: Duration = .zero) -> Duration {
        let base = next
        next = min(next * 2, maximum)
        let jittered = base * Double.random(in: 1.0..<1.5)
        return max(min(jittered, maximum), minimum)
    }

    /// Back to the initial wait after a success.
    mutating func reset() { next = initial }
}
