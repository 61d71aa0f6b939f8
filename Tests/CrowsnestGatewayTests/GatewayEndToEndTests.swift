import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import NIOHTTP1
import Testing

@Suite("Gateway end to end on KubeSim", .serialized)
struct GatewayEndToEndTests {
    @Test("every pod's samples appear with cluster, namespace and pod_name; a pod cannot spoof another cluster")
    func labelsAndSpoofing() async throws {
        let east = try SimulatedCluster(ClusterConfiguration(name: "east"))
        let west = try SimulatedCluster(ClusterConfiguration(name: "west"))
        try east.addExporterPods(namespace: "shop", count: 3, seriesPerPod: 30, namePrefix: "web")
        try west.addExporterPods(namespace: "billing", count: 2, seriesPerPod: 30, namePrefix: "api")
        // A pod whose every series claims cluster="evil" and namespace="kube-system".
        let spoofing = SimulatedExporter(series: 5, seed: 7, labels: ["cluster": "evil", "namespace": "kube-system"])
        try west.pods.add(
            SimulatedPod(
                namespace: "billing",
                name: "evil-0",
                labels: ["app": "evil"],
                annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"],
                owner: .init(kind: "StatefulSet", name: "evil"),
                nodeName: "node-1",
                containers: [
                    .init(
                        name: "evil",
                        image: "registry.example/evil:1.0",
                        ports: [.init(name: "metrics", containerPort: 9102)]
                    )
                ],
                podIP: west.pods.allocatePodIP(),
                backends: [9102: .exporter(spoofing)]
            )
        )
        try await GatewayHarness.run([east, west]) { harness, _ in
            let families = try await harness.waitForMetrics { families in
                families.up(cluster: "east").count == 3 && families.up(cluster: "west").count == 3
                    && families.up(cluster: "east").values.allSatisfy { $0 == 1 }
                    && families.up(cluster: "west").values.allSatisfy { $0 == 1 }
            }
            #expect(families.up(cluster: "east") == ["web-0": 1, "web-1": 1, "web-2": 1])
            #expect(families.up(cluster: "west") == ["api-0": 1, "api-1": 1, "evil-0": 1])
            let samples = families.allSatisfy { _ in true } ? families.allSamples : []
            for pod in ["web-0", "web-1", "web-2"] {
                let podSamples = samples.filter {
                    $0.label("pod_name") == pod && $0.name != "up" && !$0.name.hasPrefix("scrape_")
                }
                #expect(podSamples.count >= 30, "\(pod) has \(podSamples.count) samples")
                #expect(podSamples.allSatisfy { $0.label("cluster") == "east" && $0.label("namespace") == "shop" })
            }
            #expect(!samples.contains { $0.label("cluster") != "east" && $0.label("cluster") != "west" })
            #expect(
                samples.filter { $0.label("pod_name") == "api-0" }.allSatisfy { $0.label("namespace") == "billing" }
            )
            let evil = samples.filter {
                $0.label("pod_name") == "evil-0" && $0.name != "up" && !$0.name.hasPrefix("scrape_")
            }
            #expect(evil.count >= 5)
            #expect(
                evil.allSatisfy {
                    $0.label("cluster") == "west" && $0.label("namespace") == "billing"
                        && $0.label("exported_cluster") == "evil" && $0.label("exported_namespace") == "kube-system"
                }
            )
        }
    }

    @Test("pods serving garbage, hanging, failing or a gzip bomb are up 0; the others keep their samples")
    func badPods() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "faulty"))
        let made = try cluster.addExporterPods(namespace: "app", count: 5, seriesPerPod: 20, namePrefix: "pod")
        made[1].exporter.behavior = .garbage
        made[2].exporter.behavior = .hang
        made[3].exporter.behavior = .status(500, body: "internal error")
        made[4].exporter.behavior = .gzipBomb(decompressedBytes: 32 << 20)
        // 32 MiB against a 4 MiB limit: the simulator compresses the bomb per request, so it stays small enough to
        // be sent well within the 800 ms timeout on a loaded machine.
        try await GatewayHarness.run([cluster], scrapeSettings: "  body_size_limit: 4MiB\n") { harness, _ in
            let families = try await harness.waitForMetrics { $0.up(cluster: "faulty").count == 5 }
            #expect(families.up(cluster: "faulty") == ["pod-0": 1, "pod-1": 0, "pod-2": 0, "pod-3": 0, "pod-4": 0])
            let good = families.allSamples.filter { $0.label("pod_name") == "pod-0" && $0.name != "up" }
            #expect(good.count >= 20)
            let bad = families.allSamples.filter {
                ["pod-1", "pod-2", "pod-3", "pod-4"].contains($0.label("pod_name") ?? "")
            }
            #expect(bad.allSatisfy { $0.name == "up" || $0.name.hasPrefix("scrape_") })
            let (_, json, _) = try await harness.get("/api/v1/clusters/faulty")
            #expect(json.contains("pod answered HTTP 500"))
            #expect(json.contains("unparsable body"))
            #expect(json.contains("size limit"))
        }
    }

    @Test("a pod added appears and a pod deleted disappears within one interval plus a second")
    func podChurn() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "churn"))
        try cluster.addExporterPods(namespace: "app", count: 2, seriesPerPod: 10, namePrefix: "base")
        try await GatewayHarness.run([cluster]) { harness, running in
            _ = try await harness.waitForMetrics { $0.up(cluster: "churn").count == 2 }
            try running[0].addExporterPods(namespace: "app", count: 1, seriesPerPod: 10, namePrefix: "late")
            let start = ContinuousClock.now
            let added = try await harness.waitForMetrics { $0.up(cluster: "churn")["late-0"] == 1 }
            #expect(added.up(cluster: "churn")["late-0"] == 1)
            #expect(ContinuousClock.now - start < .seconds(4))
            try running[0].pods.delete(namespace: "app", name: "base-0")
            let deletedAt = ContinuousClock.now
            let removed = try await harness.waitForMetrics { $0.up(cluster: "churn")["base-0"] == nil }
            #expect(removed.up(cluster: "churn")["base-0"] == nil)
            #expect(!removed.allSamples.contains { $0.label("pod_name") == "base-0" })
            #expect(ContinuousClock.now - deletedAt < .seconds(3))
        }
    }

    @Test("a cluster file added, broken, fixed and deleted: hot reload without restart")
    func hotReload() async throws {
        let first = try SimulatedCluster(ClusterConfiguration(name: "first"))
        let second = try SimulatedCluster(ClusterConfiguration(name: "second"))
        try first.addExporterPods(namespace: "a", count: 1, seriesPerPod: 10)
        try second.addExporterPods(namespace: "b", count: 1, seriesPerPod: 10)
        try await GatewayHarness.run([first, second], writeFiles: false) { harness, running in
            try GatewayHarness.writeClusterFile(running[0], into: harness.directory)
            _ = try await harness.waitForMetrics { $0.up(cluster: "first").count == 1 }
            // Added.
            try GatewayHarness.writeClusterFile(running[1], into: harness.directory)
            var families = try await harness.waitForMetrics { $0.up(cluster: "second") == ["app-0": 1] }
            #expect(families.up(cluster: "second") == ["app-0": 1])
            // Broken: reported, last good version keeps running.
            let file = harness.directory + "/clusters.d/second.yaml"
            let good = try String(contentsOfFile: file, encoding: .utf8)
            try (good + "unknown_field: [\n").write(toFile: file, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .seconds(1))
            let (_, json, _) = try await harness.get("/api/v1/clusters")
            #expect(json.contains("\"runningLastGoodVersion\" : true"))
            families = try await harness.metrics()
            #expect(families.up(cluster: "second") == ["app-0": 1])
            // Editor leftovers are ignored.
            try "garbage: [".write(
                toFile: harness.directory + "/clusters.d/.second.yaml.swp",
                atomically: true,
                encoding: .utf8
            )
            try "garbage: [".write(
                toFile: harness.directory + "/clusters.d/second.yaml~",
                atomically: true,
                encoding: .utf8
            )
            // Fixed.
            try good.replacingOccurrences(of: "interval: 1s", with: "interval: 2s").write(
                toFile: file,
                atomically: true,
                encoding: .utf8
            )
            try await Task.sleep(for: .seconds(1))
            let (_, fixed, _) = try await harness.get("/api/v1/clusters")
            #expect(!fixed.contains("\"runningLastGoodVersion\" : true"))
            #expect(!fixed.contains("swp"))
            // Deleted: its series disappear, the other cluster is untouched.
            try FileManager.default.removeItem(atPath: file)
            families = try await harness.waitForMetrics { $0.up(cluster: "second").isEmpty }
            #expect(families.up(cluster: "second").isEmpty)
            #expect(!families.allSamples.contains { $0.label("cluster") == "second" })
            #expect(families.up(cluster: "first") == ["app-0": 1])
        }
    }

    @Test("/metrics passes promtool check metrics and crowsnest's strict check, in text and OpenMetrics")
    func validOutput() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "valid"))
        try cluster.addExporterPods(namespace: "app", count: 3, seriesPerPod: 200)
        try await GatewayHarness.run([cluster]) { harness, _ in
            _ = try await harness.waitForMetrics { $0.up(cluster: "valid").values.filter { $0 == 1 }.count == 3 }
            let (_, text, _) = try await harness.get("/metrics")
            #expect(try MetricFamily.parse(text, format: .text, mode: .strict).count > 5)
            let (_, openMetrics, headers) = try await harness.get(
                "/metrics",
                headers: [("Accept", ContentNegotiation.scrapeAcceptHeader)]
            )
            #expect(headers.first(name: "Content-Type")?.hasPrefix("application/openmetrics-text") == true)
            #expect(try MetricFamily.parse(openMetrics, format: .openMetrics, mode: .strict).count > 5)
            // promtool (Debian package prometheus).
            let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            guard let promtool else {
                Issue.record("promtool not found: install the Debian package prometheus")
                return
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: promtool)
            process.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // promtool exits 3 for lint-only findings (naming advice); errors exit 1.
            let problems = report.split(separator: "\n").filter {
                !$0.contains("no help text") && !$0.contains("should have") && !$0.contains("should not")
                    && !$0.contains("abbreviated") && !$0.contains("base unit") && !$0.contains("camelCase")
            }
            #expect(process.terminationStatus != 1, "\(report.prefix(2000))")
            #expect(problems.isEmpty, "\(problems.prefix(20))")
        }
    }
}
