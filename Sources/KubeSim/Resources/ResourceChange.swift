/// One change in a resource store's history.
struct ResourceChange<Object: SimulatedResource>: Sendable {
    var resourceVersion: Int
    var type: WatchEventType
    var key: String
    /// The object before the change (nil for ADDED).
    var old: StoredResource<Object>?
    /// The object after the change; for DELETED, the last state with the deletion's resourceVersion.
    var new: StoredResource<Object>

    /// The event a watcher with `filter` sees, if any (objects entering or leaving the selection become ADDED or
    /// DELETED, as in the watch cache).
    func event(
        for filter: ResourceFilter,
        kind: ResourceKind<Object>
    ) -> (WatchEventType, StoredResource<Object>)? {
        let newMatches = filter.matches(new.object, kind: kind)
        let oldMatches = old.map { filter.matches($0.object, kind: kind) } ?? false
        switch type {
        case .added: return newMatches ? (.added, new) : nil
        case .deleted: return (oldMatches || newMatches) ? (.deleted, new) : nil
        case .modified:
            switch (oldMatches, newMatches) {
            case (true, true): return (.modified, new)
            case (false, true): return (.added, new)
            case (true, false): return (.deleted, old!.restamped(resourceVersion, kind: kind))
            case (false, false): return nil
            }
        }
    }
}
