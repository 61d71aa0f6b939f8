import CrowsnestCore
import Foundation
import Synchronization

/// What the health page shows for one remote-write destination.
public struct RemoteWriteReport: Sendable {
    /// The destination's name.
    public var name: String
    /// Its URL (no credentials: those live in files).
    public var url: String
    /// Its counts.
    public var stats: RemoteWriteStats.Snapshot
    /// Shards per lane.
    public var shards: Int
    /// Whether an on-disk buffer is configured, and why it is unusable when it is.
    public var buffer: (configured: Bool, problem: String?)

    /// `ok` (delivering), `failing` (the last error is newer than the last success), `idle` (nothing sent yet).
    public var status: String {
        if let error = stats.lastError, stats.lastSuccess.map({ $0 < error.at }) ?? true { return "failing" }
        if buffer.problem != nil { return "degraded" }
        return stats.lastSuccess == nil ? "idle" : "ok"
    }
}

extension RemoteWriteService {
    /// One report per destination.
    public var reports: [RemoteWriteReport] {
        destinations.map { destination in
            RemoteWriteReport(
                name: destination.config.name,
                url: destination.config.url,
                stats: destination.stats.snapshot,
                shards: destination.config.queue.maxShards,
                buffer: (destination.config.buffer != nil, destination.bufferProblem.withLock { $0 })
            )
        }
    }
}
