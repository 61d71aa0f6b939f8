import CrowsnestCore
import Foundation
import Logging
import Synchronization

/// One shard of a remote-write destination: a queue of the series hashed to it and a loop that sends them one
/// request at a time, so each series' samples reach the receiver in timestamp order.
///
/// Scrapes hand batches to ``enqueue(_:)`` (an in-memory inbox under a short lock, bounded by the queue
/// capacity); the shard's task moves them into its ``ShardStorage`` (memory, or the disk buffer) every tick, also
/// while a request is out, so a slow or hung receiver never holds more than a tick's samples in memory. When to send
/// and how to react to the answer is decided by the ``StateMachine``.
final class RemoteWriteShard: Sendable {
    private struct Inbox {
        var batches: [RemoteWriteBatch] = []
        var samples = 0
    }

    /// The cluster whose samples this shard carries when headers depend on it (empty otherwise).
    let cluster: String
    let index: Int
    private let inbox = Mutex(Inbox())
    private let capacity: Int
    private let stats: RemoteWriteStats
    /// How often the loop looks at the inbox and the clock.
    static let tick = Duration.milliseconds(50)

    init(cluster: String, index: Int, capacity: Int, stats: RemoteWriteStats) {
        self.cluster = cluster
        self.index = index
        self.capacity = capacity
        self.stats = stats
    }

    /// Queues a batch (from a scrape); drops the oldest queued batches when the inbox is over capacity.
    func enqueue(_ batch: RemoteWriteBatch) {
        guard !batch.isEmpty else { return }
        let dropped = inbox.withLock { inbox -> Int in
            inbox.batches.append(batch)
            inbox.samples += batch.sampleCount
            var dropped = 0
            while inbox.samples > capacity && inbox.batches.count > 1 {
                let oldest = inbox.batches.removeFirst()
                inbox.samples -= oldest.sampleCount
                dropped += oldest.sampleCount
            }
            return dropped
        }
        stats.recordDropped(samples: dropped, reason: .queueFull)
    }

    private func takeInbox() -> [RemoteWriteBatch] {
        inbox.withLock { inbox in
            defer { inbox = Inbox() }
            return inbox.batches
        }
    }

    /// Runs until the task is cancelled or, once `isStopping` returns true (graceful shutdown), until the flush is
    /// over (see ``StateMachine``: at most `flushDeadline`); then moves what is left in the inbox into the storage
    /// and closes it (the disk buffer keeps it for the next start).
    func run(
        storage: any ShardStorage,
        client: RemoteWriteClient,
        queue: RemoteWriteQueueConfig,
        maxAge: Duration?,
        flushDeadline: Duration,
        logger: Logger,
        isStopping: @escaping @Sendable () -> Bool
    ) async {
        var machine = StateMachine(queue: queue)
        var peeked: PeekedRequest?
        var bufferFailing = false
        func drain() {
            for batch in takeInbox() {
                do {
                    try storage.append(batch)
                    if bufferFailing {
                        bufferFailing = false
                        logger.info("remote-write buffer writable again")
                    }
                } catch {
                    stats.recordDropped(samples: batch.sampleCount, reason: .bufferError)
                    stats.recordError(error.message)
                    if !bufferFailing {
                        bufferFailing = true
                        logger.error("remote-write buffer failed; dropping samples", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        let sending = SendOutcome()
        await withDiscardingTaskGroup { group in
            var inFlight = false
            sending: while !Task.isCancelled {
                if machine.flush == nil && isStopping() {
                    machine.beginFlush(now: .now, deadline: flushDeadline, durable: storage.isDurable)
                }
                drain()
                let now = ContinuousClock.now
                if inFlight {
                    if machine.flushExpired(now: now) { break sending }
                    guard let result = sending.take() else {
                        try? await Task.sleep(for: Self.tick)
                        continue
                    }
                    inFlight = false
                    guard let request = peeked else { continue }
                    switch machine.completed(result.response, now: now) {
                    case .commit:
                        storage.commit(request)
                        peeked = nil
                        stats.recordSent(
                            samples: request.batch.sampleCount,
                            bytes: result.bytes,
                            newest: request.batch.newestTimestamp
                        )
                    case .drop(let status):
                        storage.commit(request)
                        peeked = nil
                        stats.recordFailed(
                            samples: request.batch.sampleCount,
                            reason: result.problem ?? "HTTP \(status)"
                        )
                        logger.warning(
                            "remote-write receiver rejected samples; not retrying",
                            metadata: ["samples": "\(request.batch.sampleCount)", "reason": "\(result.problem ?? "")"]
                        )
                    case .retry(let delay):
                        storage.sendFailed()
                        stats.recordRetried(samples: request.batch.sampleCount, reason: result.problem ?? "no answer")
                        logger.debug(
                            "remote-write send failed; retrying",
                            metadata: ["delay": "\(delay)", "reason": "\(result.problem ?? "")"]
                        )
                    }
                    continue
                }
                switch machine.next(pendingSamples: storage.pendingSamples, now: now) {
                case .send:
                    if peeked == nil {
                        let oldest = maxAge.map {
                            Int64(Date().timeIntervalSince1970 * 1000) - $0.components.seconds * 1000
                        }
                        peeked = storage.peek(maxSamples: queue.maxSamplesPerSend, oldestAllowed: oldest ?? .min)
                    }
                    guard let request = peeked else { continue }
                    guard !request.batch.isEmpty else {
                        // Only expired samples: nothing to send, just move past them.
                        storage.commit(request)
                        peeked = nil
                        _ = machine.completed(.accepted, now: now)
                        continue
                    }
                    inFlight = true
                    let payload = request.batch.payload
                    let cluster = self.cluster
                    group.addTask {
                        let result = await client.send(payload, cluster: cluster)
                        sending.put(result)
                    }
                case .wait(let until):
                    let sleep = until.map { min(max($0 - now, .milliseconds(1)), Self.tick) } ?? Self.tick
                    try? await Task.sleep(for: sleep)
                case .finish:
                    break sending
                }
            }
            // Stopped: an answer still out is not waited for (its samples stay queued and go again next time).
            group.cancelAll()
        }
        drain()
        storage.close()
    }

    /// Where the child task sending a request leaves its result for the shard's loop.
    private final class SendOutcome: Sendable {
        private let slot = Mutex<RemoteWriteClient.Result?>(nil)

        func put(_ result: RemoteWriteClient.Result) { slot.withLock { $0 = result } }

        func take() -> RemoteWriteClient.Result? {
            slot.withLock { value in
                defer { value = nil }
                return value
            }
        }
    }
}
