import CrowsnestCore
import Testing

@testable import CrowsnestGateway

/// When a shard sends and how it reacts to answers, driven at explicit instants.
@Suite("Remote write shard state machine")
struct RemoteWriteShardStateMachineTests {
    typealias Machine = RemoteWriteShard.StateMachine
    static let queue = RemoteWriteQueueConfig(
        maxSamplesPerSend: 100,
        batchSendDeadline: .seconds(5),
        minBackoff: .milliseconds(30),
        maxBackoff: .seconds(5)
    )
    let start = ContinuousClock.now

    @Test("a full batch goes at once; a partial one after batch_send_deadline")
    func batching() {
        var machine = Machine(queue: Self.queue)
        #expect(machine.next(pendingSamples: 0, now: start) == .wait(until: nil))
        #expect(machine.next(pendingSamples: 10, now: start) == .wait(until: start + .seconds(5)))
        #expect(machine.next(pendingSamples: 20, now: start + .seconds(2)) == .wait(until: start + .seconds(5)))
        #expect(machine.next(pendingSamples: 20, now: start + .seconds(5)) == .send)
        #expect(
            machine.next(pendingSamples: 20, now: start + .seconds(5)) == .wait(until: nil),
            "one request at a time"
        )
        #expect(machine.completed(.accepted, now: start + .seconds(6)) == .commit)
        #expect(machine.next(pendingSamples: 100, now: start + .seconds(6)) == .send)
        #expect(machine.completed(.accepted, now: start + .seconds(6)) == .commit)
        // What is left after a success has waited long enough: a backlog drains without pauses.
        #expect(machine.next(pendingSamples: 3, now: start + .seconds(6)) == .send)
    }

    @Test("recoverable failures back off doubling to max_backoff; Retry-After wins; success resets")
    func backoff() {
        var machine = Machine(queue: Self.queue)
        var now = start
        _ = machine.next(pendingSamples: 100, now: now)
        var delays: [Duration] = []
        for _ in 0..<10 {
            guard case .retry(let delay) = machine.completed(nil, now: now) else {
                Issue.record("expected a retry")
                return
            }
            delays.append(delay)
            #expect(machine.next(pendingSamples: 100, now: now + delay / 2) == .wait(until: now + delay))
            now += delay
            #expect(machine.next(pendingSamples: 100, now: now) == .send)
        }
        #expect(
            delays == [
                .milliseconds(30), .milliseconds(60), .milliseconds(120), .milliseconds(240), .milliseconds(480),
                .milliseconds(960), .milliseconds(1920), .milliseconds(3840), .seconds(5), .seconds(5),
            ]
        )
        #expect(machine.completed(.recoverable(retryAfter: .seconds(42)), now: now) == .retry(after: .seconds(42)))
        now += .seconds(42)
        #expect(machine.next(pendingSamples: 100, now: now) == .send)
        #expect(machine.completed(.accepted, now: now) == .commit)
        #expect(machine.attempts == 0)
        _ = machine.next(pendingSamples: 100, now: now)
        #expect(machine.completed(.recoverable(retryAfter: nil), now: now) == .retry(after: .milliseconds(30)))
    }

    @Test("a rejection drops the batch without retrying")
    func rejection() {
        var machine = Machine(queue: Self.queue)
        _ = machine.next(pendingSamples: 100, now: start)
        #expect(machine.completed(.rejected(status: 400), now: start) == .drop(status: 400))
        #expect(machine.attempts == 0)
        #expect(machine.next(pendingSamples: 100, now: start) == .send)
    }

    @Test("a shutdown flush sends partial batches at once and finishes when nothing waits or at its deadline")
    func flush() {
        var machine = Machine(queue: Self.queue)
        #expect(machine.next(pendingSamples: 10, now: start) == .wait(until: start + .seconds(5)))
        machine.beginFlush(now: start, deadline: .seconds(30), durable: false)
        #expect(machine.next(pendingSamples: 10, now: start) == .send, "no waiting for batch_send_deadline")
        #expect(machine.completed(.accepted, now: start) == .commit)
        #expect(machine.next(pendingSamples: 0, now: start) == .finish)

        // In memory, a failure is retried within the deadline (the samples are lost otherwise).
        var memory = Machine(queue: Self.queue)
        memory.beginFlush(now: start, deadline: .seconds(1), durable: false)
        #expect(memory.next(pendingSamples: 5, now: start) == .send)
        #expect(memory.completed(nil, now: start) == .retry(after: .milliseconds(30)))
        #expect(memory.next(pendingSamples: 5, now: start) == .wait(until: start + .milliseconds(30)))
        #expect(memory.next(pendingSamples: 5, now: start + .milliseconds(30)) == .send)
        #expect(!memory.flushExpired(now: start + .milliseconds(999)))
        #expect(memory.flushExpired(now: start + .seconds(1)), "a send still out is abandoned at the deadline")
        #expect(memory.completed(.recoverable(retryAfter: .seconds(60)), now: start) == .retry(after: .seconds(60)))
        #expect(
            memory.next(pendingSamples: 5, now: start + .milliseconds(500)) == .wait(until: start + .seconds(1)),
            "a Retry-After past the deadline is not waited for"
        )
        #expect(memory.next(pendingSamples: 5, now: start + .seconds(1)) == .finish)

        // On disk, the first failure ends the flush: the next start sends the rest.
        var disk = Machine(queue: Self.queue)
        disk.beginFlush(now: start, deadline: .seconds(30), durable: true)
        #expect(disk.next(pendingSamples: 5, now: start) == .send)
        #expect(disk.completed(nil, now: start) == .retry(after: .milliseconds(30)))
        #expect(disk.next(pendingSamples: 5, now: start) == .finish)
    }
}
