public import CrowsnestCore
import Synchronization

/// Holds the current snapshot of every target and the family merge plan over them.
///
/// Scrapes replace snapshots (a reference swap under a short lock); `/metrics` takes a ``View`` — an immutable
/// copy of the snapshot table and the plan — and streams from it without holding the lock, so serving never
/// blocks scraping and never sees half a scrape. The merge plan (``FamilyMerger``) is recomputed only when some
/// target's family metadata changed, not on every scrape.
public final class SnapshotStore: Sendable {
    /// A consistent, immutable view for one response.
    public struct View: Sendable {
        /// Snapshots in target order.
        public let snapshots: [TargetSnapshot]
        /// The output groups; member `source` indexes ``snapshots``.
        public let groups: [FamilyMerger.Group]
    }

    private struct State {
        var snapshots: [TargetKey: TargetSnapshot] = [:]
        var metadataGeneration = 0
        var cachedView: View?
        var cachedGeneration = -1
        var cachedSnapshotsGeneration = -1
        var snapshotsGeneration = 0
    }

    private let state = Mutex(State())
    /// Told about every change (remote write), outside the lock.
    private let observer: (any SnapshotObserver)?

    /// Creates an empty store; `observer` hears of every snapshot replaced or removed.
    public init(observer: (any SnapshotObserver)? = nil) {
        self.observer = observer
    }

    /// Replaces (or adds) a target's snapshot.
    public func replace(_ snapshot: TargetSnapshot) {
        let previous = state.withLock { state in
            let previous = state.snapshots.updateValue(snapshot, forKey: snapshot.key)
            if !Self.sameMetadata(previous, snapshot) { state.metadataGeneration += 1 }
            state.snapshotsGeneration += 1
            return previous
        }
        observer?.snapshotReplaced(snapshot, previous: previous)
    }

    /// Whether two snapshots of a target declare the same families (names, types, HELP, in order): then the merge
    /// plan still holds. Compared field by field, without building metadata arrays, inside the store's lock.
    static func sameMetadata(_ previous: TargetSnapshot?, _ snapshot: TargetSnapshot) -> Bool {
        guard let previous, previous.families.count == snapshot.families.count else { return false }
        for (old, new) in zip(previous.families, snapshot.families)
        where old.name != new.name || old.type != new.type || old.help != new.help {
            return false
        }
        return true
    }

    /// Removes the snapshots of targets for which `predicate` holds (a deleted pod, a removed cluster).
    public func remove(where predicate: (TargetKey) -> Bool) {
        let removed = state.withLock { state -> [TargetSnapshot] in
            let removed = state.snapshots.values.filter { predicate($0.key) }
            guard !removed.isEmpty else { return [] }
            state.snapshots = state.snapshots.filter { !predicate($0.key) }
            state.metadataGeneration += 1
            state.snapshotsGeneration += 1
            return removed
        }
        if !removed.isEmpty { observer?.snapshotsRemoved(removed) }
    }

    /// The snapshot of one target.
    public func snapshot(for key: TargetKey) -> TargetSnapshot? {
        state.withLock { $0.snapshots[key] }
    }

    /// All snapshots of one cluster, in target order.
    public func snapshots(cluster: String) -> [TargetSnapshot] {
        state.withLock { state in state.snapshots.values.filter { $0.key.cluster == cluster } }.sorted {
            $0.key < $1.key
        }
    }

    /// Number of series held in all snapshots.
    public var seriesCount: Int {
        state.withLock { $0.snapshots.values.reduce(0) { $0 + $1.seriesCount } }
    }

    /// A consistent view of everything, with the merge plan.
    public func view() -> View {
        let (snapshots, cached, generation) = state.withLock { state -> ([TargetSnapshot], View?, Int) in
            if let view = state.cachedView, state.cachedSnapshotsGeneration == state.snapshotsGeneration {
                return ([], view, state.metadataGeneration)
            }
            let sorted = state.snapshots.values.sorted { $0.key < $1.key }
            if let view = state.cachedView, state.cachedGeneration == state.metadataGeneration,
                view.snapshots.map(\.key) == sorted.map(\.key)
            {
                let refreshed = View(snapshots: sorted, groups: view.groups)
                state.cachedView = refreshed
                state.cachedSnapshotsGeneration = state.snapshotsGeneration
                return ([], refreshed, state.metadataGeneration)
            }
            return (sorted, nil, state.metadataGeneration)
        }
        if let cached { return cached }
        // Merge outside the lock; publish the result if nothing changed meanwhile.
        let groups = FamilyMerger.merge(snapshots.map(\.metadata))
        let view = View(snapshots: snapshots, groups: groups)
        state.withLock { state in
            if state.metadataGeneration == generation {
                state.cachedView = view
                state.cachedGeneration = generation
                state.cachedSnapshotsGeneration = -1
            }
        }
        return view
    }
}
