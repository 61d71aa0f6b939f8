import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Testing

/// Pods behind annotated Services end to end on KubeSim, whose simulated EndpointSlice controller keeps slices
/// consistent with pods: ready endpoints scraped through their pods' proxies with a `service` label, unready ones
/// dropped, a removed annotation ending the targets, a pod both annotated and behind a Service scraped once, and a
/// slice endpoint that is not a pod refused with the reason.
@Suite("Service targets end to end on KubeSim", .serialized)
struct ServiceTargetsEndToEndTests {
    /// A Running pod whose port `http` (8080) serves `series` series; not annotated, so only a Service selects it.
    static func addPod(
        _ cluster: SimulatedCluster,
        _ name: String,
        app: String,
        annotations: [String: String] = [:]
    ) throws {
        let exporter = SimulatedExporter(series: 4, seed: UInt64(name.utf8.reduce(7) { $0 &* 31 &+ Int($1) }.magnitude))
        try cluster.pods.add(
            SimulatedPod(
                namespace: "shop",
                name: name,
                labels: ["app": app],
                annotations: annotations,
                owner: .init(kind: "ReplicaSet", name: app),
                nodeName: "node-1",
                containers: [.init(name: app, ports: [.init(name: "http", containerPort: 8080)])],
                podIP: cluster.pods.allocatePodIP(),
                backends: [8080: .exporter(exporter)]
            )
        )
    }

    /// `up` per pod of the cluster with the `service` label each sample carries ("-" for none).
    static func upByPod(_ families: [MetricFamily]) -> [String: (up: Double, service: String, count: Int)] {
        var result: [String: (up: Double, service: String, count: Int)] = [:]
        for sample in families.first(where: { $0.name == "up" })?.samples ?? [] {
            guard let pod = sample.label("pod_name") else { continue }
            let previous = result[pod]?.count ?? 0
            result[pod] = (sample.value, sample.label("service") ?? "-", previous + 1)
        }
        return result
    }

    @Test("ready endpoints scraped once with a service label; unready, unannotated and non-pod endpoints are not")
    func serviceEndpoints() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "svc"))
        for index in 0..<3 { try Self.addPod(cluster, "api-\(index)", app: "api") }
        try Self.addPod(
            cluster,
            "both-0",
            app: "api",
            annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "8080"]
        )
        try cluster.addService(
            namespace: "shop",
            name: "api",
            selector: ["app": "api"],
            ports: [.init(name: "http", port: 80, targetPort: "http")],
            scrapePort: 8080
        )
        // A hand-made slice of the same Service whose endpoint is not a pod.
        try cluster.endpointSlices.add(
            SimulatedEndpointSlice(
                namespace: "shop",
                name: "api-external",
                labels: [SimulatedEndpointSlice.serviceNameLabel: "api"],
                endpoints: [.init(addresses: ["192.0.2.50"])],
                ports: [.init(name: "http", port: 8080)]
            )
        )
        cluster.policy.allowServiceDiscovery(.user(GatewayHarness.gatewayIdentity.user))
        try await GatewayHarness.run([cluster], scrapeSettings: "services: true\n") { harness, _ in
            let families = try await harness.waitForMetrics { families in
                let up = Self.upByPod(families)
                return ["api-0", "api-1", "api-2", "both-0"].allSatisfy { up[$0]?.up == 1 }
            }
            let up = Self.upByPod(families)
            for pod in ["api-0", "api-1", "api-2"] {
                #expect(up[pod]?.service == "api" && up[pod]?.count == 1, "\(pod): \(String(describing: up[pod]))")
            }
            // Chosen by its own annotation too: scraped once, as the pod's target (no service label).
            #expect(up["both-0"]?.count == 1 && up["both-0"]?.service == "-", "\(String(describing: up["both-0"]))")
            let series = families.flatMap(\.samples).filter { $0.label("pod_name") == "api-1" && $0.name != "up" }
            #expect(series.allSatisfy { $0.label("service") == "api" && $0.label("namespace") == "shop" })

            let (_, json, _) = try await harness.get("/api/v1/clusters/svc")
            #expect(json.contains("not a Pod"), "the non-pod endpoint is refused with the reason")
            let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            let objects = report?["discoveredObjects"] as? [String: Int]
            #expect(objects?["services"] == 1 && objects?["pods"] == 4, "\(String(describing: objects))")
            #expect((objects?["endpointslices"] ?? 0) >= 2, "\(String(describing: objects))")

            // Unready: the controller marks the endpoint not ready; its target goes.
            try cluster.pods.update(namespace: "shop", name: "api-1") { $0.ready = false }
            _ = try await harness.waitForMetrics { Self.upByPod($0)["api-1"] == nil }

            // The annotation removed: every Service target goes; the annotated pod stays.
            try cluster.services.update("api", namespace: "shop") { $0.annotations["prometheus.io/scrape"] = nil }
            let after = try await harness.waitForMetrics { families in
                let up = Self.upByPod(families)
                return up["api-0"] == nil && up["api-2"] == nil
            }
            #expect(Self.upByPod(after)["both-0"]?.up == 1)
        }
    }
}
