import AsyncHTTPClient
import CompressNIO
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The pod rows of the fault matrix (issue 8): each fault on one pod of three realistic clusters, checked for the
/// five properties (see ``GatewayHarness/checkPodFault(_:baseline:clusters:)``), plus 200 concurrent `/metrics` clients
/// and label spoofing with `honor_labels: false`.
@Suite("Fault matrix: pods", .serialized)
struct FaultMatrixPodTests {
    static let aws = "aws-eu-west-1"
    static let azure = "azure-eastus"
    static let onprem = "onprem-lab"
    static let clusters = [aws, azure, onprem]

    /// aws: 2 s interval and timeout, 8 MiB body limit. azure: 4 MiB body limit and a metric relabeling rule that
    /// records which cluster and pod it saw on the spoofing sample. onprem: defaults but for the interval.
    static let scrapeBlocks: [String: String] = [
        aws: "scrape:\n  interval: 2s\n  timeout: 2s\n  body_size_limit: 8MiB\n",
        azure: """
        scrape:
          interval: 2s
          timeout: 2s
          body_size_limit: 4MiB
        metric_relabel_configs:
          - source_labels: [__name__, cluster, pod_name]
            regex: "scripted_spoof;(.+);(.+)"
            target_label: seen_by_relabeling
            replacement: "$1/$2"

        """,
        onprem: "scrape:\n  interval: 2s\n  timeout: 2s\n",
    ]

    /// Runs the demo's three clusters (20 series per pod) plus `faults/flaky-0` (aws, a KubeSim exporter),
    /// `faults/scripted-0` (azure) and `faults/scripted-1` (onprem) answered by loopback scripted exporters, and a
    /// gateway on them; `body` gets the harness, the flaky exporter, the scripted ones and the all-up baseline.
    static func withWorld(
        faultPods: Bool = true,
        _ body:
            @Sendable (GatewayHarness, SimulatedExporter, ScriptedExporter, ScriptedExporter, PodFaultBaseline)
            async throws -> Void
    ) async throws {
        let flaky = SimulatedExporter(series: 20, seed: 42)
        let scripted = ScriptedExporter()
        let plain = ScriptedExporter()
        try await withScriptedExporters([scripted, plain]) { ports in
            let topology = try DemoTopology(seriesPerPod: 20)
            if faultPods {
                try topology.members[0].cluster.addFaultPod(
                    namespace: "faults",
                    name: "flaky-0",
                    backend: .exporter(flaky)
                )
                try topology.members[1].cluster.addFaultPod(
                    namespace: "faults",
                    name: "scripted-0",
                    backend: .address(host: "127.0.0.1", port: ports[0])
                )
                try topology.members[2].cluster.addFaultPod(
                    namespace: "faults",
                    name: "scripted-1",
                    backend: .address(host: "127.0.0.1", port: ports[1])
                )
            }
            try await GatewayHarness.run(topology.clusters, writeFiles: false) { harness, _ in
                for member in topology.members {
                    try FaultClusterFiles.write(
                        cluster: member.cluster,
                        token: member.gatewayToken,
                        labels: member.labels,
                        scrape: scrapeBlocks[member.cluster.name]!,
                        into: harness.directory
                    )
                }
                // Every target scraped at least once, the fault pods up.
                let faultKeys =
                    faultPods
                    ? ["\(aws)/faults/flaky-0", "\(azure)/faults/scripted-0", "\(onprem)/faults/scripted-1"] : []
                let ready = try await harness.waitForPodFaultView(clusters, seconds: 30) { view in
                    clusters.allSatisfy {
                        (view.targets[$0]?.count ?? 0) > 3 && view.targets[$0]!.allSatisfy { $0.up != nil }
                    }
                        && faultKeys.allSatisfy { view.up[$0] == 1 }
                        && view.targets.values.joined().count == view.up.count
                }
                try #require(
                    faultKeys.allSatisfy { ready.up[$0] == 1 },
                    "fault pods not up: \(ready.up.filter { $0.key.contains("/faults/") })"
                )
                // The demo's healthy pods are up; only its crash-looping pods and the pods of the namespace the
                // gateway may not proxy into are down.
                let down = ready.up.filter { $0.value != 1 }.keys.sorted()
                #expect(down.filter { $0.hasSuffix("/worker-7c9d5b8f4-x2k9p") }.count == 3, "\(down)")
                #expect(
                    down.allSatisfy {
                        $0.hasSuffix("/worker-7c9d5b8f4-x2k9p") || $0.contains("/\(DemoTopology.deniedNamespace)/")
                    },
                    "\(down)"
                )
                #expect(ready.mislabelled.isEmpty, "\(ready.mislabelled.prefix(5))")
                try await body(harness, flaky, scripted, plain, PodFaultBaseline(up: ready.up, series: ready.series))
            }
        }
    }

    @Test("slow, hung, 500, garbage, truncated gzip and gzip-bomb pods: the five properties hold")
    func exporterFaults() async throws {
        try await Self.withWorld { harness, flaky, _, _, baseline in
            let target = "\(Self.aws)/faults/flaky-0"
            let heal: @Sendable () -> Void = { flaky.behavior = .normal }
            let rows: [PodFaultRow] = [
                PodFaultRow(
                    name: "slow, just under the 2 s timeout",
                    target: target,
                    expectation: .stays(
                        observed: { ($0.target(target)?.durationSeconds ?? 0) >= 1.1 },
                        check: { _ in }
                    ),
                    inject: { flaky.behavior = .delay(.milliseconds(1200)) },
                    heal: heal
                ),
                PodFaultRow(
                    name: "slow, over the 2 s timeout",
                    target: target,
                    expectation: .down(reason: "timed out"),
                    inject: { flaky.behavior = .delay(.milliseconds(3000)) },
                    heal: heal
                ),
                PodFaultRow(
                    name: "hung",
                    target: target,
                    expectation: .down(reason: "timed out"),
                    inject: { flaky.behavior = .hang },
                    heal: heal
                ),
                PodFaultRow(
                    name: "HTTP 500",
                    target: target,
                    expectation: .down(reason: "pod answered HTTP 500"),
                    inject: { flaky.behavior = .status(500, body: "internal error\n") },
                    heal: heal
                ),
                PodFaultRow(
                    name: "garbage",
                    target: target,
                    expectation: .down(reason: "unparsable body"),
                    inject: { flaky.behavior = .garbage },
                    heal: heal
                ),
                PodFaultRow(
                    name: "truncated gzip",
                    target: target,
                    expectation: .down(reason: "gzip"),
                    inject: { flaky.behavior = .truncatedGzip },
                    heal: heal
                ),
                PodFaultRow(
                    name: "gzip bomb (256 MiB of zeros, 8 MiB limit)",
                    target: target,
                    expectation: .down(reason: "size limit"),
                    inject: { flaky.behavior = .gzipBomb(decompressedBytes: 256 << 20) },
                    heal: heal
                ),
            ]
            for row in rows { try await harness.checkPodFault(row, baseline: baseline, clusters: Self.clusters) }
        }
    }

    @Test(
        "duplicate series, repeated label names, a 1 MiB label value (over the limit), invalid UTF-8 and a 1 GiB body"
    )
    func payloadFaults() async throws {
        try await Self.withWorld { harness, _, scripted, _, baseline in
            let target = "\(Self.azure)/faults/scripted-0"
            let heal: @Sendable () -> Void = { scripted.mode = .normal }
            @Sendable func samples(_ view: PodFaultView, _ name: String) -> [Sample] {
                view.families.first { $0.name == name }?.samples.filter { PodFaultView.podKey($0) == target } ?? []
            }
            let rows: [PodFaultRow] = [
                // Prometheus keeps the first sample of a series and drops later ones with the same timestamp
                // (counted as out-of-order/duplicate); the scrape stays up.
                PodFaultRow(
                    name: "duplicate series",
                    target: target,
                    expectation: .stays(
                        observed: { !samples($0, "scripted_duplicate").isEmpty },
                        check: { view in
                            let duplicates = samples(view, "scripted_duplicate")
                            #expect(duplicates.count == 1, "\(duplicates)")
                            #expect(duplicates.first?.value == 1)
                        }
                    ),
                    inject: { scripted.mode = .duplicateSeries },
                    heal: heal
                ),
                PodFaultRow(
                    name: "label name repeated",
                    target: target,
                    expectation: .down(reason: "duplicate label name"),
                    inject: { scripted.mode = .repeatedLabelName },
                    heal: heal
                ),
                // Over scrape.label_value_length_limit (4 KiB by default): the scrape fails, naming the label.
                PodFaultRow(
                    name: "1 MiB label value",
                    target: target,
                    expectation: .down(
                        reason: "label blob has a value of 1048576 bytes, over label_value_length_limit (4096)"
                    ),
                    inject: { scripted.mode = .hugeLabelValue(bytes: 1 << 20) },
                    heal: heal
                ),
                PodFaultRow(
                    name: "invalid UTF-8 label value",
                    target: target,
                    expectation: .down(reason: "UTF-8"),
                    inject: { scripted.mode = .invalidUTF8 },
                    heal: heal
                ),
            ]
            for row in rows { try await harness.checkPodFault(row, baseline: baseline, clusters: Self.clusters) }

            // 1 GiB streamed: the 4 MiB body limit stops each scrape early and memory stays flat.
            let before = (
                requests: scripted.requests, bytes: scripted.bytesSent, resident: ProcessMemory.residentBytes()
            )
            let peak = Mutex(before.resident)
            let sampling = Task {
                while !Task.isCancelled {
                    let now = ProcessMemory.residentBytes()
                    peak.withLock { $0 = max($0, now) }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            try await harness.checkPodFault(
                PodFaultRow(
                    name: "1 GiB body",
                    target: target,
                    expectation: .down(reason: "size limit"),
                    inject: { scripted.mode = .endlessBody(totalBytes: 1 << 30) },
                    heal: heal
                ),
                baseline: baseline,
                clusters: Self.clusters
            )
            sampling.cancel()
            let scrapes = max(1, scripted.requests - before.requests)
            let perScrape = (scripted.bytesSent - before.bytes) / scrapes
            let growth = peak.withLock { $0 } - before.resident
            #expect(
                perScrape < 64 << 20,
                "the exporter sent \(perScrape) bytes per scrape before the gateway stopped reading"
            )
            #expect(growth < 200 << 20, "resident memory grew by \(growth >> 20) MiB during the 1 GiB body")
            print("fault matrix 1 GiB body: \(perScrape >> 20) MiB sent per scrape, resident +\(growth >> 20) MiB")
        }
    }

    @Test(
        "honor_labels: false: a pod claiming cluster, namespace, pod_name, instance, job and static labels cannot spoof them"
    )
    func labelSpoofing() async throws {
        try await Self.withWorld { harness, _, scripted, plain, baseline in
            for (exporter, target, provider, relabeled) in [
                (scripted, "\(Self.azure)/faults/scripted-0", "azure", true),
                (plain, "\(Self.onprem)/faults/scripted-1", "onprem", false),
            ] {
                let parts = target.split(separator: "/").map(String.init)
                @Sendable func spoof(_ view: PodFaultView) -> [Sample] {
                    view.families.first { $0.name == "scripted_spoof" }?.samples ?? []
                }
                try await harness.checkPodFault(
                    PodFaultRow(
                        name: "spoofed labels on \(target)",
                        target: target,
                        expectation: .stays(
                            observed: { view in spoof(view).contains { PodFaultView.podKey($0) == target } },
                            check: { view in
                                // Only the real pod's sample exists, under its real labels.
                                let all = spoof(view)
                                #expect(all.count == 1, "\(all)")
                                guard let sample = all.first else { return }
                                #expect(sample.label("cluster") == parts[0])
                                #expect(sample.label("namespace") == parts[1])
                                #expect(sample.label("pod_name") == parts[2])
                                #expect(sample.label("provider") == provider)
                                // Prometheus' rule: a clash moves the scraped value to exported_NAME, and further
                                // exported_ prefixes while that name is taken.
                                #expect(sample.label("exported_cluster") == "pre-exported")
                                #expect(sample.label("exported_exported_cluster") == "evil")
                                #expect(sample.label("exported_namespace") == "kube-system")
                                #expect(sample.label("exported_pod_name") == "kube-apiserver-0")
                                #expect(sample.label("exported_provider") == "evil-cloud")
                                // instance and job are not target labels here: they stay as the pod wrote them.
                                #expect(sample.label("instance") == "10.0.0.1:6443")
                                #expect(sample.label("job") == "apiserver")
                                // metric_relabel_configs see the target's labels, never the pod's claims.
                                #expect(
                                    sample.label("seen_by_relabeling") == (relabeled ? "\(parts[0])/\(parts[2])" : nil)
                                )
                                let claims = view.families.flatMap(\.samples).filter {
                                    $0.label("cluster") == "evil" || $0.label("namespace") == "kube-system"
                                        || $0.label("pod_name") == "kube-apiserver-0"
                                        || $0.label("provider") == "evil-cloud"
                                }
                                #expect(claims.isEmpty, "\(claims.prefix(3))")
                            }
                        ),
                        inject: { exporter.mode = .spoofedLabels },
                        heal: { exporter.mode = .normal }
                    ),
                    baseline: baseline,
                    clusters: Self.clusters
                )
            }
        }
    }

    @Test(
        "200 concurrent /metrics clients all get complete, correct bodies in bounded time; other endpoints keep answering"
    )
    func concurrentClients() async throws {
        try await Self.withWorld(faultPods: false) { harness, _, _, _, baseline in
            let targets = Set(baseline.up.keys)
            let port = harness.port
            try await KubeHTTPClient.withClient(connectionsPerCluster: 256) { client in
                let probeLatencies = Mutex<[Double]>([])
                let probeFailures = Mutex<[String]>([])
                let stop = Mutex(false)
                let probe = Task {
                    var round = 0
                    while !stop.withLock({ $0 }) && round < 600 {
                        round += 1
                        for path in ["/-/healthy", "/-/ready", "/api/v1/clusters", "/-/metrics"] {
                            let start = ContinuousClock.now
                            do {
                                let response = try await client.execute(
                                    HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"),
                                    timeout: .seconds(20)
                                )
                                _ = try await response.body.collect(upTo: 16 << 20)
                                if response.status.code != 200 {
                                    probeFailures.withLock { $0.append("\(path): \(response.status.code)") }
                                }
                            } catch {
                                probeFailures.withLock { $0.append("\(path): \(error)") }
                            }
                            let elapsed = start.duration(to: .now)
                            probeLatencies.withLock {
                                $0.append(
                                    Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
                                )
                            }
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                let start = ContinuousClock.now
                let results = try await withThrowingTaskGroup(of: (Int, Int, [String], Int).self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
                            let gzip = index % 4 == 0
                            if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
                            let response = try await client.execute(request, timeout: .seconds(60))
                            var body = try await response.body.collect(upTo: 64 << 20)
                            if gzip { body = try body.decompress(with: .gzip()) }
                            let bytes = Array(body.readableBytesView)
                            return (
                                index, Int(response.status.code),
                                Self.problems(bytes, targets: targets, baseline: baseline), bytes.count
                            )
                        }
                    }
                    var collected: [(Int, Int, [String], Int)] = []
                    for try await result in group { collected.append(result) }
                    return collected
                }
                let elapsed = start.duration(to: .now)
                stop.withLock { $0 = true }
                await probe.value
                #expect(results.count == 200)
                #expect(results.allSatisfy { $0.1 == 200 })
                for (index, _, problems, size) in results where !problems.isEmpty {
                    Issue.record("client \(index): \(size) bytes: \(problems.prefix(3))")
                }
                #expect(elapsed < .seconds(60), "200 concurrent /metrics took \(elapsed)")
                let latencies = probeLatencies.withLock { $0 }
                #expect(!latencies.isEmpty)
                #expect(probeFailures.withLock { $0 }.isEmpty, "\(probeFailures.withLock { $0 }.prefix(5))")
                #expect(
                    (latencies.max() ?? 0) < 20,
                    "slowest health/API answer during the burst: \(latencies.max() ?? 0) s"
                )
                print(
                    "fault matrix 200 clients: \(elapsed), \(results.first?.3 ?? 0) bytes each, slowest other endpoint \(latencies.max() ?? 0) s over \(latencies.count) requests"
                )
            }
        }
    }

    /// What is wrong with a text `/metrics` body: not strictly valid, a target missing, or a target whose series
    /// differ from the baseline (all of them when it is up, none when a scrape failed under the load).
    static func problems(_ bytes: [UInt8], targets: Set<String>, baseline: PodFaultBaseline) -> [String] {
        let families: [MetricFamily]
        do {
            families = try MetricFamily.parse(bytes, format: .text, mode: .strict)
        } catch {
            return ["invalid: \(error)"]
        }
        let view = PodFaultView(families: families, targets: [:])
        let up = view.up
        let series = view.series
        var problems: [String] = []
        if Set(up.keys) != targets {
            problems.append("targets differ: \(Set(up.keys).symmetricDifference(targets).sorted().prefix(3))")
        }
        for (key, value) in up {
            let expected = value == 1 ? baseline.series[key] : nil
            if series[key] != expected {
                problems.append(
                    "\(key) (up \(value)): \(series[key]?.count ?? 0) series, expected \(expected?.count ?? 0)"
                )
            }
        }
        return problems
    }
}
