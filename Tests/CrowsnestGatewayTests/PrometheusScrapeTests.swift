import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Testing

/// Debian's real Prometheus scrapes the gateway (three KubeSim clusters behind it) the way the README tells users
/// to (`honor_labels: true`), and its query API must show every pod of every cluster with the gateway's labels.
@Suite("Real Prometheus scrapes the gateway", .serialized, .timeLimit(.minutes(2)))
struct PrometheusScrapeTests {
    static let clusterNames = ["east", "west", "lab"]
    static let job = "crowsnest"

    /// Three pods per cluster in two namespaces, their exporters frozen so values do not move between fetches.
    static func makeClusters() throws -> [SimulatedCluster] {
        try clusterNames.map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
            try cluster.addFrozenExporterPod(namespace: "shop", name: "web-1")
            try cluster.addFrozenExporterPod(namespace: "payments", name: "ledger-0")
            return cluster
        }
    }

    static func prometheusConfig(gatewayPort: Int) -> String {
        """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
          evaluation_interval: 1s
        scrape_configs:
          - job_name: \(job)
            honor_labels: true
            metrics_path: /metrics
            static_configs:
              - targets: ["127.0.0.1:\(gatewayPort)"]

        """
    }

    @Test("Prometheus stores every pod's series with cluster, namespace and pod_name, at the gateway's values")
    func prometheusScrapesGateway() async throws {
        let prometheus = try PeerBinary.require("prometheus", debianPackage: "prometheus")
        let scratch = try TemporaryDirectory("crowsnest-prometheus")
        defer { scratch.remove() }
        try await GatewayHarness.run(try Self.makeClusters()) { harness, _ in
            let settled = try await harness.waitForMetrics(seconds: 20) { families in
                Self.clusterNames.allSatisfy { name in
                    let up = families.up(cluster: name)
                    return up.count == 3 && up.values.allSatisfy { $0 == 1 }
                }
            }
            for name in Self.clusterNames {
                #expect(settled.up(cluster: name).count == 3, "gateway targets of \(name)")
            }

            // The (cluster, namespace, pod_name) triples the gateway's targets report.
            var expected = Set<PodKey>()
            for name in Self.clusterNames {
                let (_, text, _) = try await harness.get("/api/v1/clusters/\(name)")
                for target in try ClusterHealth.decode(text).targets ?? [] {
                    expected.insert(PodKey(cluster: name, namespace: target.namespace, pod: target.pod))
                }
            }
            #expect(expected.count == 9, "gateway targets: \(expected)")

            // Prometheus, scraping the gateway every second.
            let port = try freeLoopbackPort()
            let config = try scratch.write("prometheus.yml", Self.prometheusConfig(gatewayPort: harness.port))
            let child = try PeerProcess.prometheus(prometheus, config: config, port: port, scratch: scratch)
            defer { child.stop() }
            let api = PrometheusAPI(client: harness.httpClient, base: "http://127.0.0.1:\(port)")

            // Every pod's series arrive, with the gateway's labels (bounded: 30 s).
            var seen = Set<PodKey>()
            var lastError = ""
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline && child.isRunning {
                let series: [[String: String]]
                do {
                    series = try await api.series(#"{job="\#(Self.job)",pod_name!=""}"#)
                } catch {
                    lastError = "\(error)"
                    series = []
                }
                seen = Set(
                    series.compactMap { labels in
                        labels["cluster"].map {
                            PodKey(cluster: $0, namespace: labels["namespace"] ?? "", pod: labels["pod_name"] ?? "")
                        }
                    }
                )
                if seen == expected { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            let targets = await LoopbackHTTP.get(harness.httpClient, api.base + "/api/v1/targets").body
            #expect(
                seen == expected,
                "Prometheus has \(seen.sorted()), gateway targets are \(expected.sorted()); Prometheus targets: \(targets); last API error: \(lastError); stderr: \(child.stderr)"
            )

            // Prometheus' own view of the scrape: up and samples scraped.
            let up = try await api.query(#"up{job="\#(Self.job)",pod_name=""}"#)
            #expect(up.count == 1 && up.first?.value == 1, "Prometheus up: \(up); targets: \(targets)")
            let scraped = try await api.query(#"scrape_samples_scraped{job="\#(Self.job)",pod_name=""}"#)
            #expect(scraped.count == 1 && (scraped.first?.value ?? 0) > 0, "scrape_samples_scraped: \(scraped)")
            // The gateway's per-pod `up` series arrived too, all 1.
            let podsUp = try await api.query(#"up{job="\#(Self.job)",pod_name!=""}"#)
            #expect(podsUp.count == 9 && podsUp.allSatisfy { $0.value == 1 }, "per-pod up: \(podsUp)")

            // Known samples: every exporter series of one pod per cluster has the gateway's value in Prometheus.
            let families = try await harness.metrics()
            var compared = 0
            for name in Self.clusterNames {
                let samples = families.allSamples.filter {
                    $0.label("cluster") == name && $0.label("pod_name") == "web-0" && !Self.synthetic.contains($0.name)
                }
                #expect(samples.count >= 20, "\(name)/web-0 has \(samples.count) samples at the gateway")
                for sample in samples.prefix(25) {
                    let result = try await api.query(Self.selector(for: sample))
                    #expect(result.count == 1, "\(Self.selector(for: sample)) → \(result)")
                    if let value = result.first?.value {
                        #expect(
                            value == sample.value || (value.isNaN && sample.value.isNaN),
                            "\(Self.selector(for: sample)): Prometheus \(value), gateway \(sample.value)"
                        )
                        compared += 1
                    }
                }
            }
            #expect(compared >= 60)
            #expect(child.isRunning, "Prometheus exited: \(child.stderr)")
        }
    }

    static let synthetic: Set<String> = [
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ]

    /// An exact PromQL selector for `sample` (every label, plus the job Prometheus adds).
    static func selector(for sample: Sample) -> String {
        var matchers = [#"job="\#(job)""#]
        for label in sample.labels {
            let escaped = label.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"",
                with: "\\\""
            )
            .replacingOccurrences(of: "\n", with: "\\n")
            matchers.append("\(label.name)=\"\(escaped)\"")
        }
        return sample.name + "{" + matchers.joined(separator: ",") + "}"
    }
}

/// A pod as a triple of the gateway's target labels.
struct PodKey: Hashable, Comparable, CustomStringConvertible {
    var cluster: String
    var namespace: String
    var pod: String
    var description: String { "\(cluster)/\(namespace)/\(pod)" }
    static func < (left: PodKey, right: PodKey) -> Bool { left.description < right.description }
}

/// The two Prometheus HTTP API calls the test needs.
struct PrometheusAPI {
    let client: HTTPClient
    let base: String

    init(client: HTTPClient, base: String) {
        self.client = client
        self.base = base
    }

    /// `/api/v1/series?match[]=…`: the label sets of the matching series.
    func series(_ selector: String) async throws -> [[String: String]] {
        let data = try await call("/api/v1/series?match%5B%5D=" + LoopbackHTTP.encode(selector))
        guard let list = data as? [[String: String]] else {
            throw TestFailure("unexpected series data: \(String(describing: data))")
        }
        return list
    }

    /// `/api/v1/query?query=…` of an instant vector: labels and value per result.
    func query(_ promQL: String) async throws -> [(labels: [String: String], value: Double)] {
        let data = try await call("/api/v1/query?query=" + LoopbackHTTP.encode(promQL))
        guard let object = data as? [String: Any], object["resultType"] as? String == "vector",
            let results = object["result"] as? [[String: Any]]
        else { throw TestFailure("unexpected query data for \(promQL): \(String(describing: data))") }
        return results.map { result in
            let labels = result["metric"] as? [String: String] ?? [:]
            let pair = result["value"] as? [Any] ?? []
            let value = (pair.last as? String).flatMap { Self.parseValue($0) } ?? .nan
            return (labels, value)
        }
    }

    /// Prometheus renders values as Go's strconv ('+Inf', 'NaN', shortest round-trip decimals).
    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    private func call(_ pathAndQuery: String) async throws -> Any? {
        let (status, body) = await LoopbackHTTP.get(client, base + pathAndQuery)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            object["status"] as? String == "success"
        else {
            throw TestFailure(
                "Prometheus \(pathAndQuery): \(status.map(String.init) ?? "no answer") \(body.prefix(500))"
            )
        }
        return object["data"]
    }
}
