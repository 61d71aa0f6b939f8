import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Testing

@Suite("Path safety against KubeSim's request log", .serialized)
struct GatewayPathSafetyTests {
    /// A pod whose annotations try to make the gateway fetch something else with its credentials.
    static func hostilePod(
        _ cluster: SimulatedCluster,
        name: String,
        path: String,
        port: String = "9102",
        scheme: String? = nil
    ) -> SimulatedPod {
        var annotations = ["prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": path]
        if let scheme { annotations["prometheus.io/scheme"] = scheme }
        return SimulatedPod(
            namespace: "app",
            name: name,
            labels: ["app": "hostile"],
            annotations: annotations,
            owner: .init(kind: "StatefulSet", name: "hostile"),
            nodeName: "node-1",
            containers: [
                .init(
                    name: "hostile",
                    image: "registry.example/hostile:1.0",
                    ports: [.init(name: "metrics", containerPort: 9102)]
                )
            ],
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
        for (name, path, port) in hostile {
            try cluster.pods.add(Self.hostilePod(cluster, name: name, path: path, port: port))
        }
        try await GatewayHarness.run([cluster]) { harness, running in
            _ = try await harness.waitForMetrics { $0.up(cluster: "guarded")["good-0"] == 1 }
            try await Task.sleep(for: .seconds(2))  // a few more scrape rounds
            let entries = running[0].requestLog.entries
            #expect(!entries.isEmpty)
            let proxied = entries.filter { $0.path.contains("/proxy") }
            #expect(!proxied.isEmpty)
            for entry in entries {
                let allowed =
                    entry.path == "/version" || entry.path == "/api/v1/pods"
                    || entry.path == "/api/v1/namespaces/app/pods"
                    || entry.path.hasPrefix("/api/v1/namespaces/app/pods/http:good-0:9102/proxy/")
                #expect(allowed, "unexpected request \(entry.method) \(entry.path)?\(entry.query ?? "")")
                #expect(
                    !entry.path.contains("secrets") && !entry.path.contains("..")
                        && !entry.path.lowercased().contains("%2e")
                )
            }
            // Every hostile pod is refused, with a reason on the cluster page's JSON.
            let (_, json, _) = try await harness.get("/api/v1/clusters/guarded")
            for (name, _, _) in hostile { #expect(json.contains(name), "\(name) not listed as refused") }
            #expect(json.contains("refusedPods"))
        }
    }

    /// The requests a cluster may see from the gateway: discovery, the version probe, and scrapes of exactly
    /// `/api/v1/namespaces/{namespace}/pods/http:{pod}:9102/proxy/metrics` of the pods in `scraped`.
    static func unexpectedRequests(
        _ cluster: SimulatedCluster,
        namespace: String,
        scraped: Set<String>
    ) -> [RequestLogEntry] {
        cluster.requestLog.entries.filter { entry in
            if entry.path == "/version" || entry.path == "/api/v1/pods"
                || entry.path == "/api/v1/namespaces/\(namespace)/pods"
            {
                return false
            }
            return !scraped.contains {
                entry.path == "/api/v1/namespaces/\(namespace)/pods/http:\($0):9102/proxy/metrics"
            }
        }
    }

    /// Asserts that every pod in `reasons` is listed as refused on `/api/v1/clusters/{cluster}` with a reason
    /// containing the given words, and never reached through the proxy.
    static func expectRefused(
        _ reasons: [String: String],
        cluster: SimulatedCluster,
        harness: GatewayHarness,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (status, text, _) = try await harness.get("/api/v1/clusters/\(cluster.name)")
        #expect(status == 200, sourceLocation: sourceLocation)
        let report = try ClusterHealth.decode(text)
        let refused = report.refusedPods ?? []
        for (pod, words) in reasons.sorted(by: { $0.key < $1.key }) {
            let rows = refused.filter { $0.pod == pod }
            #expect(
                !rows.isEmpty,
                "\(pod) is not listed as refused: \(refused.map(\.pod))",
                sourceLocation: sourceLocation
            )
            for row in rows {
                #expect(
                    row.reason.contains(words),
                    "\(pod): reason \(row.reason.debugDescription) lacks \(words.debugDescription)",
                    sourceLocation: sourceLocation
                )
            }
            #expect(
                !(report.targets ?? []).contains { $0.pod == pod },
                "\(pod) became a target",
                sourceLocation: sourceLocation
            )
            let reached = cluster.requestLog.entries { $0.path.contains(":\(pod):") || $0.path.contains("/\(pod)/") }
            #expect(reached.isEmpty, "\(pod) was reached: \(reached)", sourceLocation: sourceLocation)
        }
    }

    @Test("hostile ports (0, 65536, -1, 80/../, %2e) and schemes (file, gopher, https:junk) in annotations are refused")
    func hostilePortAndSchemeAnnotations() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "annotated"))
        try cluster.addExporterPods(namespace: "app", count: 1, seriesPerPod: 5, namePrefix: "good")
        let ports = ["p-zero": "0", "p-big": "65536", "p-negative": "-1", "p-dotdot": "80/../", "p-encoded": "%2e"]
        let schemes = ["s-file": "file", "s-gopher": "gopher", "s-junk": "https:junk", "s-empty-host": "https://"]
        for (name, port) in ports {
            try cluster.pods.add(Self.hostilePod(cluster, name: name, path: "/metrics", port: port))
        }
        for (name, scheme) in schemes {
            try cluster.pods.add(Self.hostilePod(cluster, name: name, path: "/metrics", scheme: scheme))
        }
        try await GatewayHarness.run([cluster]) { harness, running in
            let settled = try await harness.waitForMetrics { $0.up(cluster: "annotated")["good-0"] == 1 }
            #expect(settled.up(cluster: "annotated") == ["good-0": 1], "only the good pod is a target")
            try await Task.sleep(for: .seconds(2))  // a few more scrape rounds
            let unexpected = Self.unexpectedRequests(running[0], namespace: "app", scraped: ["good-0"])
            #expect(unexpected.isEmpty, "requests outside the good pod's proxy prefix: \(unexpected)")
            #expect(running[0].requestLog.count { $0.path.hasSuffix("/proxy/metrics") && $0.status == 200 } > 0)
            var reasons: [String: String] = [:]
            for name in ports.keys { reasons[name] = "prometheus.io/port" }
            for name in schemes.keys { reasons[name] = "scheme must be http or https" }
            try await Self.expectRefused(reasons, cluster: running[0], harness: harness)
        }
    }

    /// Relabeling that writes hostile values into `__address__`, `__scheme__`, `__metrics_path__`, `__param_*` and
    /// the `namespace`/`pod_name` target labels (one pod each, selected by name).
    static var hostileRelabelConfigs: String {
        // Prometheus mode: the rules' label values are kept as written, so hostile values reach the labels too.
        var text = "relabel_mode: prometheus\nrelabel_configs:\n"
        text += "  - source_labels: [__meta_kubernetes_namespace]\n    target_label: namespace\n"
        text += "  - source_labels: [__meta_kubernetes_pod_name]\n    target_label: pod_name\n"
        for (name, address) in hostileAddresses {
            text += "  - source_labels: [__meta_kubernetes_pod_name, __meta_kubernetes_pod_ip]\n"
            text += "    regex: \"\(name);(.+)\"\n    target_label: __address__\n    replacement: \"\(address)\"\n"
        }
        for (name, label, value) in hostileLabels {
            text += "  - source_labels: [__meta_kubernetes_pod_name]\n"
            text += "    regex: \"\(name)\"\n    target_label: \(label)\n    replacement: \"\(value)\"\n"
        }
        return text
    }

    /// Pods whose `__address__` is rewritten to a hostile value (`$1` is the pod's IP).
    static let hostileAddresses: [(String, String)] = [
        ("r-port-zero", "${1}:0"), ("r-port-big", "${1}:65536"), ("r-port-negative", "${1}:-1"),
        ("r-port-dotdot", "${1}:80/../"), ("r-port-encoded", "${1}:%2e"), ("r-port-slash", "${1}:9102/../../secrets"),
        ("r-foreign-host", "kubernetes.default.svc:443"), ("r-loopback", "127.0.0.1:9102"),
    ]

    /// Pods whose scheme, path, parameters or target labels are rewritten to hostile values.
    static let hostileLabels: [(String, String, String)] = [
        ("r-scheme-file", "__scheme__", "file"), ("r-scheme-gopher", "__scheme__", "gopher"),
        ("r-scheme-junk", "__scheme__", "https:junk"),
        ("r-path-dotdot", "__metrics_path__", "/../../../api/v1/secrets"),
        ("r-path-encoded", "__metrics_path__", "/%2e%2e/%2F/api/v1/secrets"),
        ("r-path-host", "__metrics_path__", "//evil.example/metrics"),
        // Accepted: only labels and a query parameter, the request still goes to the pod itself.
        ("r-labels", "pod_name", "../../kube-system/pods/x"), ("r-labels", "namespace", "kube-system/../x%2F"),
        ("r-labels", "__param_x", "../../secrets?watch=1#/"),
    ]

    @Test(
        "relabeling hostile __address__, __scheme__, __metrics_path__, __param_* and target labels never leaves the pod's proxy prefix"
    )
    func hostileRelabeling() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "relabeled"))
        let names = Set(["good-0", "r-labels"] + Self.hostileAddresses.map(\.0) + Self.hostileLabels.map(\.0))
        for name in names.sorted() { try cluster.addFrozenExporterPod(namespace: "app", name: name, series: 5) }
        // Hostile pod names and namespaces cannot exist: KubeSim refuses them as the API server does, and the
        // gateway's proxy path builder refuses them too.
        for (namespace, pod) in [
            ("app", "a/b"), ("app", ".."), ("app", "a%2Fb"), ("..", "x"), ("a/b", "x"), ("app", "A"),
        ] {
            #expect(throws: KubeSimError.self, "KubeSim accepted \(namespace)/\(pod)") {
                try cluster.pods.add(SimulatedPod(namespace: namespace, name: pod, podIP: cluster.pods.allocatePodIP()))
            }
        }
        for (namespace, pod) in [("app", "a/b"), ("app", "a%2Fb"), ("a/b", "x"), ("app", "a?b"), ("app", "")] {
            #expect(throws: ProxyPath.Refusal.self) {
                try ProxyPath.build(namespace: namespace, pod: pod, scheme: "http", port: "9102", path: "/metrics")
            }
        }
        for name in [".", ".."] {
            #expect(throws: ProxyPath.Refusal.self) {
                try ProxyPath.build(namespace: name, pod: "x", scheme: "http", port: "9102", path: "/metrics")
            }
            #expect(throws: ProxyPath.Refusal.self) {
                try ProxyPath.build(namespace: "app", pod: name, scheme: "http", port: "9102", path: "/metrics")
            }
        }
        try await GatewayHarness.run([cluster], writeFiles: false) { harness, running in
            // The cluster file appears complete (written elsewhere, then renamed in), so no scrape runs without
            // the relabeling.
            let staging = harness.directory + "/staging"
            try GatewayHarness.writeClusterFile(running[0], into: staging)
            let text = try String(contentsOfFile: staging + "/clusters.d/relabeled.yaml", encoding: .utf8)
            try (text + Self.hostileRelabelConfigs).write(
                toFile: harness.directory + "/clusters.d/relabeled.yaml",
                atomically: true,
                encoding: .utf8
            )
            let settled = try await harness.waitForMetrics { families in
                families.up(cluster: "relabeled")["good-0"] == 1
                    && families.allSamples.contains {
                        $0.name == "up" && $0.label("pod_name") == "../../kube-system/pods/x" && $0.value == 1
                    }
            }
            #expect(settled.up(cluster: "relabeled")["good-0"] == 1, "good-0 is not scraped")
            let relabeled = settled.allSamples.first {
                $0.name == "up" && $0.label("pod_name") == "../../kube-system/pods/x"
            }
            #expect(relabeled?.value == 1, "the pod with hostile labels is scraped (labels are only labels)")
            #expect(relabeled?.label("namespace") == "kube-system/../x%2F")
            try await Task.sleep(for: .seconds(2))  // a few more scrape rounds
            let unexpected = Self.unexpectedRequests(running[0], namespace: "app", scraped: ["good-0", "r-labels"])
            #expect(unexpected.isEmpty, "requests outside the scraped pods' proxy prefixes: \(unexpected)")
            // The hostile parameter travels to the pod as an encoded query value, nothing else.
            let labelled = running[0].requestLog.entries {
                $0.path == "/api/v1/namespaces/app/pods/http:r-labels:9102/proxy/metrics"
            }
            #expect(!labelled.isEmpty)
            for entry in labelled {
                #expect(entry.queryValue("x") == "../../secrets?watch=1#/", "query \(entry.query ?? "")")
                #expect(entry.queryValue("watch") == nil, "query \(entry.query ?? "")")
            }
            var reasons: [String: String] = [:]
            for (name, _) in Self.hostileAddresses { reasons[name] = "__address__" }
            for (name, label, _) in Self.hostileLabels where name != "r-labels" {
                reasons[name] = label == "__scheme__" ? "scheme must be http or https" : "metrics path"
            }
            try await Self.expectRefused(reasons, cluster: running[0], harness: harness)
        }
    }
}
