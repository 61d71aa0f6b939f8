import Synchronization

/// Where a watch starts.
enum WatchStart: Sendable, Equatable {
    /// resourceVersion unset or "0": synthetic ADDED for every current object, then changes.
    case currentState
    /// resourceVersion X: only changes after X.
    case after(Int)
}

/// A subscription to the store's changes.
struct WatchSubscription: Sendable {
    var id: Int
    /// Events to send first (the synthetic ADDED burst, or the history after the start resourceVersion).
    var initialEvents: [(WatchEventType, StoredPod)]
    /// The resourceVersion the initial events bring the watcher to.
    var resourceVersion: Int
    var signals: AsyncStream<WatchSignal>
    var continuation: AsyncStream<WatchSignal>.Continuation
}

extension PodStore {
    /// Registers a watch atomically with reading its starting point, so no change falls between the two.
    /// Fails with `.expired` when `start` is older than the history.
    func subscribe(filter: PodFilter, start: WatchStart) -> Result<WatchSubscription, PodListFailure> {
        let (signals, continuation) = AsyncStream<WatchSignal>.makeStream()
        return state.withLock { state in
            var initial: [(WatchEventType, StoredPod)] = []
            switch start {
            case .currentState:
                for key in state.sortedKeys {
                    let stored = state.pods[key]!
                    if filter.matches(stored.pod) { initial.append((.added, stored)) }
                }
            case .after(let resourceVersion):
                if resourceVersion < state.compactedRevision {
                    return .failure(.expired(oldest: state.compactedRevision))
                }
                for change in state.history where change.resourceVersion > resourceVersion {
                    if let event = change.event(for: filter) { initial.append(event) }
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(filter: filter, continuation: continuation)
            return .success(
                WatchSubscription(
                    id: id,
                    initialEvents: initial,
                    resourceVersion: state.resourceVersion,
                    signals: signals,
                    continuation: continuation
                )
            )
        }
    }

    /// Removes a watch.
    func unsubscribe(_ id: Int) {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
        watcher?.continuation.finish()
    }

    /// Sends a BOOKMARK carrying the current resourceVersion to one watch (ordered after every event it has
    /// been sent, since both are yielded under the same lock).
    func sendBookmark(to id: Int) {
        state.withLock { state in
            _ = state.watchers[id]?.continuation.yield(
                .bookmark(resourceVersion: state.resourceVersion, initialEventsEnd: false)
            )
        }
    }

    /// Ends every open watch with `mode` (an injected fault).
    public func dropAllWatches(_ mode: WatchDropMode = .endStream) {
        state.withLock { state in
            for watcher in state.watchers.values { watcher.continuation.yield(.drop(mode)) }
        }
    }
}
