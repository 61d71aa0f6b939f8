import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import InMemoryLogging
import KubeSim
import Logging
import PeerSupport
import Testing

/// What a new user hits in the first hour (issue 16): one relabel rule, Prometheus' encoded `match[]`, a cluster
/// that cannot list, a missing cluster directory, a copied cluster file — end to end on KubeSim, with Debian's
/// Prometheus and vmagent where a peer decides what is right.
@Suite("First hour: relabeling, match[], loud failures", .serialized, .timeLimit(.minutes(3)))
struct FirstHourTests {
    /// Three annotated pods in `shop`, one in `restricted`, one opted out and one without a metrics port.
    static func makeCluster(_ name: String = "relab") throws -> SimulatedCluster {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
        for index in 0..<3 { try cluster.addFrozenExporterPod(namespace: "shop", name: "web-\(index)") }
        try cluster.addFrozenExporterPod(namespace: "restricted", name: "vault-0")
        try cluster.addFrozenExporterPod(
            namespace: "shop",
            name: "batch-0",
            annotations: ["prometheus.io/scrape": "false"]
        )
        try cluster.pods.add(
            SimulatedPod(
                namespace: "shop",
                name: "db-0",
                containers: [.init(name: "db", ports: [.init(name: "postgres", containerPort: 5432)])],
                podIP: cluster.pods.allocatePodIP()
            )
        )
        return cluster
    }

    /// `(namespace, pod_name)` of every `up` series of `cluster`, and how many `up` series there are.
    static func upPods(_ families: [MetricFamily], cluster: String) -> (pods: Set<String>, count: Int) {
        let samples = families.first { $0.name == "up" }?.samples.filter { $0.label("cluster") == cluster } ?? []
        return (Set(samples.map { "\($0.label("namespace") ?? "-")/\($0.label("pod_name") ?? "-")" }), samples.count)
    }

    @Test("one drop rule leaves out one namespace; identity labels, opt-out and no duplicate series remain")
    func oneDropRule() async throws {
        let rule = """
            relabel_configs:
              - source_labels: [__meta_kubernetes_namespace]
                regex: restricted
                action: drop

            """
        try await GatewayHarness.run([try Self.makeCluster()], scrapeSettings: rule) { harness, _ in
            let expected: Set<String> = ["shop/web-0", "shop/web-1", "shop/web-2"]
            // `metrics()` parses strictly: a duplicate series anywhere fails it.
            let families = try await harness.waitForMetrics { Self.upPods($0, cluster: "relab").pods == expected }
            let up = Self.upPods(families, cluster: "relab")
            #expect(up.pods == expected && up.count == 3, "\(up)")
            for family in families where !family.name.hasPrefix("scrape_") {
                for sample in family.samples where sample.label("cluster") == "relab" {
                    #expect(
                        sample.label("namespace") == "shop" && sample.label("pod_name")?.hasPrefix("web-") == true,
                        "\(sample)"
                    )
                }
            }
            let (_, json, _) = try await harness.get("/api/v1/clusters/relab")
            #expect(Self.duplicateTargets(json) == 0, "\(json.prefix(600))")

            // Debian's Prometheus scraping the gateway stores each pod's series and rejects no sample as
            // out-of-order or duplicate (what the issue's user saw with the old relabeling).
            let prometheus = try PeerBinary.require("prometheus", debianPackage: "prometheus")
            let scratch = try TemporaryDirectory("crowsnest-first-hour-relabel")
            defer { scratch.remove() }
            let port = try freeLoopbackPort()
            let config = try scratch.write(
                "prometheus.yml",
                """
                global: {scrape_interval: 1s, scrape_timeout: 900ms}
                scrape_configs:
                  - job_name: gateway
                    honor_labels: true
                    static_configs: [{targets: ["127.0.0.1:\(harness.port)"]}]

                """
            )
            let child = try PeerProcess.prometheus(prometheus, config: config, port: port, scratch: scratch)
            defer { child.stop() }
            let api = PrometheusAPI(client: harness.httpClient, base: "http://127.0.0.1:\(port)")
            var stored: [[String: String]] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline && child.isRunning {
                stored = (try? await api.series(#"up{job="gateway",cluster="relab"}"#)) ?? []
                if stored.count == 3 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(Set(stored.map { "\($0["namespace"] ?? "-")/\($0["pod_name"] ?? "-")" }) == expected, "\(stored)")
            try await Task.sleep(for: .seconds(3))  // a few more scrapes of the gateway
            let own = await LoopbackHTTP.get(harness.httpClient, "http://127.0.0.1:\(port)/metrics").body
            let prometheusOwn = try MetricFamily.parse(own, format: .text)
            let rejections = [
                "prometheus_target_scrapes_sample_out_of_order_total",
                "prometheus_target_scrapes_sample_duplicate_timestamp_total",
            ]
            for name in rejections {
                let total = prometheusOwn.first { $0.name == name }?.samples.reduce(0) { $0 + $1.value }
                #expect(total == 0, "\(name): \(String(describing: total))")
            }
        }
    }

    @Test("rules that make targets alike: each series once, the duplicates listed (JSON, page, /-/metrics)")
    func duplicateTargets() async throws {
        let rules = """
            relabel_mode: prometheus
            relabel_configs:
              - source_labels: [__meta_kubernetes_pod_container_port_name]
                regex: metrics
                action: keep
              - target_label: pod_name
                replacement: same

            """
        try await GatewayHarness.run([try Self.makeCluster()], scrapeSettings: rules) { harness, _ in
            // Four pods in `shop` with a `metrics` port (prometheus mode ignores the opt-out annotation) end alike:
            // one is scraped; the pod in `restricted` keeps its own namespace label.
            let families = try await harness.waitForMetrics { Self.upPods($0, cluster: "relab").count == 2 }
            #expect(Self.upPods(families, cluster: "relab").pods == ["shop/same", "restricted/same"])
            var json = ""
            for _ in 0..<40 {
                json = try await harness.get("/api/v1/clusters/relab").1
                if Self.duplicateTargets(json) == 3 { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(Self.duplicateTargets(json) == 3, "\(json.prefix(800))")
            #expect(json.contains("same labels as shop\\/batch-0 port 9102 after relabeling"), "\(json)")
            let page = try await harness.get("/clusters/relab").1
            #expect(page.contains("3 discovered targets left out as duplicates"))
            let own = try await harness.get("/-/metrics").1
            #expect(own.contains("crowsnest_targets{cluster=\"relab\",state=\"duplicate\"} 3"), "\(own)")
        }
    }

    static func duplicateTargets(_ json: String) -> Int? {
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        return object?["duplicateTargets"] as? Int
    }

    @Test("the article's configuration in prometheus mode scrapes exactly the pods vmagent finds with it")
    func articleAgreesWithVMAgent() async throws {
        let vmagent = try PeerBinary.require(
            "vmagent",
            debianPackage: "victoria-metrics",
            candidates: ["/usr/bin/vmagent"]
        )
        let scratch = try TemporaryDirectory("crowsnest-first-hour-vmagent")
        defer { scratch.remove() }
        let article = "relabel_mode: prometheus\nrelabel_configs:\n" + ArticleRelabeling.selectionRules(indent: 2)
        try await GatewayHarness.run([try Self.makeCluster()], scrapeSettings: article) { harness, running in
            let cluster = try #require(running.first)
            let identity = Identity.serviceAccount(namespace: "monitoring", name: "vmagent")
            cluster.policy.allowScraping(.user(identity.user))
            let caFile = try scratch.write("ca.crt", cluster.caCertificatePEM)
            let tokenFile = try scratch.write("token", cluster.issueToken(for: identity))
            let config = try scratch.write(
                "vmagent.yaml",
                """
                global: {scrape_interval: 2s, scrape_timeout: 2s}
                scrape_configs:
                  - job_name: article
                    scheme: https
                    tls_config: {ca_file: \(caFile)}
                    bearer_token_file: \(tokenFile)
                    kubernetes_sd_configs:
                      - {role: pod, api_server: "\(cluster.apiServerURL!)", tls_config: {ca_file: \(caFile)}, bearer_token_file: \(tokenFile)}
                    relabel_configs:

                """
                    + ArticleRelabeling.selectionRules(indent: 6)
                    + ArticleRelabeling.proxyRewrites(apiHostPort: "127.0.0.1:\(cluster.port!)", indent: 6)
            )
            let httpPort = try freeLoopbackPort()
            let process = try PeerProcess.vmagent(vmagent, config: config, httpPort: httpPort, scratch: scratch)
            defer { process.stop() }
            // vmagent's active targets, as (namespace/pod_name).
            var vmagentPods = Set<String>()
            for _ in 0..<80 {
                let body = await LoopbackHTTP.get(harness.httpClient, "http://127.0.0.1:\(httpPort)/api/v1/targets")
                    .body
                let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
                let active = (object?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
                vmagentPods = Set(
                    active.compactMap { target in
                        (target["labels"] as? [String: String]).map {
                            "\($0["namespace"] ?? "-")/\($0["pod_name"] ?? "-")"
                        }
                    }
                )
                if vmagentPods.count == 5 || !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let families = try await harness.waitForMetrics { Self.upPods($0, cluster: "relab").count == 5 }
            let ours = Self.upPods(families, cluster: "relab")
            #expect(vmagentPods.count == 5, "vmagent: \(vmagentPods); log: \(process.stderr.suffix(2000))")
            #expect(ours.pods == vmagentPods && ours.count == 5, "crowsnest \(ours), vmagent \(vmagentPods)")
        }
    }

    @Test("match[] and cluster, percent-encoded or not, filter /metrics and /federate; an unknown cluster is a 400")
    func encodedParameters() async throws {
        let clusters = try ["east", "west"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            return cluster
        }
        try await GatewayHarness.run(clusters) { harness, _ in
            _ = try await harness.waitForMetrics { families in
                Self.upPods(families, cluster: "east").count == 1 && Self.upPods(families, cluster: "west").count == 1
            }
            for path in ["/metrics", "/federate"] {
                for query in [
                    "match[]=up&cluster=east", "match%5B%5D=up&cluster=east", "match%5b%5d=%75p&clus%74er=e%61st",
                ] {
                    let (status, text, _) = try await harness.get("\(path)?\(query)")
                    #expect(status == 200)
                    let families = try MetricFamily.parse(text, format: .text, mode: .strict)
                    #expect(families.map(\.name) == ["up"], "\(path)?\(query): \(families.map(\.name))")
                    #expect(families.first?.samples.map { $0.label("cluster") } == ["east"], "\(path)?\(query)")
                }
                let selector = "match%5B%5D=%7B__name__%3D%22up%22%2Ccluster%3D~%22we.%2B%22%7D"
                let (_, text, _) = try await harness.get("\(path)?\(selector)")
                let selected = try MetricFamily.parse(text, format: .text, mode: .strict)
                #expect(selected.flatMap(\.samples).map { $0.label("cluster") } == ["west"], "\(text)")
                let (status, body, _) = try await harness.get("\(path)?cluster=nowhere")
                #expect(status == 400)
                #expect(
                    body.contains("unknown cluster nowhere") && body.contains("known clusters: east, west"),
                    "\(body)"
                )
            }
            for query in ["refresh=7", "re%66resh=7"] {
                let page = try await harness.get("/?\(query)").1
                #expect(page.contains("content=\"7\""), "/?\(query)")
            }
        }
    }

    @Test("a Prometheus job with params: {match[]: [up]} stores only the matched series")
    func prometheusParams() async throws {
        let prometheus = try PeerBinary.require("prometheus", debianPackage: "prometheus")
        let scratch = try TemporaryDirectory("crowsnest-first-hour-prometheus")
        defer { scratch.remove() }
        let clusters = try ["east", "west"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-1")
            return cluster
        }
        try await GatewayHarness.run(clusters) { harness, _ in
            _ = try await harness.waitForMetrics { Self.upPods($0, cluster: "east").count == 2 }
            let port = try freeLoopbackPort()
            let config = try scratch.write(
                "prometheus.yml",
                """
                global: {scrape_interval: 1s, scrape_timeout: 900ms}
                scrape_configs:
                  - job_name: filtered
                    honor_labels: true
                    metrics_path: /federate
                    params:
                      'match[]': ['up']
                      cluster: [east]
                    static_configs: [{targets: ["127.0.0.1:\(harness.port)"]}]
                  - job_name: everything
                    honor_labels: true
                    static_configs: [{targets: ["127.0.0.1:\(harness.port)"]}]

                """
            )
            let child = try PeerProcess.prometheus(prometheus, config: config, port: port, scratch: scratch)
            defer { child.stop() }
            let api = PrometheusAPI(client: harness.httpClient, base: "http://127.0.0.1:\(port)")
            var filtered: [[String: String]] = []
            var everything: [[String: String]] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline && child.isRunning {
                filtered = (try? await api.series(#"{job="filtered",pod_name!=""}"#)) ?? []
                everything = (try? await api.series(#"{job="everything",pod_name!=""}"#)) ?? []
                if filtered.count >= 2 && everything.count > 4 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(filtered.count == 2, "filtered job: \(filtered); stderr \(child.stderr.suffix(1500))")
            #expect(filtered.allSatisfy { $0["__name__"] == "up" && $0["cluster"] == "east" }, "\(filtered)")
            #expect(Set(everything.compactMap { $0["cluster"] }) == ["east", "west"])
            #expect(everything.count > 20, "the unfiltered job stores every series: \(everything.count)")
        }
    }

    @Test("a cluster that cannot list logs a warning with the reason, then info when it recovers; cluster_up follows")
    func loudDiscoveryFailure() async throws {
        let log = InMemoryLogHandler()
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "flaky"))
        try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
        try await GatewayHarness.run(
            [cluster],
            discoveryOptions: DiscoveryOptions(initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(300)),
            logLevel: .info,
            logHandler: log
        ) { harness, running in
            _ = try await harness.waitForMetrics { Self.upPods($0, cluster: "flaky").count == 1 }
            #expect(try await Self.clusterUp(harness, "flaky") == 1)
            #expect(log.entries.contains { $0.level == .info && "\($0.message)" == "cluster directory reloaded" })
            // Every list and watch fails from now on: the watch ends, the relists get 500.
            running[0].updateFaults { $0.failures = [InjectedFailure(.internalError, for: .listAndWatch)] }
            running[0].dropWatches()
            var failing: InMemoryLogHandler.Entry?
            for _ in 0..<80 where failing == nil {
                failing = log.entries.first { $0.level == .warning && "\($0.message)".hasPrefix("discovery failing") }
                try await Task.sleep(for: .milliseconds(250))
            }
            let entry = try #require(failing, "\(log.entries.map { "\($0.level) \($0.message) \($0.metadata)" })")
            #expect(entry.metadata["crowsnest.cluster"] == "flaky")
            let reason = "\(entry.metadata["crowsnest.reason"] ?? "")"
            #expect(reason.contains("500"), "reason: \(reason)")
            #expect(try await Self.clusterUp(harness, "flaky") == 0)
            running[0].updateFaults { $0.failures = [] }
            var recovered = false
            for _ in 0..<80 where !recovered {
                recovered = log.entries.contains { $0.level == .info && "\($0.message)" == "discovery recovered" }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(recovered)
            #expect(try await Self.clusterUp(harness, "flaky") == 1)
            // Each state change once, not once per retry.
            #expect(log.entries.filter { "\($0.message)".hasPrefix("discovery failing") }.count == 1)
        }
    }

    @Test("a deleted cluster's series leave /-/metrics, and its stop is logged with the reload")
    func deletedClusterLeavesOwnMetrics() async throws {
        let log = InMemoryLogHandler()
        let clusters = try ["keep", "gone"].map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            return cluster
        }
        try await GatewayHarness.run(clusters, logLevel: .info, logHandler: log) { harness, _ in
            _ = try await harness.waitForMetrics { Self.upPods($0, cluster: "gone").count == 1 }
            let before = try await harness.get("/-/metrics").1
            #expect(before.contains("cluster=\"gone\""))
            #expect(before.contains("crowsnest_scrapes_total{cluster=\"gone\""), "\(before)")
            try FileManager.default.removeItem(atPath: harness.directory + "/clusters.d/gone.yaml")
            var after = before
            for _ in 0..<40 where after.contains("cluster=\"gone\"") {
                try await Task.sleep(for: .milliseconds(250))
                after = try await harness.get("/-/metrics").1
            }
            #expect(!after.contains("cluster=\"gone\""), "\(after)")
            #expect(after.contains("crowsnest_scrapes_total{cluster=\"keep\""))
            #expect(
                log.entries.contains {
                    "\($0.message)" == "cluster directory reloaded" && $0.metadata["crowsnest.stopped"] == "gone"
                }
            )
        }
    }

    static func clusterUp(_ harness: GatewayHarness, _ name: String) async throws -> Double? {
        let text = try await harness.get("/-/metrics").1
        let families = try MetricFamily.parse(text, format: .text)
        return families.first { $0.name == "crowsnest_cluster_up" }?.samples.first { $0.label("cluster") == name }?
            .value
    }

    @Test("a missing cluster directory is said plainly, and picked up when it appears")
    func missingDirectory() async throws {
        let log = InMemoryLogHandler()
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "later"))
        try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
        try await GatewayHarness.run([cluster], writeFiles: false, logLevel: .info, logHandler: log) {
            harness,
            running in
            let folder = harness.directory + "/clusters.d"
            try FileManager.default.removeItem(atPath: folder)
            var page = ""
            for _ in 0..<40 {
                page = try await harness.get("/").1
                if page.contains("cannot read the cluster directory") { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(page.contains("cannot read the cluster directory") && page.contains(folder), "\(page.prefix(1500))")
            #expect(!page.contains("All 0 clusters ok"))
            #expect(
                log.entries.contains {
                    $0.level == .warning && "\($0.message)".hasPrefix("the cluster directory cannot be read")
                }
            )
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try GatewayHarness.writeClusterFile(running[0], into: harness.directory)
            let families = try await harness.waitForMetrics { Self.upPods($0, cluster: "later").count == 1 }
            #expect(Self.upPods(families, cluster: "later").count == 1)
            page = try await harness.get("/").1
            #expect(!page.contains("cannot read the cluster directory"))
        }
    }
}
