import CrowsnestCore
import Synchronization

/// A token-bucket request-rate limit (client-go's default: 5 requests per second, bursts of 10), for API calls.
/// Callers reserve a slot and sleep until it comes; the bucket never blocks a thread.
final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let ratePerSecond: Double
    let burst: Double
    private let state: Mutex<State>

    init(ratePerSecond: Double = 5, burst: Int = 10) {
        self.ratePerSecond = max(ratePerSecond, 0.001)
        self.burst = Double(max(burst, 1))
        state = Mutex(State(tokens: Double(max(burst, 1)), updated: .now))
    }

    /// Reserves one request and returns how long to wait before sending it.
    func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in
            let elapsed = now - state.updated
            let seconds = elapsed.inSeconds
            state.tokens = min(burst, state.tokens + max(0, seconds) * ratePerSecond)
            state.updated = now
            state.tokens -= 1
            if state.tokens >= 0 { return .zero }
            return .milliseconds(Int64((-state.tokens / ratePerSecond * 1000).rounded(.up)))
        }
    }

    /// Waits for a slot (throws on cancellation).
    func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
