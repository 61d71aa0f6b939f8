public import Foundation
import Synchronization

/// The objects of one resource type (Nodes, Services, EndpointSlices) in a simulated cluster: the objects, a
/// `resourceVersion`, a bounded history of changes (what watches resume from, and what makes old
/// resourceVersions expire) and the open watches — the same model as ``PodStore``, for any type.
///
/// Every mutation bumps the resourceVersion and reaches matching watches as ADDED, MODIFIED or DELETED.
public final class ResourceStore<Object: SimulatedResource>: Sendable {
    struct Watcher: Sendable {
        var filter: ResourceFilter
        var continuation: AsyncStream<ResourceWatchSignal<Object>>.Continuation
    }

    struct State: Sendable {
        var objects: [String: StoredResource<Object>] = [:]
        /// Keys in etcd order.
        var sortedKeys: [String] = []
        var resourceVersion: Int
        var history: [ResourceChange<Object>] = []
        /// Changes with a resourceVersion above this are all in `history`.
        var compactedRevision: Int
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 1
    }

    let kind: ResourceKind<Object>
    let state: Mutex<State>
    /// How many changes the history keeps before the oldest are compacted away.
    public let historyLimit: Int
    private let observers = Mutex<[@Sendable () -> Void]>([])

    init(kind: ResourceKind<Object>, initialResourceVersion: Int, historyLimit: Int) {
        self.kind = kind
        self.historyLimit = max(historyLimit, 10)
        state = Mutex(State(resourceVersion: initialResourceVersion, compactedRevision: initialResourceVersion))
    }

    // MARK: - Reading

    /// The current resourceVersion.
    public var resourceVersion: Int { state.withLock { $0.resourceVersion } }

    /// The oldest resourceVersion a watch can still resume from.
    public var oldestResumableResourceVersion: Int { state.withLock { $0.compactedRevision } }

    /// The object `name` (in `namespace`, "" for cluster-scoped objects), if present.
    public func get(_ name: String, namespace: String = "") -> Object? {
        state.withLock { $0.objects[ResourceStore.key(namespace, name)]?.object }
    }

    /// The resourceVersion of the object's last change, if present.
    public func resourceVersion(of name: String, namespace: String = "") -> Int? {
        state.withLock { $0.objects[ResourceStore.key(namespace, name)]?.resourceVersion }
    }

    /// Every object, in etcd order (namespace, then name).
    public func all() -> [Object] {
        state.withLock { state in state.sortedKeys.map { state.objects[$0]!.object } }
    }

    /// How many objects there are.
    public var count: Int { state.withLock { $0.objects.count } }

    /// How many watches are open.
    public var openWatchCount: Int { state.withLock { $0.watchers.count } }

    // MARK: - Mutations

    /// Adds an object (ADDED). Throws when it exists already or is invalid.
    public func add(_ object: Object) throws(KubeSimError) {
        try add(contentsOf: [object])
    }

    /// Adds many objects at once (one ADDED each).
    public func add(contentsOf objects: [Object]) throws(KubeSimError) {
        for object in objects {
            if let problem = kind.validate(object) { throw KubeSimError(.invalid, problem) }
        }
        try state.withLock { state throws(KubeSimError) in
            var seen = Set<String>()
            for object in objects {
                guard state.objects[object.key] == nil, seen.insert(object.key).inserted else {
                    throw KubeSimError(.alreadyExists, alreadyExists(object))
                }
            }
            for object in objects { apply(.added, key: object.key, new: object, in: &state) }
        }
        notifyObservers()
    }

    /// Adds `object`, or replaces the object of that name (MODIFIED) when it differs; returns whether anything
    /// changed.
    @discardableResult
    public func put(_ object: Object, isSame: (Object, Object) -> Bool = { _, _ in false }) throws(KubeSimError) -> Bool
    {
        if let problem = kind.validate(object) { throw KubeSimError(.invalid, problem) }
        let changed = state.withLock { state -> Bool in
            if let existing = state.objects[object.key] {
                if isSame(existing.object, object) { return false }
                apply(.modified, key: object.key, new: object, in: &state)
            } else {
                apply(.added, key: object.key, new: object, in: &state)
            }
            return true
        }
        if changed { notifyObservers() }
        return changed
    }

    /// Changes an object (MODIFIED). The closure may not rename it.
    @discardableResult
    public func update(
        _ name: String,
        namespace: String = "",
        _ change: (inout Object) -> Void
    ) throws(KubeSimError) -> Object {
        let key = ResourceStore.key(namespace, name)
        let updated = try state.withLock { state throws(KubeSimError) -> Object in
            guard var object = state.objects[key]?.object else {
                throw KubeSimError(.notFound, "\(kind.resource) \"\(name)\" not found")
            }
            change(&object)
            guard object.key == key else {
                throw KubeSimError(.invalid, "\(kind.resource) \"\(name)\": an update may not rename the object")
            }
            if let problem = kind.validate(object) { throw KubeSimError(.invalid, problem) }
            apply(.modified, key: key, new: object, in: &state)
            return object
        }
        notifyObservers()
        return updated
    }

    /// Removes an object (DELETED).
    public func delete(_ name: String, namespace: String = "") throws(KubeSimError) {
        let key = ResourceStore.key(namespace, name)
        try state.withLock { state throws(KubeSimError) in
            guard let existing = state.objects[key] else {
                throw KubeSimError(.notFound, "\(kind.resource) \"\(name)\" not found")
            }
            apply(.deleted, key: key, new: existing.object, in: &state)
        }
        notifyObservers()
    }

    /// Removes every object (one DELETED each).
    public func removeAll() {
        state.withLock { state in
            for key in state.sortedKeys {
                apply(.deleted, key: key, new: state.objects[key]!.object, in: &state)
            }
        }
        notifyObservers()
    }

    /// Forgets the whole history, as an etcd compaction does: every watch or paged list from an older
    /// resourceVersion now gets 410 Expired.
    public func compact() {
        state.withLock { state in
            state.history.removeAll()
            state.compactedRevision = state.resourceVersion
        }
    }

    /// Ends every open watch with `mode` (an injected fault).
    public func dropAllWatches(_ mode: WatchDropMode = .endStream) {
        state.withLock { state in
            for watcher in state.watchers.values { watcher.continuation.yield(.drop(mode)) }
        }
    }

    /// Calls `observer` after every mutation (outside the store's lock).
    func observe(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    private func notifyObservers() {
        for observer in observers.withLock({ $0 }) { observer() }
    }

    static func key(_ namespace: String, _ name: String) -> String {
        namespace.isEmpty ? name : namespace + "/" + name
    }

    private func alreadyExists(_ object: Object) -> String {
        object.namespace.isEmpty
            ? "\(kind.resource) \"\(object.name)\" already exists"
            : "\(kind.resource) \"\(object.name)\" already exists in \"\(object.namespace)\""
    }

    /// Applies one change under the lock: bumps the resourceVersion, records history, notifies watchers.
    private func apply(_ type: WatchEventType, key: String, new object: Object, in state: inout State) {
        state.resourceVersion += 1
        let resourceVersion = state.resourceVersion
        let old = state.objects[key]
        let stored = StoredResource(object, resourceVersion: resourceVersion, kind: kind)
        switch type {
        case .added:
            state.objects[key] = stored
            state.sortedKeys.insert(key, at: state.sortedKeys.lowerBound(of: key))
        case .modified:
            state.objects[key] = stored
        case .deleted:
            state.objects[key] = nil
            let index = state.sortedKeys.lowerBound(of: key)
            if index < state.sortedKeys.count, state.sortedKeys[index] == key { state.sortedKeys.remove(at: index) }
        }
        let change = ResourceChange(resourceVersion: resourceVersion, type: type, key: key, old: old, new: stored)
        state.history.append(change)
        if state.history.count > historyLimit {
            let drop = max(state.history.count - historyLimit, historyLimit / 10)
            state.compactedRevision = state.history[drop - 1].resourceVersion
            state.history.removeFirst(drop)
        }
        for watcher in state.watchers.values {
            if let (eventType, object) = change.event(for: watcher.filter, kind: kind) {
                watcher.continuation.yield(.event(eventType, object))
            }
        }
    }
}
