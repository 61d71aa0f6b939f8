import Synchronization

/// Large buffers kept from one scrape for the next, so that a multi-MB body or snapshot is written into memory
/// already mapped instead of a fresh mapping per scrape.
///
/// ``MemoryTuning`` fixes glibc's mmap threshold so that large buffers go back to the system when freed (resident
/// memory stays flat); the price was that every such buffer was a fresh mapping whose pages fault in and are zeroed
/// one by one: a quarter of the gateway's CPU on kubelet cAdvisor bodies of several MB. A recycler keeps a few of
/// them instead — only buffers at least ``minimumBytes`` large (smaller ones come from malloc's heap, reused
/// without faults) and at most ``maximumIdle`` at once, the oldest dropped first — so what it holds is about what
/// the scrapes in flight were allocating anyway.
public final class BufferRecycler<Buffer: RecyclableBuffer>: Sendable {
    private let idle = Mutex<[Buffer]>([])
    /// Buffers kept at most between scrapes.
    public let maximumIdle: Int
    /// Smaller buffers are not kept.
    public let minimumBytes: Int

    /// Creates an empty recycler.
    public init(maximumIdle: Int, minimumBytes: Int) {
        self.maximumIdle = max(0, maximumIdle)
        self.minimumBytes = minimumBytes
    }

    /// An empty buffer with a capacity between `minimumCapacity` and `maximumCapacity`: the smallest idle one that
    /// fits, else a new one of `capacity` bytes (clamped into that range).
    public func take(minimumCapacity: Int, maximumCapacity: Int, capacity: Int) -> Buffer {
        var taken: Buffer? = idle.withLock { idle in
            var best: Int?
            for index in idle.indices
            where idle[index].capacity >= minimumCapacity && idle[index].capacity <= maximumCapacity
                && (best == nil || idle[index].capacity < idle[best!].capacity)
            {
                best = index
            }
            return best.map { idle.remove(at: $0) }
        }
        guard taken != nil else {
            let clamped = min(max(capacity, minimumCapacity), max(minimumCapacity, maximumCapacity))
            return Buffer(recyclableCapacity: clamped)
        }
        // Emptied in place: a second binding (`guard var`) would share the storage, and emptying shared storage
        // allocates new memory, defeating the point.
        taken!.removeAllKeepingCapacity()
        return taken!
    }

    /// Keeps `buffer` for a later ``take(minimumCapacity:maximumCapacity:capacity:)`` when it is large enough; the
    /// oldest idle buffer makes room when ``maximumIdle`` are already kept. Buffers let go are freed after the lock.
    public func giveBack(_ buffer: Buffer) {
        guard buffer.capacity >= minimumBytes, maximumIdle > 0 else { return }
        let dropped: Buffer? = idle.withLock { idle in
            idle.append(buffer)
            return idle.count > maximumIdle ? idle.removeFirst() : nil
        }
        _ = dropped  // freed here, after the lock
    }

    /// How many buffers wait.
    public var idleCount: Int { idle.withLock { $0.count } }

    /// The bytes they hold.
    public var idleBytes: Int { idle.withLock { $0.reduce(0) { $0 + $1.capacity } } }
}
