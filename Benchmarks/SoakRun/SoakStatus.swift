import Synchronization

/// What the chaos loop is doing now, read by the sampler for the CSV.
final class SoakStatus: Sendable {
    struct Snapshot: Sendable {
        var phase = "warm-up"
        var churnPods = 0
        var activeFaults = 0
        var actionsDone = 0
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}
