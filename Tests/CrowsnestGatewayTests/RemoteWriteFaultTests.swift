import CrowsnestCore
import CrowsnestKube
import Foundation
import Hummingbird
import KubeSim
import Logging
import NIOCore
import PeerSupport
import Synchronization
import Testing

@testable import CrowsnestGateway

/// Receivers that refuse, throttle or hang: the right samples are retried or counted as failed, scraping and
/// `/metrics` go on, and everything queued arrives once the receiver recovers. Also the request headers, and one
/// tenant per cluster with `{{cluster}}`.
@Suite("Remote write: misbehaving receivers", .serialized, .timeLimit(.minutes(2)))
struct RemoteWriteFaultTests {
    static func clusters() throws -> [SimulatedCluster] {
        try ["east", "west"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            return cluster
        }
    }

    static func destination(port: Int, timeout: Duration = .seconds(5)) -> RemoteWriteConfig {
        RemoteWriteConfig(
            url: "http://127.0.0.1:\(port)/api/v1/write",
            name: "scripted",
            remoteTimeout: timeout,
            headers: ["X-Scope-OrgID": "tenant-{{cluster}}"],
            queue: RemoteWriteQueueConfig(
                maxShards: 2,
                maxSamplesPerSend: 1000,
                batchSendDeadline: .milliseconds(100),
                minBackoff: .milliseconds(50),
                maxBackoff: .milliseconds(400)
            ),
            // Short, so a test ending while the receiver misbehaves does not wait a minute to stop.
            flushDeadline: .seconds(2)
        )
    }

    static func stats(_ harness: GatewayHarness) throws -> RemoteWriteStats.Snapshot {
        try #require(harness.gateway.remoteWrite?.destinations.first).stats.snapshot
    }

    /// `MetricMetadata.MetricType` of a text-format type.
    static func metadataType(_ type: MetricType) -> Int {
        switch type {
        case .counter: 1
        case .gauge: 2
        case .histogram: 3
        case .summary: 5
        default: 0
        }
    }

    static func waitUntil(seconds: Int = 15, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    @Test("remote-write 1.0 headers; one tenant per cluster; 400 is counted as failed and never retried")
    func rejections() async throws {
        let receiver = ScriptedReceiver()
        receiver.mode = .reject(status: 400)
        try await receiver.withRunning { port in
            try await GatewayHarness.run(try Self.clusters(), remoteWrite: [Self.destination(port: port)]) {
                harness,
                _ in
                #expect(try await Self.waitUntil { try Self.stats(harness).failed > 100 })
                let received = receiver.received
                let stats = try Self.stats(harness)
                #expect(stats.retried == 0 && stats.sent == 0)
                #expect(stats.failed == received.map(\.samples).reduce(0, +), "each refused sample counted once")
                #expect(stats.lastError?.message.contains("400") == true)
                for request in received {
                    #expect(request.headers["content-encoding"] == "snappy")
                    #expect(request.headers["content-type"] == "application/x-protobuf")
                    #expect(request.headers["x-prometheus-remote-write-version"] == "0.1.0")
                    #expect(request.headers["user-agent"]?.hasPrefix("crowsnest") == true)
                    // Each request carries one cluster's samples, under that cluster's tenant.
                    #expect(request.clusters.count == 1)
                    #expect(request.headers["x-scope-orgid"] == "tenant-" + (request.clusters.first ?? "?"))
                }
                #expect(Set(received.flatMap(\.clusters)) == ["east", "west"])
                // Scraping and /metrics are unaffected.
                let families = try await harness.metrics()
                #expect(families.up(cluster: "east") == ["web-0": 1] && families.up(cluster: "west") == ["web-0": 1])
            }
        }
    }

    @Test("503 with Retry-After and a hung receiver are retried; all queued samples arrive once it recovers")
    func throttlingAndHanging() async throws {
        let receiver = ScriptedReceiver()
        receiver.mode = .unavailable(retryAfter: 1)
        try await receiver.withRunning { port in
            let destination = Self.destination(port: port, timeout: .milliseconds(700))
            try await GatewayHarness.run(try Self.clusters(), remoteWrite: [destination]) { harness, _ in
                #expect(try await Self.waitUntil { !receiver.received.isEmpty })
                try await Task.sleep(for: .milliseconds(2500))
                let throttled = receiver.received
                let span = (throttled.last?.at ?? .now) - (throttled.first?.at ?? .now)
                // Four shards (two per cluster lane), each waiting the second Retry-After asks between attempts
                // (its own backoff would retry every 50–400 ms, several times as often).
                let allowed = 4 * (Int(span.components.seconds) + 2)
                #expect(throttled.count <= allowed, "\(throttled.count) requests in \(span)")
                #expect(try Self.stats(harness).retried > 0)
                #expect(try Self.stats(harness).failed == 0)

                receiver.mode = .hang
                let hangStart = receiver.received.count
                #expect(try await Self.waitUntil { receiver.received.count >= hangStart + 4 })
                // Requests that hang end at remote_timeout, and are retried.
                let timedOut = try await Self.waitUntil {
                    try Self.stats(harness).lastError?.message.contains("remote_timeout") == true
                }
                let lastError = try Self.stats(harness).lastError?.message ?? "no error"
                #expect(timedOut, "\(lastError)")
                let families = try await harness.metrics()
                #expect(families.up(cluster: "east") == ["web-0": 1], "scraping goes on while the receiver hangs")

                receiver.mode = .accept
                #expect(try await Self.waitUntil(seconds: 20) { try Self.stats(harness).pending == 0 })
                let stats = try Self.stats(harness)
                #expect(stats.sent > 0 && stats.failed == 0 && stats.dropped == 0)
                #expect(stats.highestSentTimestamp > 0)

                // Family metadata went out (a few seconds after the start), per tenant, as the scrapes declare it.
                #expect(try await Self.waitUntil { receiver.received.contains { !$0.metadata.isEmpty } })
                let metadata = receiver.received.filter { !$0.metadata.isEmpty }
                #expect(metadata.allSatisfy { $0.samples == 0 })
                #expect(Set(metadata.compactMap { $0.headers["x-scope-orgid"] }) == ["tenant-east", "tenant-west"])
                let served = try await harness.metrics()
                for request in metadata {
                    #expect(request.metadata["up"] == 2, "up is a gauge")
                    for family in served where family.name != "up" && request.metadata[family.name] != nil {
                        #expect(
                            request.metadata[family.name] == Self.metadataType(family.type),
                            "\(family.name): \(family.type)"
                        )
                    }
                }
                #expect(metadata.first.map { $0.metadata.count >= served.count / 2 } == true)
            }
        }
    }

    @Test("an unusable buffer folder is reported on the health page; samples wait in memory and are delivered")
    func unusableBuffer() async throws {
        let folder = try TemporaryDirectory("rw-unusable")
        defer { folder.remove() }
        // A file where the buffer folder should be: nothing can be created under it.
        let blocked = try folder.write("not-a-folder", "x")
        let receiver = ScriptedReceiver()
        try await receiver.withRunning { port in
            var destination = Self.destination(port: port)
            destination.buffer = RemoteWriteBufferConfig(directory: blocked, maxSize: .mebibytes(16))
            try await GatewayHarness.run(try Self.clusters(), remoteWrite: [destination]) { harness, _ in
                #expect(try await Self.waitUntil { try Self.stats(harness).sent > 50 })
                let report = try #require(harness.gateway.remoteWrite?.reports.first)
                #expect(report.buffer.problem?.contains("not-a-folder") == true, "\(report.buffer)")
                #expect(report.status == "degraded")
                let (status, page, _) = try await harness.get("/")
                #expect(status == 200)
                #expect(page.contains("<h2>Remote write</h2>") && page.contains("scripted"))
                #expect(page.contains("buffer unusable, samples kept in memory only"))
                let families = try await harness.metrics()
                #expect(families.up(cluster: "east") == ["web-0": 1])
            }
        }
    }

    @Test("a graceful shutdown flushes what waits; a hung receiver holds it up no longer than flush_deadline")
    func shutdownFlush() async throws {
        let receiver = ScriptedReceiver()
        try await receiver.withRunning { port in
            var destination = Self.destination(port: port)
            // Nothing goes out by itself during the run: no batch fills, none waits long enough.
            destination.queue.batchSendDeadline = .seconds(3600)
            destination.queue.maxSamplesPerSend = 1_000_000
            let stats = Mutex<RemoteWriteStats?>(nil)
            try await GatewayHarness.run(try Self.clusters(), remoteWrite: [destination]) {
                (harness: GatewayHarness, _: [SimulatedCluster]) async throws in
                stats.withLock { $0 = harness.gateway.remoteWrite?.destinations.first?.stats }
                _ = try await harness.waitForMetrics(seconds: 15) {
                    $0.up(cluster: "east") == ["web-0": 1] && $0.up(cluster: "west") == ["web-0": 1]
                }
                #expect(receiver.received.allSatisfy { $0.samples == 0 }, "samples sent before the batch deadline")
            }
            let after = try #require(stats.withLock { $0 }).snapshot
            let delivered = receiver.received.map(\.samples).reduce(0, +)
            #expect(after.pending == 0 && after.dropped == 0, "\(after)")
            #expect(delivered > 20 && delivered == after.sent, "received \(delivered), counted \(after.sent)")
            let tenants = Set(receiver.received.compactMap { $0.headers["x-scope-orgid"] })
            #expect(tenants == ["tenant-east", "tenant-west"])

            // A receiver that hangs: the shutdown gives up after flush_deadline (2 s), the samples counted pending.
            receiver.mode = .hang
            destination.flushDeadline = .seconds(2)
            let stopStarted = Mutex<ContinuousClock.Instant?>(nil)
            try await GatewayHarness.run(try Self.clusters(), remoteWrite: [destination]) {
                (harness: GatewayHarness, _: [SimulatedCluster]) async throws in
                stats.withLock { $0 = harness.gateway.remoteWrite?.destinations.first?.stats }
                #expect(try await Self.waitUntil { try Self.stats(harness).pending > 20 })
                stopStarted.withLock { $0 = .now }
            }
            let took = ContinuousClock.now - (try #require(stopStarted.withLock { $0 }))
            #expect(took < .seconds(10), "the shutdown took \(took)")
            #expect(try #require(stats.withLock { $0 }).snapshot.pending > 0, "unsent samples stay counted")
        }
    }
}
