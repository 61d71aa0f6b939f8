import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Testing

/// Node (and Service) targets checked against vmagent, which nobody here wrote: its `kubernetes_sd_configs`
/// against the same KubeSim find the same targets and, remote-written into VictoriaMetrics and exported from it,
/// the same series with the same values (kubelets and exporters frozen) as Crowsnest's `/metrics`.
@Suite("Nodes and Services agree with vmagent", .serialized)
struct NodeServiceAgreementTests {
    /// Series as `name{sorted labels}` → value, without the scrapers' own `job`/`instance` and synthetic series.
    static func normalized(_ series: [(labels: [String: String], value: Double)]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (labels, value) in series {
            guard let name = labels["__name__"], name != "up", !name.hasPrefix("scrape_") else { continue }
            let kept = labels.filter { !["__name__", "job", "instance"].contains($0.key) }.sorted { $0.key < $1.key }
            result[name + "{" + kept.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"] = value
        }
        return result
    }

    /// Crowsnest's samples whose labels satisfy `include`, as label maps with values.
    static func ours(
        _ families: [MetricFamily],
        _ include: (Sample) -> Bool
    ) -> [(labels: [String: String], value: Double)] {
        families.flatMap(\.samples).filter(include).map { sample in
            var labels = Dictionary(sample.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            labels["__name__"] = sample.name
            return (labels, sample.value)
        }
    }

    /// Every series VictoriaMetrics holds matching `selector`, with its newest value (`/api/v1/export`).
    static func exported(
        _ client: HTTPClient,
        port: Int,
        selector: String
    ) async -> [(labels: [String: String], value: Double)] {
        let url = "http://127.0.0.1:\(port)/api/v1/export?match%5B%5D=" + LoopbackHTTP.encode(selector)
        let body = await LoopbackHTTP.get(client, url, timeout: 30).body
        var result: [(labels: [String: String], value: Double)] = []
        for line in body.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let metric = object["metric"] as? [String: String],
                let values = object["values"] as? [Any], let last = values.last
            else { continue }
            let value = (last as? Double) ?? (last as? String).flatMap(Double.init) ?? .nan
            result.append((metric, value))
        }
        return result
    }

    /// VictoriaMetrics single-node on a free loopback port, its data in `scratch`.
    static func victoriaMetrics(_ scratch: TemporaryDirectory) throws -> (PeerProcess, Int) {
        let binary = try PeerBinary.require(
            "victoria-metrics",
            debianPackage: "victoria-metrics",
            candidates: ["/usr/bin/victoria-metrics"]
        )
        let port = try freeLoopbackPort()
        let process = try PeerProcess(
            binary,
            [
                "-storageDataPath=\(scratch.file("vm-data"))", "-httpListenAddr=127.0.0.1:\(port)",
                "-retentionPeriod=1d", "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR",
            ],
            home: scratch.path
        )
        return (process, port)
    }

    /// vmagent remote-writing to `writePort`, scraping with `jobs` (its `scrape_configs` entries).
    static func vmagent(_ scratch: TemporaryDirectory, jobs: String, writePort: Int) throws -> (PeerProcess, Int) {
        let binary = try PeerBinary.require(
            "vmagent",
            debianPackage: "victoria-metrics",
            candidates: ["/usr/bin/vmagent"]
        )
        let config = try scratch.write(
            "vmagent.yaml",
            "global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n" + jobs
        )
        let port = try freeLoopbackPort()
        let process = try PeerProcess(
            binary,
            [
                "-promscrape.config=\(config)", "-httpListenAddr=127.0.0.1:\(port)",
                "-remoteWrite.url=http://127.0.0.1:\(writePort)/api/v1/write",
                "-remoteWrite.tmpDataPath=\(scratch.file("vmagent-data"))", "-remoteWrite.flushInterval=200ms",
                "-promscrape.kubernetesSDCheckInterval=1s", "-promscrape.config.strictParse=false",
            ],
            home: scratch.path
        )
        return (process, port)
    }

    @Test("role: node with the standard cAdvisor relabeling: the same targets and the same series and values")
    func nodesAgree() async throws {
        let scratch = try TemporaryDirectory("crowsnest-node-agreement")
        defer { scratch.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "agree"))
        try cluster.addExporterPods(namespace: "shop", count: 5, seriesPerPod: 3, namePrefix: "web")
        let nodes = try cluster.addNodes(count: 3)
        let frozen = Date()
        for node in nodes { node.kubelet.freeze(at: frozen) }
        cluster.policy.allowNodeScraping(.user(GatewayHarness.gatewayIdentity.user))
        let nodesBlock = "nodes:\n  cadvisor: true\n  kubelet: true\n"
        try await GatewayHarness.run([cluster], scrapeSettings: nodesBlock) { harness, running in
            let cluster = try #require(running.first)
            let identity = Identity.serviceAccount(namespace: "monitoring", name: "vmagent")
            cluster.policy.allowNodeScraping(.user(identity.user))
            let caFile = try scratch.write("ca.crt", cluster.caCertificatePEM)
            let tokenFile = try scratch.write("token", cluster.issueToken(for: identity))
            var jobs = ""
            for (job, path) in [("kubelet", "/metrics"), ("cadvisor", "/metrics/cadvisor")] {
                jobs += """
                      - job_name: \(job)
                        scheme: https
                        tls_config: {ca_file: \(caFile)}
                        bearer_token_file: \(tokenFile)
                        kubernetes_sd_configs:
                          - {role: node, api_server: "\(cluster.apiServerURL!)", tls_config: {ca_file: \(caFile)}, bearer_token_file: \(tokenFile)}
                        relabel_configs:
                          - {target_label: __address__, replacement: "127.0.0.1:\(cluster.port!)"}
                          - {source_labels: [__meta_kubernetes_node_name], regex: (.+), target_label: __metrics_path__, replacement: "/api/v1/nodes/${1}/proxy\(path)"}
                          - {source_labels: [__meta_kubernetes_node_name], target_label: node}
                          - {target_label: cluster, replacement: agree}
                          - {target_label: metrics_path, replacement: "\(path)"}
                        metric_relabel_configs:
                          - {source_labels: [pod], regex: (.+), target_label: pod_name}

                    """
            }
            let (store, storePort) = try Self.victoriaMetrics(scratch)
            defer { store.stop() }
            let (agent, agentPort) = try Self.vmagent(scratch, jobs: jobs, writePort: storePort)
            defer { agent.stop() }

            let families = try await harness.waitForMetrics(seconds: 30) { families in
                families.first { $0.name == "up" }?.samples.filter { $0.label("node") != nil && $0.value == 1 }.count
                    == 6
            }
            let ours = Self.normalized(Self.ours(families) { $0.label("metrics_path") != nil })
            #expect(ours.count > 100, "\(ours.count) node series")

            // vmagent's targets: the same six (node, path) pairs.
            var theirTargets = Set<String>()
            var theirs: [String: Double] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let targets = await LoopbackHTTP.get(harness.httpClient, "http://127.0.0.1:\(agentPort)/api/v1/targets")
                let object = (try? JSONSerialization.jsonObject(with: Data(targets.body.utf8))) as? [String: Any]
                let active = (object?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
                theirTargets = Set(
                    active.compactMap { target in
                        (target["labels"] as? [String: String]).map {
                            "\($0["node"] ?? "-") \($0["metrics_path"] ?? "-")"
                        }
                    }
                )
                theirs = Self.normalized(
                    await Self.exported(harness.httpClient, port: storePort, selector: #"{metrics_path!=""}"#)
                )
                if theirs.count >= ours.count || !agent.isRunning || !store.isRunning { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            let ourTargets = Set(
                (families.first { $0.name == "up" }?.samples ?? []).compactMap { sample in
                    sample.label("node").map { "\($0) \(sample.label("metrics_path") ?? "-")" }
                }
            )
            #expect(theirTargets == ourTargets, "vmagent \(theirTargets), crowsnest \(ourTargets)")
            #expect(
                Set(theirs.keys) == Set(ours.keys),
                """
                only crowsnest: \(Set(ours.keys).subtracting(theirs.keys).sorted().prefix(5)); \
                only vmagent: \(Set(theirs.keys).subtracting(ours.keys).sorted().prefix(5)); \
                vmagent log: \(agent.stderr.suffix(1000))
                """
            )
            let differing = ours.filter { key, value in
                theirs[key].map { $0 != value && !($0.isNaN && value.isNaN) } ?? false
            }
            #expect(differing.isEmpty, "values differ: \(differing.prefix(5))")
        }
    }

    @Test("role: endpointslice with the kubernetes-service-endpoints convention: the same targets, series and values")
    func servicesAgree() async throws {
        let scratch = try TemporaryDirectory("crowsnest-service-agreement")
        defer { scratch.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "agree"))
        for index in 0..<3 {
            // Values frozen: an exporter started in the future reports its start values on every scrape.
            let exporter = SimulatedExporter(
                series: 6,
                seed: UInt64(index + 11),
                startedAt: Date().addingTimeInterval(3600)
            )
            try cluster.pods.add(
                SimulatedPod(
                    namespace: "shop",
                    name: "api-\(index)",
                    labels: ["app": "api"],
                    owner: .init(kind: "ReplicaSet", name: "api"),
                    nodeName: "node-1",
                    containers: [.init(name: "api", ports: [.init(name: "http", containerPort: 8080)])],
                    podIP: cluster.pods.allocatePodIP(),
                    backends: [8080: .exporter(exporter)]
                )
            )
        }
        try cluster.addService(
            namespace: "shop",
            name: "api",
            selector: ["app": "api"],
            ports: [.init(name: "http", port: 80, targetPort: "http")],
            scrapePort: 8080
        )
        try cluster.pods.update(namespace: "shop", name: "api-2") { $0.ready = false }
        cluster.policy.allowServiceDiscovery(.user(GatewayHarness.gatewayIdentity.user))
        try await GatewayHarness.run([cluster], scrapeSettings: "services: true\n") { harness, running in
            let cluster = try #require(running.first)
            let identity = Identity.serviceAccount(namespace: "monitoring", name: "vmagent")
            cluster.policy.allowScraping(.user(identity.user))
            cluster.policy.allowServiceDiscovery(.user(identity.user))
            let caFile = try scratch.write("ca.crt", cluster.caCertificatePEM)
            let tokenFile = try scratch.write("token", cluster.issueToken(for: identity))
            let jobs = """
                  - job_name: service-endpoints
                    scheme: https
                    tls_config: {ca_file: \(caFile)}
                    bearer_token_file: \(tokenFile)
                    kubernetes_sd_configs:
                      - {role: endpointslice, api_server: "\(cluster.apiServerURL!)", tls_config: {ca_file: \(caFile)}, bearer_token_file: \(tokenFile)}
                    relabel_configs:
                      - {source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape], regex: "true", action: keep}
                      - {source_labels: [__meta_kubernetes_endpointslice_endpoint_conditions_ready], regex: "true", action: keep}
                      - {source_labels: [__meta_kubernetes_endpointslice_address_target_kind], regex: Pod, action: keep}
                      - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_endpointslice_address_target_name, __meta_kubernetes_service_annotation_prometheus_io_port]
                        regex: (.+);(.+);(.+)
                        target_label: __metrics_path__
                        replacement: /api/v1/namespaces/${1}/pods/${2}:${3}/proxy/metrics
                      - {target_label: __address__, replacement: "127.0.0.1:\(cluster.port!)"}
                      - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
                      - {source_labels: [__meta_kubernetes_endpointslice_address_target_name], target_label: pod_name}
                      - {source_labels: [__meta_kubernetes_service_name], target_label: service}
                      - {target_label: cluster, replacement: agree}

                """
            let (store, storePort) = try Self.victoriaMetrics(scratch)
            defer { store.stop() }
            let (agent, agentPort) = try Self.vmagent(scratch, jobs: jobs, writePort: storePort)
            defer { agent.stop() }

            let families = try await harness.waitForMetrics(seconds: 30) { families in
                families.first { $0.name == "up" }?.samples.filter { $0.label("service") == "api" && $0.value == 1 }
                    .count == 2
            }
            let ours = Self.normalized(Self.ours(families) { $0.label("service") != nil })
            #expect(ours.count >= 12, "\(ours)")
            var theirPods = Set<String>()
            var theirs: [String: Double] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let targets = await LoopbackHTTP.get(harness.httpClient, "http://127.0.0.1:\(agentPort)/api/v1/targets")
                let object = (try? JSONSerialization.jsonObject(with: Data(targets.body.utf8))) as? [String: Any]
                let active = (object?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
                theirPods = Set(active.compactMap { ($0["labels"] as? [String: String])?["pod_name"] })
                theirs = Self.normalized(
                    await Self.exported(harness.httpClient, port: storePort, selector: #"{service!=""}"#)
                )
                if theirs.count >= ours.count || !agent.isRunning || !store.isRunning { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(
                theirPods == ["api-0", "api-1"],
                "vmagent targets: \(theirPods); log: \(agent.stderr.suffix(1000))"
            )
            #expect(
                theirs == ours,
                "only crowsnest: \(Set(ours.keys).subtracting(theirs.keys).sorted().prefix(5)); only vmagent: \(Set(theirs.keys).subtracting(ours.keys).sorted().prefix(5))"
            )
        }
    }
}
