public import CoreMetrics
import CrowsnestCore
public import Foundation
import Synchronization

/// One remote-write destination's counts, for `/-/metrics` (swift-metrics, labelled `remote_name` and `url` like
/// Prometheus' `prometheus_remote_storage_*`) and for the health page (read here directly).
public final class RemoteWriteStats: Sendable {
    /// Why samples were dropped unsent.
    public enum DropReason: String, Sendable, CaseIterable {
        /// The in-memory queue was full (no buffer configured, or the buffer is unusable).
        case queueFull = "queue_full"
        /// The buffer grew past `max_size`: its oldest segment went.
        case maxSize = "max_size"
        /// The samples were older than `max_age`.
        case maxAge = "max_age"
        /// The buffer could not be written.
        case bufferError = "buffer_error"
    }

    /// What the health page shows.
    public struct Snapshot: Sendable {
        /// Samples accepted.
        public var sent: Int
        /// Samples rejected for good.
        public var failed: Int
        /// Samples sent again.
        public var retried: Int
        /// Samples dropped unsent.
        public var dropped: Int
        /// Samples waiting.
        public var pending: Int
        /// Buffer bytes on disk.
        public var bufferBytes: Int
        /// Corrupted records skipped.
        public var corruptRecords: Int
        /// The newest accepted timestamp, milliseconds.
        public var highestSentTimestamp: Int64
        /// The last error and when it happened.
        public var lastError: (message: String, at: Date)?
        /// When the receiver last accepted a request.
        public var lastSuccess: Date?
    }

    private let sent = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let retried = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let bufferBytes = Atomic<Int>(0)
    private let corrupt = Atomic<Int>(0)
    private let highest = Atomic<Int64>(0)
    private let events = Mutex<(error: (String, Date)?, success: Date?)>((nil, nil))

    private let sentCounter: Counter
    private let failedCounter: Counter
    private let retriedCounter: Counter
    private let droppedCounters: [DropReason: Counter]
    private let bytesCounter: Counter
    private let corruptCounter: Counter
    private let pendingGauge: Gauge
    private let highestGauge: Gauge
    private let bufferGauge: Gauge
    private let shardsGauge: Gauge

    /// Creates the counts of destination `name` sending to `url`.
    public init(name: String, url: String, metricsFactory: any MetricsFactory) {
        let dimensions = [("remote_name", name), ("url", url)]
        func counter(_ metric: OwnMetric, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: metric.name, dimensions: dimensions + extra, factory: metricsFactory)
        }
        func gauge(_ metric: OwnMetric) -> Gauge {
            Gauge(label: metric.name, dimensions: dimensions, factory: metricsFactory)
        }
        sentCounter = counter(.remoteSamplesSent)
        failedCounter = counter(.remoteSamplesFailed)
        retriedCounter = counter(.remoteSamplesRetried)
        droppedCounters = Dictionary(
            uniqueKeysWithValues: DropReason.allCases.map {
                ($0, counter(.remoteSamplesDropped, [("reason", $0.rawValue)]))
            }
        )
        bytesCounter = counter(.remoteBytesSent)
        corruptCounter = counter(.remoteCorruptRecords)
        pendingGauge = gauge(.remoteSamplesPending)
        highestGauge = gauge(.remoteHighestSentTimestamp)
        bufferGauge = gauge(.remoteBufferBytes)
        shardsGauge = gauge(.remoteShards)
        pendingGauge.record(0)
        bufferGauge.record(0)
        highestGauge.record(0)
    }

    /// A request of `samples` samples (`bytes` compressed, newest timestamp `newest`) was accepted.
    func recordSent(samples: Int, bytes: Int, newest: Int64) {
        sent.add(samples, ordering: .relaxed)
        sentCounter.increment(by: samples)
        bytesCounter.increment(by: bytes)
        let previous = highest.max(newest, ordering: .relaxed).oldValue
        if newest > previous { highestGauge.record(Double(newest) / 1000) }
        events.withLock { $0.success = Date() }
    }

    /// A request of `samples` samples was rejected for good.
    func recordFailed(samples: Int, reason: String) {
        failed.add(samples, ordering: .relaxed)
        failedCounter.increment(by: samples)
        recordError(reason)
    }

    /// A request of `samples` samples will be sent again.
    func recordRetried(samples: Int, reason: String) {
        retried.add(samples, ordering: .relaxed)
        retriedCounter.increment(by: samples)
        recordError(reason)
    }

    /// `samples` samples were dropped unsent.
    func recordDropped(samples: Int, reason: DropReason) {
        guard samples > 0 else { return }
        dropped.add(samples, ordering: .relaxed)
        droppedCounters[reason]?.increment(by: samples)
    }

    /// `records` corrupted buffer records were skipped.
    func recordCorrupt(records: Int) {
        guard records > 0 else { return }
        corrupt.add(records, ordering: .relaxed)
        corruptCounter.increment(by: records)
    }

    /// The samples waiting changed by `delta`.
    func addPending(_ delta: Int) {
        guard delta != 0 else { return }
        let now = pending.add(delta, ordering: .relaxed).newValue
        pendingGauge.record(Double(now))
    }

    /// The buffer's size changed by `delta` bytes.
    func addBufferBytes(_ delta: Int) {
        guard delta != 0 else { return }
        let now = bufferBytes.add(delta, ordering: .relaxed).newValue
        bufferGauge.record(Double(now))
    }

    /// The number of shards.
    func recordShards(_ count: Int) { shardsGauge.record(count) }

    /// Remembers the latest error (shown on the health page; never a secret).
    func recordError(_ message: String) {
        events.withLock { $0.error = (message, Date()) }
    }

    /// The current counts.
    public var snapshot: Snapshot {
        let (error, success) = events.withLock { ($0.error, $0.success) }
        return Snapshot(
            sent: sent.load(ordering: .relaxed),
            failed: failed.load(ordering: .relaxed),
            retried: retried.load(ordering: .relaxed),
            dropped: dropped.load(ordering: .relaxed),
            pending: pending.load(ordering: .relaxed),
            bufferBytes: bufferBytes.load(ordering: .relaxed),
            corruptRecords: corrupt.load(ordering: .relaxed),
            highestSentTimestamp: highest.load(ordering: .relaxed),
            lastError: error.map { (message: $0.0, at: $0.1) },
            lastSuccess: success
        )
    }
}
