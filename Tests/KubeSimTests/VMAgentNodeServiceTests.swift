import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import PeerSupport
import Testing

/// vmagent discovering nodes (`role: node`, the standard cAdvisor job through the node proxy) and Service
/// endpoints (`role: endpointslice`, the `kubernetes-service-endpoints` convention through the pod proxy) of a
/// simulated cluster, with ``NodeAndServiceRelabeling``: the peer's view of KubeSim's nodes, kubelets, Services
/// and EndpointSlices.
@Suite("vmagent: nodes and Service endpoints", .timeLimit(.minutes(3)))
struct VMAgentNodeServiceTests {
    static func config(apiServer: String, hostPort: String, caFile: String, tokenFile: String) -> String {
        func job(_ name: String, role: String) -> String {
            """
              - job_name: \(name)
                scheme: https
                tls_config:
                  ca_file: \(caFile)
                bearer_token_file: \(tokenFile)
                kubernetes_sd_configs:
                  - role: \(role)
                    api_server: \(apiServer)
                    tls_config:
                      ca_file: \(caFile)
                    bearer_token_file: \(tokenFile)
                relabel_configs:

            """
        }
        return """
            global:
              scrape_interval: 2s
              scrape_timeout: 2s
            scrape_configs:

            """ + job("kubernetes-cadvisor", role: "node")
                + NodeAndServiceRelabeling.nodeRules(apiHostPort: hostPort, kubeletPath: "/metrics/cadvisor", indent: 6)
                + job("kubernetes-service-endpoints", role: "endpointslice")
                + NodeAndServiceRelabeling.serviceEndpointRules(apiHostPort: hostPort, indent: 6)
    }

    @Test func discoversNodesAndServiceEndpoints() async throws {
        let vmagent = try PeerBinary.require(
            "vmagent",
            debianPackage: "victoria-metrics",
            candidates: ["/usr/bin/vmagent"]
        )
        let directory = try TemporaryDirectory("kubesim-vmagent-nodes")
        defer { directory.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "vm-nodes"))
        let identity = Identity.serviceAccount(namespace: "monitoring", name: "vmagent")
        cluster.policy.allowScraping(.user(identity.user))
        cluster.policy.allowNodeScraping(.user(identity.user))
        cluster.policy.allowServiceDiscovery(.user(identity.user))
        let token = cluster.issueToken(for: identity)
        try cluster.addNodes(count: 3)
        try cluster.addExporterPods(namespace: "shop", count: 3, seriesPerPod: 20, namePrefix: "web", annotate: false)
        try cluster.addService(namespace: "shop", name: "web", scrapePath: "/metrics")
        try cluster.addService(namespace: "shop", name: "quiet", selector: ["app": "web"], scrape: false)
        // A hand-made slice whose endpoint is no Pod: the keep rule drops it.
        try cluster.addService(namespace: "shop", name: "external", selector: [:])
        try cluster.endpointSlices.add(
            SimulatedEndpointSlice(
                namespace: "shop",
                name: "external-manual",
                labels: [SimulatedEndpointSlice.serviceNameLabel: "external"],
                endpoints: [.init(addresses: ["10.9.9.9"])],
                ports: [.init(name: "metrics", port: 9102)]
            )
        )

        try await cluster.withRunning { cluster in
            let caFile = directory.file("ca.crt")
            let tokenFile = directory.file("token")
            try cluster.caCertificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let configFile = directory.file("vmagent.yaml")
            try Self.config(
                apiServer: cluster.apiServerURL!,
                hostPort: "127.0.0.1:\(cluster.port!)",
                caFile: caFile,
                tokenFile: tokenFile
            )
            .write(toFile: configFile, atomically: true, encoding: .utf8)
            let httpPort = try freeLoopbackPort()
            let process = try PeerProcess.vmagent(vmagent, config: configFile, httpPort: httpPort, scratch: directory)
            defer { process.stop() }

            try await HTTPClient.withHTTPClient { http in
                func current() async -> (nodes: [VMAgentTests.Target], endpoints: [VMAgentTests.Target]) {
                    let targets = (try? await VMAgentTests.targets(http, port: httpPort)) ?? []
                    return (
                        targets.filter { $0.labels["job"] == "kubernetes-cadvisor" },
                        targets.filter { $0.labels["job"] == "kubernetes-service-endpoints" }
                    )
                }
                var seen = await current()
                for _ in 0..<120 {
                    seen = await current()
                    if seen.nodes.count == 3, seen.endpoints.count == 3,
                        (seen.nodes + seen.endpoints).allSatisfy({ $0.health == "up" })
                    {
                        break
                    }
                    if !process.isRunning { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                let all = seen.nodes + seen.endpoints
                #expect(
                    seen.nodes.count == 3 && seen.endpoints.count == 3,
                    "vmagent targets: \(all.map { ($0.labels, $0.health, $0.lastError) }) log: \(process.stderr.suffix(3000))"
                )
                #expect(all.allSatisfy { $0.health == "up" }, "\(all.map(\.lastError))")
                #expect(Set(seen.nodes.compactMap { $0.labels["node"] }) == ["node-1", "node-2", "node-3"])
                #expect(seen.nodes.allSatisfy { $0.labels["metrics_path"] == "/metrics/cadvisor" })
                #expect(Set(seen.endpoints.compactMap { $0.labels["pod_name"] }) == ["web-0", "web-1", "web-2"])
                #expect(seen.endpoints.allSatisfy { $0.labels["service"] == "web" && $0.labels["namespace"] == "shop" })
                #expect(
                    cluster.requestLog.count {
                        $0.path.hasPrefix("/api/v1/nodes/") && $0.path.hasSuffix("/proxy/metrics/cadvisor")
                            && $0.user == identity.user && $0.status == 200
                    } > 0
                )
                #expect(
                    cluster.requestLog.count {
                        $0.kind == .watch && $0.path.hasSuffix("/endpointslices") && $0.user == identity.user
                    } > 0
                )

                // A pod turning unready leaves the Service's ready endpoints; a node going away leaves the nodes.
                try cluster.pods.update(namespace: "shop", name: "web-1") { $0.ready = false }
                try cluster.nodes.delete("node-3")
                for _ in 0..<80 {
                    seen = await current()
                    if seen.endpoints.count == 2, seen.nodes.count == 2 { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(Set(seen.endpoints.compactMap { $0.labels["pod_name"] }) == ["web-0", "web-2"])
                #expect(Set(seen.nodes.compactMap { $0.labels["node"] }) == ["node-1", "node-2"])
            }
        }
    }
}
