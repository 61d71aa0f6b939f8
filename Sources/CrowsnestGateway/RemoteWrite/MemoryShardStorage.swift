import CrowsnestCore

/// A shard's queue in memory, holding at most `capacity` samples: when full the oldest batches not in flight are
/// dropped (and counted), so memory stays bounded however long the receiver is down.
final class MemoryShardStorage: ShardStorage {
    private var batches: [RemoteWriteBatch] = []
    private var head = 0
    private var samples = 0
    /// Batches at the front handed out by the last peek.
    private var peekedCount = 0
    private let capacity: Int
    private let stats: RemoteWriteStats

    init(capacity: Int, stats: RemoteWriteStats) {
        self.capacity = max(1, capacity)
        self.stats = stats
    }

    var pendingSamples: Int { samples }

    var isDurable: Bool { false }

    func append(_ batch: RemoteWriteBatch) {
        guard !batch.isEmpty else { return }
        batches.append(batch)
        samples += batch.sampleCount
        stats.addPending(batch.sampleCount)
        var dropped = 0
        while samples > capacity && head + peekedCount < batches.count - 1 {
            let oldest = head + peekedCount
            dropped += batches[oldest].sampleCount
            samples -= batches[oldest].sampleCount
            batches.remove(at: oldest)
        }
        if dropped > 0 {
            stats.addPending(-dropped)
            stats.recordDropped(samples: dropped, reason: .queueFull)
        }
        compactIfNeeded()
    }

    func peek(maxSamples: Int, oldestAllowed: Int64) -> PeekedRequest? {
        // Batches older than max_age are only a disk-buffer matter; memory holds minutes at most.
        guard head < batches.count else { return nil }
        var request = RemoteWriteBatch()
        var index = head
        while index < batches.count
            && (request.isEmpty || request.sampleCount + batches[index].sampleCount <= maxSamples)
        {
            request.append(batches[index])
            index += 1
        }
        peekedCount = index - head
        return PeekedRequest(batch: request, end: ShardPosition(segment: 0, offset: peekedCount))
    }

    func commit(_ request: PeekedRequest) {
        let count = min(request.end.offset, batches.count - head)
        var removed = 0
        for index in head..<(head + count) {
            removed += batches[index].sampleCount
            batches[index] = RemoteWriteBatch()
        }
        head += count
        peekedCount = 0
        samples -= removed
        stats.addPending(-removed)
        compactIfNeeded()
    }

    func close() {}

    private func compactIfNeeded() {
        if head > 64 && head * 2 > batches.count {
            batches.removeFirst(head)
            head = 0
        }
    }
}
