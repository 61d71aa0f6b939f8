import CrowsnestCore
import Foundation
import InMemoryLogging
import KubeSim
import Logging
import PeerSupport
import Testing

/// API traffic through a real HTTP `CONNECT` proxy (Debian's tinyproxy): a cluster file's `proxy_url` and a
/// kubeconfig's `proxy-url` (the same kubeconfig kubectl uses through the same proxy) route discovery and scrapes
/// through it; a proxy that refuses the tunnel or wants a password is a clear error on that cluster alone, and the
/// password is never shown.
@Suite("HTTP CONNECT proxy", .serialized, .timeLimit(.minutes(3)))
struct ProxyEndToEndTests {
    static func clusters() throws -> [SimulatedCluster] {
        try ["east", "west"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            return cluster
        }
    }

    static func port(_ cluster: SimulatedCluster) throws -> Int { try #require(cluster.port) }

    /// The cluster's JSON detail once it contains `text` (or after 20 s).
    static func detail(_ harness: GatewayHarness, _ cluster: String, once text: String) async throws -> String {
        var detail = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            detail = try await harness.get("/api/v1/clusters/\(cluster)").1
            if detail.contains(text) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return detail
    }

    @Test("proxy_url routes one cluster's discovery and scrapes through the proxy; the other goes direct")
    func clusterFileProxy() async throws {
        let proxy = try await ConnectProxy()
        defer { proxy.stop() }
        let extra: @Sendable (SimulatedCluster) -> String = { $0.name == "east" ? "proxy_url: \(proxy.url)\n" : "" }
        try await GatewayHarness.run(try Self.clusters(), clusterFileExtra: extra) { harness, running in
            let families = try await harness.waitForMetrics(seconds: 20) {
                $0.up(cluster: "east") == ["web-0": 1] && $0.up(cluster: "west") == ["web-0": 1]
            }
            #expect(families.up(cluster: "east") == ["web-0": 1])
            #expect(try proxy.connectRequests(toPort: Self.port(running[0])) > 0, "\(proxy.log)")
            #expect(try proxy.connectRequests(toPort: Self.port(running[1])) == 0, "west has no proxy_url")
        }
    }

    @Test("a proxy that refuses CONNECT to the API server's port: that cluster's error says so; the other is served")
    func refusedTunnel() async throws {
        // Like a corporate proxy that tunnels to 443 only.
        let proxy = try await ConnectProxy(connectPorts: [443])
        defer { proxy.stop() }
        let extra: @Sendable (SimulatedCluster) -> String = { $0.name == "east" ? "proxy_url: \(proxy.url)\n" : "" }
        try await GatewayHarness.run(try Self.clusters(), clusterFileExtra: extra) { harness, running in
            _ = try await harness.waitForMetrics(seconds: 20) { $0.up(cluster: "west") == ["web-0": 1] }
            let detail = try await Self.detail(harness, "east", once: "refused to open a tunnel")
            // (JSON escapes the slashes of the proxy's URL.)
            #expect(
                detail.contains("proxy http:\\/\\/127.0.0.1:\(proxy.port) refused to open a tunnel (CONNECT)"),
                "\(detail)"
            )
            #expect(try proxy.connectRequests(toPort: Self.port(running[0])) > 0)
            #expect(try await harness.metrics().up(cluster: "west") == ["web-0": 1])
        }
    }

    @Test("a proxy asking for a password: the right one gets through; none is a 407 on that cluster; never shown")
    func authentication() async throws {
        let proxy = try await ConnectProxy(basicAuth: ("crowsnest", "s3cret-proxy-pass"))
        defer { proxy.stop() }
        let logs = InMemoryLogHandler()
        let extra: @Sendable (SimulatedCluster) -> String = { cluster in
            cluster.name == "east"
                ? "proxy_url: http://crowsnest:s3cret-proxy-pass@127.0.0.1:\(proxy.port)\n"
                : "proxy_url: \(proxy.url)\n"  // no credentials: the proxy answers 407
        }
        try await GatewayHarness.run(try Self.clusters(), logLevel: .debug, logHandler: logs, clusterFileExtra: extra) {
            harness,
            _ in
            _ = try await harness.waitForMetrics(seconds: 20) { $0.up(cluster: "east") == ["web-0": 1] }
            let detail = try await Self.detail(harness, "west", once: "407")
            #expect(detail.contains("asks for authentication (407)"), "\(detail)")
            for path in ["/", "/api/v1/clusters", "/api/v1/clusters/west", "/api/v1/clusters/east", "/-/metrics"] {
                let text = try await harness.get(path).1
                #expect(!text.contains("proxy-pass"), "\(path) shows a proxy password")
            }
        }
        let logged = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logged.contains("proxy-pass"), "a proxy password reached the log")
        #expect(logged.contains("407"), "the failing cluster was not logged")
    }

    @Test("a kubeconfig's proxy-url: kubectl and the gateway both go through the proxy with the same file")
    func kubeconfigProxy() async throws {
        let kubectl = try PeerBinary.require("kubectl", debianPackage: "kubectl")
        let proxy = try await ConnectProxy()
        defer { proxy.stop() }
        let scratch = try TemporaryDirectory("crowsnest-proxy-kubeconfig")
        defer { scratch.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "far"))
        try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
        try await GatewayHarness.run([cluster], writeFiles: false) { harness, running in
            let far = running[0]
            far.policy.allowScraping(.user(GatewayHarness.gatewayIdentity.user))
            let caFile = try scratch.write("far.crt", far.caCertificatePEM, permissions: 0o644)
            let server = try #require(far.apiServerURL)
            let kubeconfig = ClusterFiles.kubeconfigYAML(
                [
                    KubeconfigContext(
                        name: "far",
                        server: server,
                        caFile: caFile,
                        credential: .token(far.issueToken(for: GatewayHarness.gatewayIdentity))
                    )
                ],
                currentContext: "far"
            ).replacingOccurrences(
                of: "    server: \"\(server)\"\n",
                with: "    server: \"\(server)\"\n    proxy-url: \"\(proxy.url)\"\n"
            )
            let kubeconfigFile = try scratch.write("kubeconfig", kubeconfig)

            let result = try await PeerProcess.run(
                kubectl,
                ["--kubeconfig", kubeconfigFile, "--request-timeout=20s", "get", "pods", "-n", "shop", "-o", "name"],
                home: scratch.path,
                timeout: .seconds(40)
            )
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("pod/web-0"))
            let afterKubectl = try proxy.connectRequests(toPort: Self.port(far))
            #expect(afterKubectl > 0, "kubectl did not use the proxy: \(proxy.log)")

            try "name: far\nauth:\n  kubeconfig: \(kubeconfigFile)\nscrape:\n  interval: 1s\n  timeout: 800ms\n".write(
                toFile: harness.directory + "/clusters.d/far.yaml",
                atomically: true,
                encoding: .utf8
            )
            let families = try await harness.waitForMetrics(seconds: 20) { $0.up(cluster: "far") == ["web-0": 1] }
            #expect(families.up(cluster: "far") == ["web-0": 1])
            #expect(try proxy.connectRequests(toPort: Self.port(far)) > afterKubectl, "the gateway went direct")
        }
    }
}
