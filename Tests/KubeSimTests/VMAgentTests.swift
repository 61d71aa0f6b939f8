import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

/// vmagent (VictoriaMetrics, the Kubernetes-discovery client available here) discovering pods of a simulated
/// cluster with `kubernetes_sd_configs` (role: pod) and scraping them through the pod proxy, with the relabeling
/// of the original article.
@Suite("vmagent", .timeLimit(.minutes(3)))
struct VMAgentTests {
    static func config(apiServer: String, hostPort: String, caFile: String, tokenFile: String) -> String {
        """
        global:
          scrape_interval: 2s
          scrape_timeout: 2s
        scrape_configs:
          - job_name: kubernetes-pods
            scheme: https
            tls_config:
              ca_file: \(caFile)
            bearer_token_file: \(tokenFile)
            kubernetes_sd_configs:
              - role: pod
                api_server: \(apiServer)
                tls_config:
                  ca_file: \(caFile)
                bearer_token_file: \(tokenFile)
            relabel_configs:

        """ + ArticleRelabeling.selectionRules(indent: 6)
            + ArticleRelabeling.proxyRewrites(apiHostPort: hostPort, indent: 6)
    }

    struct Target {
        var labels: [String: String]
        var health: String
        var lastError: String
    }

    static func targets(_ http: HTTPClient, port: Int) async throws -> [Target] {
        let response = try await http.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/targets"),
            timeout: .seconds(5)
        )
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        let active = (object?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
        return active.map {
            Target(
                labels: $0["labels"] as? [String: String] ?? [:],
                health: $0["health"] as? String ?? "",
                lastError: $0["lastError"] as? String ?? ""
            )
        }
    }

    @Test func discoversAndScrapesThroughTheProxy() async throws {
        let vmagent = try PeerBinary.require(
            "vmagent",
            debianPackage: "victoria-metrics",
            candidates: ["/usr/bin/vmagent"]
        )
        let directory = try TemporaryDirectory("kubesim-vmagent")
        defer { directory.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "vm"))
        let identity = Identity.serviceAccount(namespace: "monitoring", name: "vmagent")
        cluster.policy.allowScraping(.user(identity.user))
        let token = cluster.issueToken(for: identity)
        try cluster.addExporterPods(
            namespace: "shop",
            count: 3,
            seriesPerPod: 100,
            namePrefix: "web",
            labels: ["service": "shop", "tier": "frontend", "type": "web"]
        )
        // A pod whose only port is not named `metrics`: the keep rule drops it.
        try cluster.pods.add(
            SimulatedPod(
                namespace: "shop",
                name: "db-0",
                containers: [.init(name: "db", ports: [.init(name: "postgres", containerPort: 5432)])],
                podIP: cluster.pods.allocatePodIP()
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
                var targets: [Target] = []
                for _ in 0..<120 {
                    targets = (try? await Self.targets(http, port: httpPort)) ?? []
                    if targets.count == 3, targets.allSatisfy({ $0.health == "up" }) { break }
                    if !process.isRunning { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(
                    targets.count == 3,
                    "vmagent targets: \(targets.map { ($0.labels, $0.health, $0.lastError) }) log: \(process.stderr.suffix(3000))"
                )
                #expect(targets.allSatisfy { $0.health == "up" }, "\(targets.map(\.lastError))")
                let first = try #require(targets.first)
                #expect(first.labels["namespace"] == "shop")
                #expect(first.labels["service"] == "shop")
                #expect(first.labels["tier"] == "frontend")
                #expect(first.labels["pod_name"]?.hasPrefix("web-") == true)
                #expect(cluster.requestLog.count { $0.kind == .watch && $0.user == identity.user } > 0)
                #expect(
                    cluster.requestLog.count { $0.kind == .proxy && $0.user == identity.user && $0.status == 200 } > 0
                )

                try cluster.pods.delete(namespace: "shop", name: "web-1")
                for _ in 0..<80 {
                    targets = (try? await Self.targets(http, port: httpPort)) ?? targets
                    if targets.count == 2 { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(targets.count == 2)
                #expect(!targets.contains { $0.labels["pod_name"] == "web-1" })
            }
        }
    }
}
