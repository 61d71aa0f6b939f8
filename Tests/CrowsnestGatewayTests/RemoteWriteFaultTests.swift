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

/// A remote-write receiver that answers as scripted (reject, throttle, hang, accept) and records what it got.
final class ScriptedReceiver: Sendable {
    enum Mode: Sendable {
        case accept
        case reject(status: Int)
        case unavailable(retryAfter: Int?)
        case hang
    }

    struct Received: Sendable {
        var at: ContinuousClock.Instant
        var headers: [String: String]
        /// Every series' labels in the body (the reference decoder proves the encoding elsewhere; here our own
        /// parse of the fragments is enough to attribute samples).
        var samples: Int
        var clusters: Set<String>
        /// `MetricMetadata` entries: family name → type number.
        var metadata: [String: Int]
    }

    private let state = Mutex<(mode: Mode, received: [Received])>((.accept, []))

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }
    var received: [Received] { state.withLock { $0.received } }

    private func respond(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let payload = try SnappyBlock.decompress(Array(body.readableBytesView))
        let (samples, clusters, metadata) = Self.summary(payload)
        let mode = state.withLock { state in
            state.received.append(
                Received(at: .now, headers: headers, samples: samples, clusters: clusters, metadata: metadata)
            )
            return state.mode
        }
        switch mode {
        case .accept:
            return Response(status: .noContent)
        case .reject(let status):
            return Response(
                status: HTTPResponse.Status(code: status),
                body: ResponseBody(byteBuffer: ByteBuffer(string: "out of bounds"))
            )
        case .unavailable(let retryAfter):
            var fields = HTTPFields()
            if let retryAfter { fields[.retryAfter] = "\(retryAfter)" }
            return Response(status: .serviceUnavailable, headers: fields)
        case .hang:
            try await Task.sleep(for: .seconds(30))
            return Response(status: .noContent)
        }
    }

    /// Samples in a `WriteRequest` and the `cluster` label values they carry (a minimal protobuf walk).
    static func summary(_ payload: [UInt8]) -> (Int, Set<String>, [String: Int]) {
        var samples = 0
        var clusters = Set<String>()
        var metadata: [String: Int] = [:]
        func fields(_ bytes: ArraySlice<UInt8>) -> [(Int, ArraySlice<UInt8>)] {
            var result: [(Int, ArraySlice<UInt8>)] = []
            var index = bytes.startIndex
            func varint() -> Int {
                var value = 0
                var shift = 0
                while index < bytes.endIndex {
                    let byte = bytes[index]
                    index += 1
                    value |= Int(byte & 0x7F) << shift
                    shift += 7
                    if byte < 0x80 { break }
                }
                return value
            }
            while index < bytes.endIndex {
                let tag = varint()
                switch tag & 7 {
                case 0: _ = varint()
                case 1: index += 8
                case 2:
                    let length = varint()
                    result.append((tag >> 3, bytes[index..<min(index + length, bytes.endIndex)]))
                    index += length
                default: return result
                }
            }
            return result
        }
        for (number, entry) in fields(payload[...]) where number == 3 {
            var name = ""
            var type = 0
            var index = entry.startIndex
            // type (field 1, varint) comes first when set; then the name (field 2).
            if index < entry.endIndex && entry[index] == 0x08 {
                type = Int(entry[index + 1])
                index += 2
            }
            if let (field, text) = fields(entry[index...]).first, field == 2 {
                name = String(decoding: text, as: UTF8.self)
            }
            metadata[name] = type
        }
        for (number, series) in fields(payload[...]) where number == 1 {
            for (field, content) in fields(series) {
                if field == 2 { samples += 1 }
                guard field == 1 else { continue }
                let label = fields(content)
                if label.first.map({ String(decoding: $0.1, as: UTF8.self) }) == "cluster", label.count == 2 {
                    clusters.insert(String(decoding: label[1].1, as: UTF8.self))
                }
            }
        }
        return (samples, clusters, metadata)
    }

    /// Serves on a free loopback port while `body` runs.
    func withRunning<Result: Sendable>(_ body: @Sendable (Int) async throws -> Result) async throws -> Result {
        let router = Router()
        router.post("api/v1/write") { [self] request, _ in try await respond(request) }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "scripted-receiver")
        logger.logLevel = .error
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "receiver"),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while port.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            guard let bound = port.withLock({ $0 }) else {
                group.cancelAll()
                throw HarnessError("scripted receiver did not start listening")
            }
            do {
                let result = try await body(bound)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

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
            )
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
}
