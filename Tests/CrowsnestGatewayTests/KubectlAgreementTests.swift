import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Testing

/// The real kubectl, pointed at the same KubeSim cluster as the gateway, fetches a pod through the API server's
/// pod proxy (`kubectl get --raw …/pods/NAME:PORT/proxy/metrics`); both payloads are parsed with the core parser.
///
/// What is compared: for a pod whose exporter is frozen in time (every value is that of its start, so two fetches
/// at different moments agree), every sample kubectl sees must be in the gateway's `/metrics` under the same name,
/// with the same labels plus `cluster`, `namespace` and `pod_name`, and the same value — and the gateway must
/// have no other exporter samples for that pod (only the five synthetic series on top) and the same metric type
/// per family. For a pod with a live exporter (counters grow, gauges wave) only the series identities (name and
/// label set) are compared, since values legitimately move between the two fetches.
@Suite("kubectl and the gateway agree on a pod's samples", .serialized, .timeLimit(.minutes(2)))
struct KubectlAgreementTests {
    static let synthetic: Set<String> = [
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ]

    /// The identity of a series: its name and sorted labels.
    static func identity(_ name: String, _ labels: [Label]) -> String {
        name + "{"
            + labels.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value.debugDescription)" }.joined(
                separator: ","
            ) + "}"
    }

    @Test("every sample kubectl fetches through the pod proxy is in /metrics with the target labels and its value")
    func kubectlAgrees() async throws {
        let kubectl = try PeerBinary.require("kubectl", debianPackage: "kubectl")
        let scratch = try TemporaryDirectory("crowsnest-kubectl")
        defer { scratch.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "agree"))
        try cluster.addFrozenExporterPod(namespace: "shop", name: "frozen-0", series: 60)
        try cluster.addExporterPods(namespace: "shop", count: 1, seriesPerPod: 60, namePrefix: "live")
        try await GatewayHarness.run([cluster]) { harness, running in
            let settled = try await harness.waitForMetrics(seconds: 20) { families in
                let up = families.up(cluster: "agree")
                return up["frozen-0"] == 1 && up["live-0"] == 1
            }
            #expect(settled.up(cluster: "agree")["frozen-0"] == 1)

            // A kubeconfig for the same cluster (its CA as the harness wrote it, an admin token).
            let kubeconfig = try scratch.write(
                "kubeconfig",
                ClusterFiles.kubeconfigYAML(
                    [
                        KubeconfigContext(
                            name: "agree",
                            server: try #require(running[0].apiServerURL),
                            caFile: harness.directory + "/ca/agree.crt",
                            credential: .token(running[0].issueToken(for: .admin()))
                        )
                    ],
                    currentContext: "agree"
                )
            )
            func fetch(_ pod: String) async throws -> [MetricFamily] {
                let result = try await PeerProcess.run(
                    kubectl,
                    [
                        "--kubeconfig", kubeconfig, "--request-timeout=20s", "get", "--raw",
                        "/api/v1/namespaces/shop/pods/\(pod):9102/proxy/metrics",
                    ],
                    home: scratch.path,
                    timeout: .seconds(40)
                )
                try #require(
                    result.status == 0,
                    "kubectl failed (\(String(describing: result.status))): \(result.stderr)"
                )
                return try MetricFamily.parse(result.stdout, format: .text, mode: .strict)
            }
            let viaKubectl = try await fetch("frozen-0")
            let gateway = try await harness.metrics()

            // The gateway's samples of that pod, by identity without the three target labels.
            let targetLabels: Set<String> = ["cluster", "namespace", "pod_name"]
            var gatewaySamples: [String: Sample] = [:]
            var gatewayTypes: [String: MetricType] = [:]
            for family in gateway {
                for sample in family.samples
                where sample.label("cluster") == "agree" && sample.label("pod_name") == "frozen-0" {
                    #expect(sample.label("namespace") == "shop")
                    guard !Self.synthetic.contains(sample.name) else { continue }
                    gatewaySamples[
                        Self.identity(sample.name, sample.labels.filter { !targetLabels.contains($0.name) })
                    ] = sample
                    gatewayTypes[family.name] = family.type
                }
            }
            var compared = 0
            for family in viaKubectl {
                #expect(gatewayTypes[family.name] == family.type, "type of \(family.name)")
                for sample in family.samples {
                    #expect(
                        !sample.labels.contains { targetLabels.contains($0.name) },
                        "exporter label collides: \(sample)"
                    )
                    let key = Self.identity(sample.name, sample.labels)
                    guard let mirrored = gatewaySamples[key] else {
                        Issue.record("kubectl's \(key) is missing from the gateway's /metrics")
                        continue
                    }
                    #expect(
                        mirrored.value == sample.value || (mirrored.value.isNaN && sample.value.isNaN),
                        "\(key): kubectl \(sample.value), gateway \(mirrored.value)"
                    )
                    compared += 1
                }
            }
            #expect(compared >= 60, "compared \(compared) samples")
            #expect(
                gatewaySamples.count == compared,
                "the gateway has \(gatewaySamples.count) exporter samples for the pod, kubectl \(compared)"
            )

            // A live exporter: the same series identities (values move between the two fetches).
            let liveKubectl = try await fetch("live-0")
            let liveGateway = try await harness.metrics()
            let kubectlKeys = Set(liveKubectl.allSamples.map { Self.identity($0.name, $0.labels) })
            let gatewayKeys = Set(
                liveGateway.allSamples.filter {
                    $0.label("cluster") == "agree" && $0.label("pod_name") == "live-0"
                        && !Self.synthetic.contains($0.name)
                }.map { Self.identity($0.name, $0.labels.filter { !targetLabels.contains($0.name) }) }
            )
            #expect(kubectlKeys.count >= 60)
            #expect(
                kubectlKeys == gatewayKeys,
                "only kubectl: \(kubectlKeys.subtracting(gatewayKeys).sorted().prefix(5)); only gateway: \(gatewayKeys.subtracting(kubectlKeys).sorted().prefix(5))"
            )

            // kubectl's requests really went through the same API server's pod proxy.
            let proxied = running[0].requestLog.entries {
                $0.path == "/api/v1/namespaces/shop/pods/frozen-0:9102/proxy/metrics"
            }
            #expect(proxied.contains { $0.status == 200 && $0.user == "kubernetes-admin" }, "\(proxied)")
        }
    }
}
