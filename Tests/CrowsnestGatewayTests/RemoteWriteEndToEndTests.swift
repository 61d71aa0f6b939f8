import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import KubeSim
import PeerSupport
import Testing

/// The gateway remote-writes to real receivers (VictoriaMetrics, Prometheus 2.42): what they store equals what
/// `/metrics` serves, sample for sample (labels, value and timestamp) on frozen exporters; a deleted pod's series
/// end at once (staleness markers); an outage across a gateway restart loses nothing and duplicates nothing.
@Suite("Remote write to real receivers", .serialized, .timeLimit(.minutes(3)))
struct RemoteWriteEndToEndTests {
    /// Two clusters, two pods each, plus one pod that the test deletes.
    static func makeClusters() throws -> [SimulatedCluster] {
        try ["east", "west"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            try cluster.addFrozenExporterPod(namespace: "payments", name: "ledger-0")
            if name == "east" { try cluster.addFrozenExporterPod(namespace: "shop", name: "doomed-0") }
            return cluster
        }
    }

    static func destination(_ url: String, buffer: String? = nil) -> RemoteWriteConfig {
        RemoteWriteConfig(
            url: url,
            name: "test",
            remoteTimeout: .seconds(5),
            queue: RemoteWriteQueueConfig(
                maxShards: 3,
                maxSamplesPerSend: 500,
                batchSendDeadline: .milliseconds(200),
                minBackoff: .milliseconds(50),
                maxBackoff: .milliseconds(500)
            ),
            buffer: buffer.map {
                RemoteWriteBufferConfig(directory: $0, maxSize: .mebibytes(64), maxAge: .seconds(3600))
            }
        )
    }

    /// A sample's identity: its labels (with `__name__`) and timestamp.
    struct SampleKey: Hashable, CustomStringConvertible {
        var labels: [String: String]
        var timestamp: Int64
        var description: String { "\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })@\(timestamp)" }
    }

    static func keyed(_ families: [MetricFamily]) -> [SampleKey: Double] {
        var result: [SampleKey: Double] = [:]
        for sample in families.allSamples {
            var labels = Dictionary(uniqueKeysWithValues: sample.labels.map { ($0.name, $0.value) })
            labels["__name__"] = sample.name
            result[SampleKey(labels: labels, timestamp: Int64(sample.timestampMilliseconds ?? -1))] = sample.value
        }
        return result
    }

    static func keyed(_ series: [RemoteWriteReceiver.Series]) -> [SampleKey: [Double?]] {
        var result: [SampleKey: [Double?]] = [:]
        for one in series {
            for sample in one.samples {
                result[SampleKey(labels: one.labels, timestamp: sample.timestamp), default: []].append(sample.value)
            }
        }
        return result
    }

    /// Equal values; VictoriaMetrics keeps about 14 significant digits.
    static func same(_ stored: Double?, _ served: Double, kind: RemoteWriteReceiver.Kind) -> Bool {
        guard let stored else { return false }
        if stored.isNaN || served.isNaN { return stored.isNaN && served.isNaN }
        if kind == .prometheus || stored == served { return stored == served }
        return abs(stored - served) <= 1e-12 * max(abs(served), 1e-300)
    }

    @Test(
        "the receiver stores what /metrics serves; a deleted pod's series end at once",
        arguments: [
            RemoteWriteReceiver.Kind.victoriaMetrics, .prometheus,
        ]
    )
    func receiverMatchesMetrics(kind: RemoteWriteReceiver.Kind) async throws {
        let clusters = try Self.makeClusters()
        try await KubeHTTPClient.withClient { client in
            let receiver = try RemoteWriteReceiver(kind, client: client)
            try await receiver.start()
            defer { receiver.stop() }
            try await GatewayHarness.run(clusters, remoteWrite: [Self.destination(receiver.writeURL)]) { harness, _ in
                _ = try await harness.waitForMetrics(seconds: 20) { families in
                    families.up(cluster: "east").values.filter { $0 == 1 }.count == 3
                        && families.up(cluster: "west").values.filter { $0 == 1 }.count == 2
                }
                try await Task.sleep(for: .milliseconds(2500))
                let served = Self.keyed(try await harness.metrics())
                #expect(served.count >= 5 * 25)

                // Every sample /metrics served is stored, at its timestamp, with its value (bounded: 30 s).
                var missing: [SampleKey] = []
                var wrong: [String] = []
                var storedSeries = Set<[String: String]>()
                let deadline = ContinuousClock.now + .seconds(30)
                repeat {
                    let series = try await receiver.series(#"{cluster=~"east|west"}"#)
                    storedSeries = Set(series.map(\.labels))
                    let stored = Self.keyed(series)
                    missing = served.keys.filter { stored[$0] == nil }
                    wrong = served.compactMap { key, value in
                        guard let values = stored[key] else { return nil }
                        return values.count == 1 && Self.same(values[0], value, kind: kind)
                            ? nil : "\(key): stored \(values), served \(value)"
                    }
                    if missing.isEmpty { break }
                    try await Task.sleep(for: .milliseconds(300))
                } while ContinuousClock.now < deadline
                #expect(missing.isEmpty, "\(missing.count) served samples not stored, e.g. \(missing.prefix(3))")
                #expect(wrong.isEmpty, "\(wrong.prefix(5))")
                // No series the gateway does not serve (labels exactly as /metrics shows them).
                let servedSeries = Set(served.keys.map(\.labels))
                #expect(storedSeries == servedSeries, "extra: \(storedSeries.subtracting(servedSeries).prefix(3))")

                // A deleted pod: its series end at once in the receiver; the others go on.
                try clusters[0].pods.delete(namespace: "shop", name: "doomed-0")
                _ = try await harness.waitForMetrics(seconds: 15) { $0.up(cluster: "east").count == 2 }
                var ended = false
                let endDeadline = ContinuousClock.now + .seconds(15)
                repeat {
                    ended = try await Self.ended(receiver, selector: #"up{pod_name="doomed-0"}"#)
                    if ended { break }
                    try await Task.sleep(for: .milliseconds(300))
                } while ContinuousClock.now < endDeadline
                #expect(ended, "the deleted pod's up series did not end")
                #expect(!(try await Self.ended(receiver, selector: #"up{pod_name="web-0",cluster="east"}"#)))

                let own = try await harness.get("/-/metrics").1
                let failed = try MetricFamily.parse(own, format: .text).allSamples.filter {
                    $0.name == "crowsnest_remote_storage_samples_failed_total"
                }
                #expect(failed.allSatisfy { $0.value == 0 }, "rejected samples: \(failed)")
                #expect(own.contains("crowsnest_remote_storage_samples_total{remote_name=\"test\""))
            }
        }
    }

    /// Whether the series matching `selector` ended: Prometheus returns nothing for it at now; VictoriaMetrics'
    /// export shows a staleness marker as its last sample.
    static func ended(_ receiver: RemoteWriteReceiver, selector: String) async throws -> Bool {
        switch receiver.kind {
        case .prometheus:
            return try await receiver.instant(selector).isEmpty
        case .victoriaMetrics:
            let series = try await receiver.series(selector)
            return !series.isEmpty && series.allSatisfy { $0.samples.max { $0.timestamp < $1.timestamp }?.value == nil }
        }
    }

    @Test("an outage across a gateway restart: every sample of the window arrives once, in order")
    func outageAcrossRestart() async throws {
        let buffer = try TemporaryDirectory("rw-buffer")
        defer { buffer.remove() }
        try await KubeHTTPClient.withClient { client in
            let receiver = try RemoteWriteReceiver(.victoriaMetrics, client: client)
            try await receiver.start()
            defer { receiver.stop() }
            let destination = Self.destination(receiver.writeURL, buffer: buffer.path)
            var served: [SampleKey: Double] = [:]
            /// Runs a gateway, recording every `up` sample it serves (polled every 150 ms) while `during` runs.
            func gateway(_ during: @escaping @Sendable (GatewayHarness) async throws -> Void) async throws {
                let recorded = try await GatewayHarness.runCollecting(try Self.makeClusters(), destination, during)
                served.merge(recorded) { first, _ in first }
            }
            try await gateway { harness in
                try await Task.sleep(for: .seconds(3))
                receiver.stop()  // the outage starts
                try await Task.sleep(for: .seconds(4))
            }
            // Restarted while the receiver is still down; it comes back after a while.
            try await gateway { harness in
                try await Task.sleep(for: .seconds(3))
                try await receiver.start()
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    let pending = try await Self.ownMetric(harness, "crowsnest_remote_storage_samples_pending")
                    if pending == 0 { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await Task.sleep(for: .seconds(1))
            }
            let upServed = served.filter { $0.key.labels["__name__"] == "up" }
            #expect(upServed.count >= 5 * 8, "scrapes seen: \(upServed.count)")
            var stored: [SampleKey: [Double?]] = [:]
            var missing: [SampleKey] = []
            let deadline = ContinuousClock.now + .seconds(20)
            repeat {
                stored = Self.keyed(try await receiver.series(#"up{cluster=~"east|west"}"#))
                missing = upServed.keys.filter { stored[$0] == nil }
                if missing.isEmpty { break }
                try await Task.sleep(for: .milliseconds(300))
            } while ContinuousClock.now < deadline
            #expect(
                missing.isEmpty,
                "\(missing.count) of \(upServed.count) up samples missing, e.g. \(missing.prefix(3))"
            )
            let twice = stored.filter { $0.value.count > 1 }
            #expect(twice.isEmpty, "stored twice: \(twice.prefix(3))")
        }
    }

    static func ownMetric(_ harness: GatewayHarness, _ name: String) async throws -> Double {
        let text = try await harness.get("/-/metrics").1
        return try MetricFamily.parse(text, format: .text).allSamples.filter { $0.name == name }.map(\.value)
            .reduce(0, +)
    }
}

extension GatewayHarness {
    /// Runs a gateway remote-writing to `destination` while `during` runs; returns every sample `/metrics` served
    /// meanwhile (polled every 150 ms, so every 1 s scrape is seen).
    static func runCollecting(
        _ clusters: [SimulatedCluster],
        _ destination: RemoteWriteConfig,
        _ during: @escaping @Sendable (GatewayHarness) async throws -> Void
    ) async throws -> [RemoteWriteEndToEndTests.SampleKey: Double] {
        let collected = Collected()
        try await run(clusters, remoteWrite: [destination]) { harness, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        if let families = try? await harness.metrics() {
                            collected.add(RemoteWriteEndToEndTests.keyed(families))
                        }
                        try? await Task.sleep(for: .milliseconds(150))
                    }
                }
                try await during(harness)
                group.cancelAll()
            }
        }
        return collected.samples
    }
}

/// Samples gathered by a polling task.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [RemoteWriteEndToEndTests.SampleKey: Double] = [:]
    func add(_ samples: [RemoteWriteEndToEndTests.SampleKey: Double]) {
        lock.withLock { stored.merge(samples) { first, _ in first } }
    }
    var samples: [RemoteWriteEndToEndTests.SampleKey: Double] { lock.withLock { stored } }
}
