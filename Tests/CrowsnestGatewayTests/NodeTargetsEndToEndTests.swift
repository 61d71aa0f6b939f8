import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Testing

/// Node targets end to end on KubeSim: kubelets scraped through the node proxy, cAdvisor series joined to pod
/// targets' by `pod_name`, nodes coming and going, and kubelet faults shown as `up 0` with the reason.
@Suite("Node targets end to end on KubeSim", .serialized)
struct NodeTargetsEndToEndTests {
    static let nodesBlock = "nodes:\n  kubelet: true\n  cadvisor: true\n"

    /// `up` of every node target of `cluster`, keyed `node metrics_path`.
    static func nodeUp(_ families: [MetricFamily], cluster: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for sample in families.first(where: { $0.name == "up" })?.samples ?? []
        where sample.label("cluster") == cluster && sample.label("node") != nil {
            result["\(sample.label("node") ?? "") \(sample.label("metrics_path") ?? "")"] = sample.value
        }
        return result
    }

    /// The cluster's JSON report's targets.
    static func targets(_ harness: GatewayHarness, cluster: String) async throws -> [[String: Any]] {
        let (_, body, _) = try await harness.get("/api/v1/clusters/\(cluster)")
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return object?["targets"] as? [[String: Any]] ?? []
    }

    @Test("kubelet and cAdvisor of every node; cAdvisor series join pod targets on cluster, namespace, pod_name")
    func scrapedAndJoined() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "metal"))
        try cluster.addExporterPods(namespace: "shop", count: 4, seriesPerPod: 10, namePrefix: "web")
        try cluster.addNodes(count: 3)
        cluster.policy.allowNodeScraping(.user(GatewayHarness.gatewayIdentity.user))
        try await GatewayHarness.run([cluster], scrapeSettings: Self.nodesBlock) { harness, _ in
            let families = try await harness.waitForMetrics { families in
                Self.nodeUp(families, cluster: "metal").count == 6
                    && Self.nodeUp(families, cluster: "metal").values.allSatisfy { $0 == 1 }
                    && families.up(cluster: "metal").filter { $0.key.hasPrefix("web-") }.count == 4
            }
            #expect(
                Set(Self.nodeUp(families, cluster: "metal").keys)
                    == Set(["node-1", "node-2", "node-3"].flatMap { ["\($0) /metrics", "\($0) /metrics/cadvisor"] })
            )
            let cpu = families.first { $0.name == "container_cpu_usage_seconds_total" }?.samples ?? []
            #expect(!cpu.isEmpty)
            // Every pod-scoped cAdvisor series carries pod_name = pod, and the node it runs on.
            for sample in cpu where sample.label("pod") != nil {
                #expect(sample.label("pod_name") == sample.label("pod"), "\(sample)")
                #expect(sample.label("cluster") == "metal")
                #expect(sample.label("metrics_path") == "/metrics/cadvisor")
            }
            // The join: each pod target has cAdvisor series on (cluster, namespace, pod_name), from its own node only.
            for (pod, node) in [("web-0", "node-1"), ("web-1", "node-2"), ("web-2", "node-3"), ("web-3", "node-1")] {
                let joined = cpu.filter { $0.label("namespace") == "shop" && $0.label("pod_name") == pod }
                #expect(!joined.isEmpty, "\(pod) has no cAdvisor series")
                #expect(joined.allSatisfy { $0.label("node") == node }, "\(pod) on \(node)")
            }
            // The health page's raw view of a node target.
            let (status, raw, _) = try await harness.get("/clusters/metal/nodes/node-2/cadvisor")
            #expect(status == 200)
            #expect(raw.contains("container_cpu_usage_seconds_total"))
            let targets = try await Self.targets(harness, cluster: "metal")
            #expect(targets.filter { $0["role"] as? String == "node" }.count == 6)
            #expect(
                targets.contains { $0["node"] as? String == "node-1" && $0["path"] as? String == "/metrics/cadvisor" }
            )
        }
    }

    @Test("a node added, removed or NotReady; a kubelet answering 403 or unreachable: up 0 with the reason")
    func changesAndFaults() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "churn"))
        try cluster.addExporterPods(namespace: "shop", count: 3, seriesPerPod: 5, namePrefix: "web")
        let nodes = try cluster.addNodes(count: 3)
        cluster.policy.allowNodeScraping(.user(GatewayHarness.gatewayIdentity.user))
        try await GatewayHarness.run([cluster], scrapeSettings: "nodes:\n  cadvisor: true\n") { harness, _ in
            _ = try await harness.waitForMetrics { families in
                Self.nodeUp(families, cluster: "churn").values.filter { $0 == 1 }.count == 3
            }
            nodes[1].kubelet.behavior = .forbidden
            nodes[2].kubelet.behavior = .connectionRefused
            try cluster.addNodes(count: 1, namePrefix: "extra")
            _ = try await harness.waitForMetrics { families in
                let up = Self.nodeUp(families, cluster: "churn")
                return up["node-2 /metrics/cadvisor"] == 0 && up["node-3 /metrics/cadvisor"] == 0
                    && up["node-1 /metrics/cadvisor"] == 1 && up["extra-1 /metrics/cadvisor"] == 1
            }
            let targets = try await Self.targets(harness, cluster: "churn")
            let errors = Dictionary(
                targets.compactMap { target -> (String, String)? in
                    guard let node = target["node"] as? String else { return nil }
                    return (node, target["error"] as? String ?? "")
                },
                uniquingKeysWith: { a, _ in a }
            )
            #expect(errors["node-2"]?.contains("kubelet answered HTTP 403") == true, "\(errors)")
            #expect(errors["node-3"]?.contains("503") == true, "\(errors)")
            #expect(errors["node-3"]?.contains("error trying to reach service") == true, "\(errors)")

            // NotReady: still a target (Prometheus' role: node keeps it; up says whether its kubelet answers).
            try cluster.nodes.update("node-1") { $0.readiness = .notReady }
            // Removed: its target and series go.
            try cluster.nodes.delete("node-3")
            let after = try await harness.waitForMetrics { families in
                let up = Self.nodeUp(families, cluster: "churn")
                return up["node-3 /metrics/cadvisor"] == nil && up["node-1 /metrics/cadvisor"] == 1
            }
            #expect(
                !(after.first { $0.name == "container_cpu_usage_seconds_total" }?.samples ?? []).contains {
                    $0.label("node") == "node-3"
                }
            )
        }
    }

    @Test("the RBAC self-check lists exactly the node and Service permissions a cluster lacks; discovery says why")
    func permissionSelfCheck() async throws {
        let granted = try SimulatedCluster(ClusterConfiguration(name: "granted"))
        let lacking = try SimulatedCluster(ClusterConfiguration(name: "lacking"))
        for cluster in [granted, lacking] {
            try cluster.addExporterPods(namespace: "shop", count: 1, seriesPerPod: 3, namePrefix: "web")
            try cluster.addNodes(count: 1)
        }
        granted.policy.allowNodeScraping(.user(GatewayHarness.gatewayIdentity.user))
        granted.policy.allowServiceDiscovery(.user(GatewayHarness.gatewayIdentity.user))
        let settings = "nodes:\n  cadvisor: true\nservices: true\n"
        try await GatewayHarness.run([granted, lacking], scrapeSettings: settings) { harness, _ in
            _ = try await harness.waitForMetrics { families in
                Self.nodeUp(families, cluster: "granted")["node-1 /metrics/cadvisor"] == 1
            }
            // The reviews are asked with the API server check; on a loaded machine the first may time out and is
            // asked again with the next check (every 10 s), so wait (bounded) for an answer.
            func report(_ name: String) async throws -> [String: Any] {
                var object: [String: Any] = [:]
                for _ in 0..<30 {
                    let (_, body, _) = try await harness.get("/api/v1/clusters/\(name)")
                    object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
                    if (object["apiServer"] as? [String: Any])?["missingPermissions"] != nil { break }
                    try await Task.sleep(for: .seconds(1))
                }
                return object
            }
            let ok = try await report("granted")
            #expect((ok["apiServer"] as? [String: Any])?["missingPermissions"] as? [String] == [])
            let missing = try await report("lacking")
            let names = (missing["apiServer"] as? [String: Any])?["missingPermissions"] as? [String] ?? []
            #expect(
                Set(names) == [
                    "list services", "watch services", "list endpointslices", "watch endpointslices", "list nodes",
                    "watch nodes", "get nodes/proxy",
                ],
                "\(names)"
            )
            #expect(missing["discovery"] as? String == "failing")
            #expect((missing["discoveryError"] as? String ?? "").contains("403"), "\(missing["discoveryError"] ?? "")")
            let (_, page, _) = try await harness.get("/clusters/lacking")
            #expect(page.contains("missing: list services"), "the page shows the missing permissions")
            // The pod targets keep working meanwhile.
            let families = try await harness.metrics()
            #expect(families.up(cluster: "lacking")["web-0"] == 1)
        }
    }
}
