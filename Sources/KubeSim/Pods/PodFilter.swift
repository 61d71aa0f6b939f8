/// What a list or watch selects: an optional namespace plus label and field selectors.
struct PodFilter: Sendable {
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything

    /// Whether no selector restricts the result (apimachinery's `pred.Empty()`); the namespace is not a selector.
    var hasNoSelectors: Bool { labels.isEmpty && fields.isEmpty }

    func matches(_ pod: SimulatedPod) -> Bool {
        if let namespace, pod.namespace != namespace { return false }
        if !labels.isEmpty, !labels.matches(pod.labels) { return false }
        if !fields.isEmpty, !fields.matches(pod.fieldValues) { return false }
        return true
    }
}

/// The type of a watch event.
enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// A pod as stored: the object, the resourceVersion of its last change, and its rendered list-item JSON.
struct StoredPod: Sendable {
    var pod: SimulatedPod
    var resourceVersion: Int
    /// The `v1.Pod` JSON without `kind`/`apiVersion` (list-item form), rendered once per version.
    var json: [UInt8]

    init(pod: SimulatedPod, resourceVersion: Int) {
        self.pod = pod
        self.resourceVersion = resourceVersion
        self.json = pod.json(resourceVersion: resourceVersion, typeMeta: false).encoded()
    }

    /// The same object carrying `kind`/`apiVersion` (watch-event form).
    var jsonWithTypeMeta: [UInt8] {
        var bytes = Array(#"{"kind":"Pod","apiVersion":"v1","#.utf8)
        bytes.reserveCapacity(bytes.count + json.count)
        bytes.append(contentsOf: json.dropFirst())
        return bytes
    }
}

/// One change in the store's history.
struct PodChange: Sendable {
    var resourceVersion: Int
    var type: WatchEventType
    var key: String
    /// The object before the change (nil for ADDED).
    var old: StoredPod?
    /// The object after the change; for DELETED, the last state with the deletion's resourceVersion.
    var new: StoredPod

    /// The event a watcher with `filter` sees, if any (objects entering or leaving the selection become
    /// ADDED / DELETED, as in the watch cache).
    func event(for filter: PodFilter) -> (WatchEventType, StoredPod)? {
        let newMatches = filter.matches(new.pod)
        let oldMatches = old.map { filter.matches($0.pod) } ?? false
        switch type {
        case .added: return newMatches ? (.added, new) : nil
        case .deleted: return (oldMatches || newMatches) ? (.deleted, new) : nil
        case .modified:
            switch (oldMatches, newMatches) {
            case (true, true): return (.modified, new)
            case (false, true): return (.added, new)
            case (true, false):
                // The watch cache sends the previous object, stamped with the new resourceVersion.
                var gone = old!
                gone = StoredPod(pod: gone.pod, resourceVersion: resourceVersion)
                return (.deleted, gone)
            case (false, false): return nil
            }
        }
    }
}

/// What a running watch receives from the store and from its own timers.
enum WatchSignal: Sendable {
    case event(WatchEventType, StoredPod)
    case bookmark(resourceVersion: Int, initialEventsEnd: Bool)
    case drop(WatchDropMode)
    case deadline
    case clientClosed
}

/// How an injected watch drop ends the stream.
public enum WatchDropMode: Sendable {
    /// The chunked response ends cleanly (`0\r\n\r\n`), as when the API server restarts gracefully.
    case endStream
    /// The TCP connection is closed mid-stream, as when a load balancer resets it.
    case resetConnection
}
