/// What a running watch of a resource receives.
enum ResourceWatchSignal<Object: SimulatedResource>: Sendable {
    case event(WatchEventType, StoredResource<Object>)
    case bookmark(resourceVersion: Int, initialEventsEnd: Bool)
    case drop(WatchDropMode)
    case deadline
    case clientClosed
}
