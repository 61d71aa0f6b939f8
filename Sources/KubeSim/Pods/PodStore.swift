public import Foundation
import Synchronization

/// The pods of one simulated cluster: the objects, a global `resourceVersion`, a bounded history of changes
/// (what watches resume from and what makes old resourceVersions expire), and the open watches.
///
/// Every mutation bumps the resourceVersion and is delivered to matching watches as ADDED, MODIFIED or DELETED.
public final class PodStore: Sendable {
    struct Watcher: Sendable {
        var filter: PodFilter
        var continuation: AsyncStream<WatchSignal>.Continuation
    }

    struct State: Sendable {
        var pods: [String: StoredPod] = [:]
        /// Keys in etcd order.
        var sortedKeys: [String] = []
        var resourceVersion: Int
        var history: [PodChange] = []
        /// Changes with a resourceVersion above this are all in `history`.
        var compactedRevision: Int
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 1
        var nextIP = 0
        var extraNamespaces: Set<String> = []
    }

    let state: Mutex<State>
    /// How many changes the history keeps before the oldest are compacted away.
    public let historyLimit: Int
    /// Called after every mutation, outside the lock (the simulated EndpointSlice controller).
    private let observers = Mutex<[@Sendable () -> Void]>([])

    /// Creates an empty store whose resourceVersions start above `initialResourceVersion`.
    public init(initialResourceVersion: Int = 1000, historyLimit: Int = 5000) {
        self.historyLimit = max(historyLimit, 10)
        state = Mutex(State(resourceVersion: initialResourceVersion, compactedRevision: initialResourceVersion))
    }

    // MARK: - Reading

    /// The current resourceVersion.
    public var resourceVersion: Int { state.withLock { $0.resourceVersion } }

    /// The oldest resourceVersion a watch can still resume from.
    public var oldestResumableResourceVersion: Int { state.withLock { $0.compactedRevision } }

    /// The pod `namespace/name`, if present.
    public func get(namespace: String, name: String) -> SimulatedPod? {
        state.withLock { $0.pods[namespace + "/" + name]?.pod }
    }

    /// The resourceVersion of the pod's last change, if present.
    public func resourceVersion(namespace: String, name: String) -> Int? {
        state.withLock { $0.pods[namespace + "/" + name]?.resourceVersion }
    }

    /// Every pod, in etcd order (namespace, then name).
    public func all() -> [SimulatedPod] {
        state.withLock { state in state.sortedKeys.map { state.pods[$0]!.pod } }
    }

    /// How many pods there are.
    public var count: Int { state.withLock { $0.pods.count } }

    /// The namespaces that hold pods, plus those created with ``createNamespace(_:)``, sorted.
    public func namespaces() -> [String] {
        state.withLock { state in
            Set(state.pods.values.map(\.pod.namespace)).union(state.extraNamespaces).sorted()
        }
    }

    /// Declares a namespace that may hold no pods (so `GET /api/v1/namespaces/NS` finds it).
    public func createNamespace(_ name: String) {
        _ = state.withLock { $0.extraNamespaces.insert(name) }
    }

    /// How many watches are open.
    public var openWatchCount: Int { state.withLock { $0.watchers.count } }

    /// A fresh pod IP (`10.244.x.y`), unique within this store.
    public func allocatePodIP() -> String {
        state.withLock { state in
            let index = state.nextIP
            state.nextIP += 1
            return "10.244.\(index / 250).\(index % 250 + 2)"
        }
    }

    // MARK: - Mutations

    /// Adds a pod (ADDED). Throws when it exists already or its name is invalid.
    @discardableResult
    public func add(_ pod: SimulatedPod) throws(KubeSimError) -> SimulatedPod {
        try validate(pod)
        var pod = pod
        if pod.uid.isEmpty { pod.uid = UUID().uuidString.lowercased() }
        let stored = pod
        try state.withLock { state throws(KubeSimError) in
            guard state.pods[stored.key] == nil else {
                throw KubeSimError(.alreadyExists, "pods \"\(stored.name)\" already exists in \"\(stored.namespace)\"")
            }
            PodStore.apply(.added, key: stored.key, new: stored, in: &state, historyLimit: historyLimit)
        }
        notifyObservers()
        return stored
    }

    /// Adds many pods at once (one ADDED each); faster than repeated ``add(_:)`` for large topologies.
    public func add(contentsOf pods: [SimulatedPod]) throws(KubeSimError) {
        for pod in pods { try validate(pod) }
        try state.withLock { state throws(KubeSimError) in
            for var pod in pods {
                if pod.uid.isEmpty { pod.uid = UUID().uuidString.lowercased() }
                guard state.pods[pod.key] == nil else {
                    throw KubeSimError(.alreadyExists, "pods \"\(pod.name)\" already exists in \"\(pod.namespace)\"")
                }
                PodStore.apply(.added, key: pod.key, new: pod, in: &state, historyLimit: historyLimit)
            }
        }
        notifyObservers()
    }

    /// Changes a pod (MODIFIED). The closure may not rename it.
    @discardableResult
    public func update(
        namespace: String,
        name: String,
        _ change: (inout SimulatedPod) -> Void
    ) throws(KubeSimError) -> SimulatedPod {
        let key = namespace + "/" + name
        let updated = try state.withLock { state throws(KubeSimError) -> SimulatedPod in
            guard var pod = state.pods[key]?.pod else {
                throw KubeSimError(.notFound, "pods \"\(name)\" not found")
            }
            change(&pod)
            pod.namespace = namespace
            pod.name = name
            PodStore.apply(.modified, key: key, new: pod, in: &state, historyLimit: historyLimit)
            return pod
        }
        notifyObservers()
        return updated
    }

    /// Starts a graceful deletion: sets `deletionTimestamp` (MODIFIED); the pod keeps its phase until
    /// ``delete(namespace:name:)`` removes it.
    @discardableResult
    public func beginDeletion(
        namespace: String,
        name: String,
        at date: Date = Date()
    ) throws(KubeSimError) -> SimulatedPod {
        try update(namespace: namespace, name: name) { $0.deletionTimestamp = date }
    }

    /// Removes a pod (DELETED).
    public func delete(namespace: String, name: String) throws(KubeSimError) {
        let key = namespace + "/" + name
        try state.withLock { state throws(KubeSimError) in
            guard let existing = state.pods[key] else {
                throw KubeSimError(.notFound, "pods \"\(name)\" not found")
            }
            PodStore.apply(.deleted, key: key, new: existing.pod, in: &state, historyLimit: historyLimit)
        }
        notifyObservers()
    }

    /// Removes every pod (one DELETED each).
    public func removeAll() {
        state.withLock { state in
            for key in state.sortedKeys {
                let pod = state.pods[key]!.pod
                PodStore.apply(.deleted, key: key, new: pod, in: &state, historyLimit: historyLimit)
            }
        }
        notifyObservers()
    }

    /// Calls `observer` after every mutation, outside the store's lock.
    func observe(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    private func notifyObservers() {
        for observer in observers.withLock({ $0 }) { observer() }
    }

    /// Forgets the whole history, as an etcd compaction does: every watch or paged list from an older
    /// resourceVersion now gets 410 Expired.
    public func compact() {
        state.withLock { state in
            state.history.removeAll()
            state.compactedRevision = state.resourceVersion
        }
    }

    /// Bumps the resourceVersion without changing a pod (a change to some other object in the cluster).
    public func bumpResourceVersion(by amount: Int = 1) {
        state.withLock { $0.resourceVersion += max(amount, 0) }
    }

    private func validate(_ pod: SimulatedPod) throws(KubeSimError) {
        guard LabelValidation.isDNSSubdomain(Substring(pod.name)) else {
            throw KubeSimError(.invalid, "invalid pod name \"\(pod.name)\": must be a lowercase RFC 1123 subdomain")
        }
        guard LabelValidation.isDNSSubdomain(Substring(pod.namespace)), pod.namespace.utf8.count <= 63,
            !pod.namespace.contains(".")
        else {
            throw KubeSimError(.invalid, "invalid namespace \"\(pod.namespace)\": must be a lowercase RFC 1123 label")
        }
        for backend in pod.backends.values {
            if case .address(let host, _) = backend, !PodBackend.isLoopback(host) {
                throw KubeSimError(.invalid, "backend address \(host) is not a loopback address")
            }
        }
    }

    /// Applies one change under the lock: bumps the resourceVersion, records history, notifies watchers.
    private static func apply(
        _ type: WatchEventType,
        key: String,
        new pod: SimulatedPod,
        in state: inout State,
        historyLimit: Int
    ) {
        state.resourceVersion += 1
        let resourceVersion = state.resourceVersion
        let old = state.pods[key]
        let stored = StoredPod(pod: pod, resourceVersion: resourceVersion)
        switch type {
        case .added:
            state.pods[key] = stored
            let index = state.sortedKeys.lowerBound(of: key)
            state.sortedKeys.insert(key, at: index)
        case .modified:
            state.pods[key] = stored
        case .deleted:
            state.pods[key] = nil
            let index = state.sortedKeys.lowerBound(of: key)
            if index < state.sortedKeys.count, state.sortedKeys[index] == key { state.sortedKeys.remove(at: index) }
        }
        let change = PodChange(resourceVersion: resourceVersion, type: type, key: key, old: old, new: stored)
        state.history.append(change)
        if state.history.count > historyLimit {
            let drop = max(state.history.count - historyLimit, historyLimit / 10)
            state.compactedRevision = state.history[drop - 1].resourceVersion
            state.history.removeFirst(drop)
        }
        for watcher in state.watchers.values {
            if let (eventType, object) = change.event(for: watcher.filter) {
                watcher.continuation.yield(.event(eventType, object))
            }
        }
    }
}

extension Array where Element == String {
    /// The first index whose element is not less than `key` (binary search on a sorted array).
    func lowerBound(of key: String) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
