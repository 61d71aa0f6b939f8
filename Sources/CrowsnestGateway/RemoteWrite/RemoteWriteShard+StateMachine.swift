import CrowsnestCore

extension RemoteWriteShard {
    /// When one shard sends, as a value, every decision taken at an explicit `now`: a request goes out when
    /// `max_samples_per_send` samples wait or the oldest waiting sample has waited `batch_send_deadline`; a
    /// recoverable failure (5xx, 429, no answer) retries the same batch after `Retry-After`, else after a backoff
    /// doubling from `min_backoff` to `max_backoff`; a rejection (other 4xx) drops the batch. ``RemoteWriteShard``
    /// does the I/O; tests drive this directly.
    ///
    /// On graceful shutdown the shard flushes (``beginFlush(now:deadline:durable:)``), as Prometheus does within
    /// `--storage.remote.flush-deadline`: whatever waits goes out at once, without waiting for a full batch, until
    /// nothing waits or the deadline passes. A shard whose samples are on disk stops at its first failed send
    /// instead: the next start delivers them, so a receiver that is down does not hold the shutdown up.
    struct StateMachine: Sendable {
        /// Where the shard is.
        enum State: Sendable, Hashable {
            /// Gathering samples; `since` is when the oldest waiting one arrived (nil: none waits).
            case collecting(since: ContinuousClock.Instant?)
            /// A send is out.
            case sending
            /// Waiting to retry the batch that failed.
            case backingOff(until: ContinuousClock.Instant)
        }

        /// What to do next.
        enum Decision: Sendable, Hashable {
            /// Send a batch now.
            case send
            /// Nothing to do before `until` (nil: before samples arrive).
            case wait(until: ContinuousClock.Instant?)
            /// The flush is over (nothing waits, the deadline passed, or a durable shard's send failed): stop.
            case finish
        }

        /// A flush under way: until when, and whether what is left survives the stop (the disk buffer).
        struct Flush: Sendable, Hashable {
            var until: ContinuousClock.Instant
            var durable: Bool
        }

        /// What to do with the batch whose send completed.
        enum Completion: Sendable, Hashable {
            /// The receiver stored it: remove it from the queue.
            case commit
            /// Keep it and send it again after `delay`.
            case retry(after: Duration)
            /// The receiver refused it for good: remove it, counting its samples as failed.
            case drop(status: Int)
        }

        private(set) var state = State.collecting(since: nil)
        /// Failed attempts of the current batch so far.
        private(set) var attempts = 0
        /// Set once graceful shutdown began.
        private(set) var flush: Flush?
        let queue: RemoteWriteQueueConfig

        init(queue: RemoteWriteQueueConfig) {
            self.queue = queue
        }

        /// Starts the shutdown flush: from now on partial batches go at once and ``next(pendingSamples:now:)``
        /// answers ``Decision/finish`` when it is over. `durable`: what is not sent survives the stop.
        mutating func beginFlush(now: ContinuousClock.Instant, deadline: Duration, durable: Bool) {
            guard flush == nil else { return }
            flush = Flush(until: now + deadline, durable: durable)
        }

        /// Whether a flush ran out of time (a send still out is then abandoned; its samples stay queued).
        func flushExpired(now: ContinuousClock.Instant) -> Bool {
            flush.map { now >= $0.until } ?? false
        }

        /// Decides, given how many samples wait.
        mutating func next(pendingSamples: Int, now: ContinuousClock.Instant) -> Decision {
            if let flush, state != .sending {
                if pendingSamples == 0 || now >= flush.until { return .finish }
                if case .backingOff(let until) = state {
                    if flush.durable { return .finish }
                    if now < until { return .wait(until: min(until, flush.until)) }
                }
                state = .sending
                return .send
            }
            switch state {
            case .sending:
                return .wait(until: nil)
            case .backingOff(let until):
                if now < until { return .wait(until: until) }
                // The retry is due: the batch goes out at once.
                guard pendingSamples > 0 else {
                    state = .collecting(since: nil)
                    return .wait(until: nil)
                }
                state = .sending
                return .send
            case .collecting(let since):
                guard pendingSamples > 0 else {
                    state = .collecting(since: nil)
                    return .wait(until: nil)
                }
                let start = since ?? now
                if pendingSamples >= queue.maxSamplesPerSend || now >= start + queue.batchSendDeadline {
                    state = .sending
                    return .send
                }
                state = .collecting(since: start)
                return .wait(until: start + queue.batchSendDeadline)
            }
        }

        /// Records how the send ended: `response` is the receiver's classified answer, `nil` when there was none
        /// (connection refused or closed, timeout, unreadable answer) — recoverable like a 5xx.
        mutating func completed(_ response: RemoteWriteResponse?, now: ContinuousClock.Instant) -> Completion {
            switch response {
            case .accepted:
                attempts = 0
                // What is left waited at least as long as the batch just sent: the next partial batch goes at once.
                state = .collecting(since: now - queue.batchSendDeadline)
                return .commit
            case .rejected(let status):
                attempts = 0
                state = .collecting(since: now - queue.batchSendDeadline)
                return .drop(status: status)
            case .recoverable(let retryAfter):
                return backOff(retryAfter, now: now)
            case nil:
                return backOff(nil, now: now)
            }
        }

        private mutating func backOff(_ retryAfter: Duration?, now: ContinuousClock.Instant) -> Completion {
            attempts += 1
            let delay = retryAfter ?? Self.backoff(attempt: attempts, queue: queue)
            state = .backingOff(until: now + delay)
            return .retry(after: delay)
        }

        /// The delay before retry number `attempt` (1-based): `min_backoff · 2^(attempt−1)`, at most `max_backoff`.
        static func backoff(attempt: Int, queue: RemoteWriteQueueConfig) -> Duration {
            var delay = queue.minBackoff
            for _ in 1..<max(1, attempt) {
                delay *= 2
                if delay >= queue.maxBackoff { return queue.maxBackoff }
            }
            return min(delay, queue.maxBackoff)
        }
    }
}
