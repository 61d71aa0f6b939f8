import ServiceLifecycle

/// Returns the heap's free pages to the system (``MemoryTuning/releaseFreeMemory()``) after the store lets go of
/// many bytes at once, so that the gateway's RSS follows what it holds.
///
/// That happens when snapshots switch to being held compressed (gzip clients arrived), or clusters or targets
/// go away. Checked every ``interval``, and only past ``threshold``: the steady replacement of snapshots frees
/// buffers the next scrapes reuse, and trimming those would only make the next scrapes fault their pages in
/// again.
struct MemoryTrimmer: Service {
    /// Where released bytes are counted.
    let store: SnapshotStore
    /// Time between checks.
    var interval: Duration = .seconds(10)
    /// Bytes released since the last check that make a trim worth it.
    var threshold = 16 << 20

    func run() async {
        // Ends at graceful shutdown: the sleep is cancelled, and a cancelled trimmer simply stops.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                if store.takeReleasedBytes() >= threshold { MemoryTuning.releaseFreeMemory() }
            }
        }
    }
}
