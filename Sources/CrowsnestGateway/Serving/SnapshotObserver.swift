/// Told about every snapshot a ``SnapshotStore`` takes in and lets go: exactly the samples `/metrics` serves, as
/// they change. Remote write (``RemoteWriteService``) is the observer.
///
/// Calls happen outside the store's lock, on the task that replaced or removed the snapshot; one target's calls
/// never overlap (a target is scraped by one task at a time).
public protocol SnapshotObserver: Sendable {
    /// `snapshot` replaced `previous` (`nil` for a target's first scrape).
    func snapshotReplaced(_ snapshot: TargetSnapshot, previous: TargetSnapshot?)
    /// These snapshots left the store (their targets or cluster went away).
    func snapshotsRemoved(_ snapshots: [TargetSnapshot])
}
