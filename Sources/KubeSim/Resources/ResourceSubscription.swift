/// A subscription to a resource store's changes.
struct ResourceSubscription<Object: SimulatedResource>: Sendable {
    var id: Int
    /// Events to send first (the synthetic ADDED burst, or the history after the start resourceVersion).
    var initialEvents: [(WatchEventType, StoredResource<Object>)]
    /// The resourceVersion the initial events bring the watcher to.
    var resourceVersion: Int
    var signals: AsyncStream<ResourceWatchSignal<Object>>
    var continuation: AsyncStream<ResourceWatchSignal<Object>>.Continuation
}
