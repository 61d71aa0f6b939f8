import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Testing

@Suite("Path safety against KubeSim's request log", .serialized)
struct GatewayPathSafetyTests {
    /// A pod whose annotations try to make the gateway fetch something else with its credentials.
    static func hostilePod(_ cluster: SimulatedCluster, name: String, path: String, port: String = "9102") -> SimulatedPod {
        SimulatedPod(
            namespace: "app",
            name: name,
            labels: ["app": "hostile"],
            annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": path],
            owner: .init(kind: "StatefulSet", name: "hostile"),
            nodeName: "node-1",
            containers: [.init(name: "hostile", image: "registry.example/hostile:1.0", ports: [.init(name: "metrics", containerPort: 9102)])],
            podIP: cluster.pods.allocatePodIP(),
            backends: [9102: .exporter(SimulatedExporter(series: 3))]
        )
    }

    @Test("hostile paths, ports and schemes in annotations never leave the pod's proxy prefix")
    func hostileAnnotations() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "guarded"))
        try cluster.addExporterPods(namespace: "app", count: 1, seriesPerPod: 5, namePrefix: "good")
        let hostile: [(String, String, String)] = [
            ("h-dotdot", "/../../../api/v1/secrets", "9102"),
            ("h-encoded", "/%2e%2e/%2e%2e/api/v1/secrets", "9102"),
            ("h-slash", "/a/%2F..%2F..%2Fsecrets", "9102"),
            ("h-host", "//evil.example/metrics", "9102"),
            ("h-query", "/metrics?watch=1&labelSelector=x", "9102"),
            ("h-fragment", "/metrics#x", "9102"),
            ("h-relative", "metrics", "9102"),
            ("h-backslash", "/..\\..\\secrets", "9102"),
        ]
        for (name, path, port) in hostile { try cluster.pods.add(Self.hostilePod(cluster, name: name, path: path, port: port)) }
        try await GatewayHarness.run([cluster]) { harness, running in
            _ = try await harness.waitForMetrics { $0.up(cluster: "guarded")["good-0"] == 1 }
            try await Task.sleep(for: .seconds(2))  // a few more scrape rounds
            let entries = running[0].requestLog.entries
            #expect(!entries.isEmpty)
            let proxied = entries.filter { $0.path.contains("/proxy") }
            #expect(!proxied.isEmpty)
            for entry in entries {
                let allowed =
                    entry.path == "/version" || entry.path == "/api/v1/pods" || entry.path == "/api/v1/namespaces/app/pods"
                    || entry.path.hasPrefix("/api/v1/namespaces/app/pods/http:good-0:9102/proxy/")
                #expect(allowed, "unexpected request \(entry.method) \(entry.path)?\(entry.query ?? "")")
                #expect(!entry.path.contains("secrets") && !entry.path.contains("..") && !entry.path.lowercased().contains("%2e"))
            }
            // Every hostile pod is refused, with a reason on the cluster page's JSON.
            let (_, json, _) = try await harness.get("/api/v1/clusters/guarded")
            for (name, _, _) in hostile { #expect(json.contains(name), "\(name) not listed as refused") }
            #expect(json.contains("refusedPods"))
        }
    }
}
