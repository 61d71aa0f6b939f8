import CAllocatorTuning

#if canImport(Glibc)
import Glibc
#endif

/// Allocator settings for the long-running gateway.
///
/// glibc raises its mmap threshold dynamically: once a large buffer (a body read up to `body_size_limit`, say from
/// a gzip bomb) has been freed, later buffers of that size come from the heap, whose top cannot shrink while small
/// allocations sit above them, so resident memory climbs in steps and stays. Fixing the threshold at 1 MiB keeps
/// large buffers in their own mappings, returned to the system when freed (the soak run's 51 → 119 MiB became
/// 51 → 56 MiB).
public enum MemoryTuning {
    /// The fixed mmap threshold.
    public static let mmapThreshold: Int32 = 1 << 20

    /// Applies the settings unless the environment already chose (`MALLOC_MMAP_THRESHOLD_`); returns whether the
    /// threshold is now fixed (always false off glibc). `mallopt` lives in `malloc.h`, which the Glibc module does not
    /// import: a few lines of C (`CAllocatorTuning`) call it.
    @discardableResult
    public static func applyForGateway() -> Bool {
        #if canImport(Glibc)
        if getenv("MALLOC_MMAP_THRESHOLD_") != nil { return true }
        return crowsnest_fix_mmap_threshold(mmapThreshold) == 1
        #else
        return false
        #endif
    }

    /// Returns free heap pages to the system; whether any were released (always false off glibc).
    ///
    /// glibc gives memory back on `free` only from the top of a heap. Snapshots are freed in bulk (held text
    /// dropped once compressed, a cluster removed) between buffers still in use, so their pages would stay
    /// resident, and RSS would show the peak instead of what is held. `malloc_trim` releases every free page.
    @discardableResult
    public static func releaseFreeMemory() -> Bool {
        #if canImport(Glibc)
        return crowsnest_release_free_memory() == 1
        #else
        return false
        #endif
    }
}
