import CrowsnestCore

/// Where one shard keeps the samples it has not delivered yet: in memory (``MemoryShardStorage``) or in segment
/// files on disk (``SegmentShardStorage``).
///
/// A FIFO of batches, owned by the shard's task alone (not `Sendable`): batches go in at the back, ``peek`` hands
/// out a request's worth from the front, and ``commit`` removes exactly what was peeked once the receiver took
/// it (or refused it for good). Appends may happen while a peeked request is out.
protocol ShardStorage: AnyObject {
    /// Adds a batch at the back.
    func append(_ batch: RemoteWriteBatch) throws(RemoteWriteBufferError)
    /// Up to `maxSamples` samples (whole batches, at least one) from the front, oldest first, skipping (and
    /// counting) what is older than `oldestAllowed` milliseconds; `nil` when nothing waits.
    func peek(maxSamples: Int, oldestAllowed: Int64) -> PeekedRequest?
    /// Removes what `request` holds (it was the last peek).
    func commit(_ request: PeekedRequest)
    /// Samples waiting, peeked ones included.
    var pendingSamples: Int { get }
    /// Whether what waits survives a stop (the disk buffer): then a shutdown need not wait for the receiver.
    var isDurable: Bool { get }
    /// Writes whatever must survive a restart (the disk buffer's read position); called on shutdown.
    func close()
    /// A send failed and will be retried: the receiver may stay away for long.
    func sendFailed()
}

extension ShardStorage {
    func sendFailed() {}
}

/// The front of a shard's queue, handed out for one request.
struct PeekedRequest: Sendable {
    /// The request's samples.
    var batch: RemoteWriteBatch
    /// Where the storage resumes after a commit (a batch count in memory; segment and offset on disk).
    var end: ShardPosition
    /// Samples passed over because they were older than `max_age` (counted as dropped when peeked).
    var skippedSamples = 0
    /// Samples taken from each disk segment (by number), passed-over ones included.
    var samplesPerSegment: [Int: Int] = [:]
}

/// A position in a shard's storage.
struct ShardPosition: Sendable, Hashable, Comparable {
    /// The segment number (0 in memory).
    var segment: Int
    /// The byte offset in the segment (batches from the front in memory).
    var offset: Int

    static func < (lhs: ShardPosition, rhs: ShardPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }
}

/// Why the disk buffer failed (never a secret: paths and system errors only).
struct RemoteWriteBufferError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
