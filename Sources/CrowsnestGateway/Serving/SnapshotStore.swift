public import CrowsnestCore
import Synchronization

/// Holds the current snapshot of every target and the family merge plan over them.
///
/// Snapshots are held as text, or compressed while gzip clients ask (see ``replace(_:)``).
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

    /// The merge plan of the last view and the target order it was computed for. Only keys are kept, never
    /// snapshots: a cached view holding them would keep every replaced snapshot alive until the next request
    /// (a whole second copy of everything held, when scrapes land between two `/metrics` requests).
    private struct Plan {
        var keys: [TargetKey]
        var groups: [FamilyMerger.Group]
        var metadataGeneration: Int
    }

    private struct State {
        var snapshots: [TargetKey: TargetSnapshot] = [:]
        var metadataGeneration = 0
        var plan: Plan?
    }

    private let state = Mutex(State())
    /// When a gzip text response was last asked for: while that is within ``gzipDemandWindow``, every new
    /// snapshot is compressed as it arrives (on the scraping task, spread over the interval) so that gzip
    /// responses only copy.
    private let lastGzipRequest = Mutex<ContinuousClock.Instant?>(nil)
    /// How long one gzip request keeps snapshots being compressed as they arrive.
    public let gzipDemandWindow: Duration
    /// Bytes of held lines let go in bulk since ``takeReleasedBytes()`` last ran: a target's text dropped for the
    /// first time (its previous snapshot was text), removed snapshots. Not the steady churn of replacements,
    /// whose buffers the next scrapes reuse.
    private let releasedBytes = Atomic<Int>(0)
    /// Told about every change (remote write), outside the lock.
    private let observer: (any SnapshotObserver)?

    /// Creates an empty store; `observer` hears of every snapshot replaced or removed.
    public init(observer: (any SnapshotObserver)? = nil, gzipDemandWindow: Duration = .seconds(600)) {
        self.observer = observer
        self.gzipDemandWindow = gzipDemandWindow
    }

    /// Notes that a client asked for gzip text: snapshots arriving within ``gzipDemandWindow`` are compressed
    /// as they arrive.
    public func noteGzipRequest() {
        let now = ContinuousClock.now
        lastGzipRequest.withLock { $0 = now }
    }

    /// Whether a gzip text response was asked for within ``gzipDemandWindow``.
    public var gzipWanted: Bool {
        guard let last = lastGzipRequest.withLock({ $0 }) else { return false }
        return ContinuousClock.now - last < gzipDemandWindow
    }

    /// Replaces (or adds) a target's snapshot.
    ///
    /// While gzip clients are asking, the snapshot is compressed first (on the caller's task, before the lock) and,
    /// once the observer has read its text, held compressed: gzip responses then copy, and the store holds about a
    /// fourteenth of the text. Without gzip clients it stays text, which plain responses copy as it is.
    public func replace(_ snapshot: TargetSnapshot) {
        let compress = gzipWanted
        if compress { _ = snapshot.deflated(using: RawDeflater()) }
        let previous = state.withLock { state in
            let previous = state.snapshots.updateValue(snapshot, forKey: snapshot.key)
            if !Self.sameMetadata(previous, snapshot) { state.metadataGeneration += 1 }
            return previous
        }
        observer?.snapshotReplaced(snapshot, previous: previous)
        if compress {
            snapshot.holdCompressed()
            if let previous, !previous.isHeldCompressed {
                releasedBytes.add(previous.textCount, ordering: .relaxed)
            }
        }
    }

    /// Returns the bytes let go in bulk since the last call (see ``releasedBytes``) and starts counting again:
    /// what tells ``MemoryTrimmer`` that returning free pages is worth a walk over the heap.
    public func takeReleasedBytes() -> Int {
        releasedBytes.exchange(0, ordering: .relaxed)
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
            return removed
        }
        if !removed.isEmpty {
            releasedBytes.add(removed.reduce(0) { $0 + $1.heldBytes }, ordering: .relaxed)
            observer?.snapshotsRemoved(removed)
        }
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
    ///
    /// While no target's families changed, the last plan is reused and only the snapshot references are looked
    /// up again (one dictionary lookup per target, under the lock); otherwise the plan is recomputed outside the
    /// lock and kept if nothing changed meanwhile.
    public func view() -> View {
        let (snapshots, cached, generation) = state.withLock { state -> ([TargetSnapshot], View?, Int) in
            if let plan = state.plan, plan.metadataGeneration == state.metadataGeneration {
                let snapshots = plan.keys.compactMap { state.snapshots[$0] }
                if snapshots.count == plan.keys.count {
                    return ([], View(snapshots: snapshots, groups: plan.groups), state.metadataGeneration)
                }
            }
            return (state.snapshots.values.sorted { $0.key < $1.key }, nil, state.metadataGeneration)
        }
        if let cached { return cached }
        let groups = FamilyMerger.merge(snapshots.map(\.metadata))
        state.withLock { state in
            if state.metadataGeneration == generation {
                state.plan = Plan(keys: snapshots.map(\.key), groups: groups, metadataGeneration: generation)
            }
        }
        return View(snapshots: snapshots, groups: groups)
    }
}
