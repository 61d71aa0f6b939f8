import ServiceLifecycle

/// Returns the heap's free pages to the system every ``interval`` (``MemoryTuning/releaseFreeMemory()``), so that
/// the gateway's RSS follows what it holds.
///
/// A timer rather than a trim after each release: snapshots are replaced one scrape at a time on many tasks, and
/// one trim a few seconds later catches them all for the cost of one walk over the free lists (a millisecond or
/// two for a heap of hundreds of MiB).
struct MemoryTrimmer: Service {
    /// Time between trims.
    let interval: Duration

    func run() async {
        // Ends at graceful shutdown: the sleep is cancelled, and a cancelled trimmer simply stops.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                MemoryTuning.releaseFreeMemory()
            }
        }
    }
}
