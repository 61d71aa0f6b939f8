import CrowsnestCore
import Testing

@Suite("Targets from pods")
struct PodTargetTests {
    static func pod(
        _ name: String,
        namespace: String = "app",
        annotations: [String: String] = [:],
        labels: [String: String] = [:],
        ports: [PodInfo.Port] = [],
        phase: String = "Running",
        ip: String = "10.1.0.5",
        terminating: Bool = false
    ) -> PodInfo {
        PodInfo(
            namespace: namespace,
            name: name,
            uid: "uid-\(name)",
            labels: labels,
            annotations: annotations,
            isTerminating: terminating,
            controllerKind: "StatefulSet",
            controllerName: "web",
            nodeName: "node-1",
            containers: [PodInfo.Container(name: "main", image: "img:1", ports: ports)],
            phase: phase,
            podIP: ip,
            hostIP: "192.0.2.1",
            ready: true
        )
    }

    static let rules = PodTargetRules(cluster: "prod", staticLabels: ["region": "eu"])

    @Test("annotated pod: port, path and scheme from annotations; labels cluster, namespace, pod_name, static")
    func annotated() {
        let result = Self.rules.targets(
            for: Self.pod(
                "web-0",
                annotations: [
                    "prometheus.io/scrape": "true", "prometheus.io/port": "9102", "prometheus.io/path": "/stats",
                    "prometheus.io/scheme": "https",
                ],
                ports: [PodInfo.Port(name: "http", number: 8080)]
            )
        )
        #expect(result.refused.isEmpty)
        let target = try! #require(result.targets.first)
        #expect(result.targets.count == 1)
        #expect(target.key == TargetKey(cluster: "prod", namespace: "app", pod: "web-0", port: "9102"))
        #expect(target.path == "/stats")
        #expect(target.scheme == "https")
        #expect(
            target.labels
                == (["cluster": "prod", "namespace": "app", "pod_name": "web-0", "region": "eu"] as LabelSet).labels
        )
    }

    @Test("annotated pod without port annotation: the metrics port, else the first TCP port")
    func annotatedPortFallback() {
        let withMetrics = Self.rules.targets(
            for: Self.pod(
                "a",
                annotations: ["prometheus.io/scrape": "true"],
                ports: [
                    PodInfo.Port(name: "http", number: 8080), PodInfo.Port(name: "metrics", number: 9090),
                ]
            )
        )
        #expect(withMetrics.targets.map(\.key.port) == ["9090"])
        let firstTCP = Self.rules.targets(
            for: Self.pod(
                "b",
                annotations: ["prometheus.io/scrape": "true"],
                ports: [
                    PodInfo.Port(name: "dns", number: 53, protocol: "UDP"), PodInfo.Port(name: "http", number: 8080),
                ]
            )
        )
        #expect(firstTCP.targets.map(\.key.port) == ["8080"])
        #expect(firstTCP.targets.first?.path == "/metrics")
        let none = Self.rules.targets(for: Self.pod("c", annotations: ["prometheus.io/scrape": "true"]))
        #expect(none.targets.isEmpty)
        #expect(none.refused.count == 1)
    }

    @Test("unannotated pod: every metrics or *-metrics port, each with a port label")
    func namedPorts() {
        let result = Self.rules.targets(
            for: Self.pod(
                "x",
                ports: [
                    PodInfo.Port(name: "metrics", number: 9100), PodInfo.Port(name: "envoy-metrics", number: 15090),
                    PodInfo.Port(name: "http", number: 8080),
                ]
            )
        )
        #expect(result.targets.map(\.key.port) == ["9100", "15090"])
        #expect(result.targets.map { LabelSet($0.labels)["port"] } == ["metrics", "envoy-metrics"])
        let single = Self.rules.targets(for: Self.pod("y", ports: [PodInfo.Port(name: "metrics", number: 9100)]))
        #expect(LabelSet(single.targets[0].labels)["port"] == nil)
    }

    @Test("opt-out, not Running, terminating and IP-less pods yield nothing")
    func skipped() {
        let ports = [PodInfo.Port(name: "metrics", number: 9100)]
        #expect(
            Self.rules.targets(for: Self.pod("a", annotations: ["prometheus.io/scrape": "false"], ports: ports))
                == .none
        )
        #expect(Self.rules.targets(for: Self.pod("b", ports: ports, phase: "Pending")) == .none)
        #expect(Self.rules.targets(for: Self.pod("c", ports: ports, terminating: true)) == .none)
        #expect(Self.rules.targets(for: Self.pod("d", ports: ports, ip: "")) == .none)
    }

    @Test(
        "unsafe annotation paths are refused with the reason",
        arguments: [
            "/../api/v1/secrets", "/metrics/%2F..", "metrics", "//evil.example/x", "/a?b", "/%2e%2e/x",
        ]
    )
    func unsafePaths(path: String) {
        let result = Self.rules.targets(
            for: Self.pod(
                "p",
                annotations: [
                    "prometheus.io/scrape": "true", "prometheus.io/port": "9102", "prometheus.io/path": path,
                ]
            )
        )
        #expect(result.targets.isEmpty)
        #expect(result.refused.count == 1)
        #expect(result.refused.first?.reason.contains("metrics path") == true)
    }

    @Test("role: pod candidates carry the full __meta_kubernetes_* set")
    func candidates() throws {
        var pod = Self.pod(
            "web-0",
            annotations: ["prometheus.io/scrape": "true"],
            labels: ["app.kubernetes.io/name": "web"],
            ports: [PodInfo.Port(name: "metrics", number: 9100)]
        )
        pod.containers.append(PodInfo.Container(name: "sidecar", image: "side:2"))
        pod.containers.append(
            PodInfo.Container(
                name: "init",
                image: "init:1",
                ports: [PodInfo.Port(number: 7000, protocol: "UDP")],
                isInit: true
            )
        )
        let candidates = Self.rules.candidates(for: pod)
        #expect(candidates.count == 3)
        let first = candidates[0]
        #expect(first["__address__"] == "10.1.0.5:9100")
        #expect(first["__meta_kubernetes_namespace"] == "app")
        #expect(first["__meta_kubernetes_pod_name"] == "web-0")
        #expect(first["__meta_kubernetes_pod_uid"] == "uid-web-0")
        #expect(first["__meta_kubernetes_pod_ip"] == "10.1.0.5")
        #expect(first["__meta_kubernetes_pod_node_name"] == "node-1")
        #expect(first["__meta_kubernetes_pod_host_ip"] == "192.0.2.1")
        #expect(first["__meta_kubernetes_pod_phase"] == "Running")
        #expect(first["__meta_kubernetes_pod_ready"] == "true")
        #expect(first["__meta_kubernetes_pod_controller_kind"] == "StatefulSet")
        #expect(first["__meta_kubernetes_pod_controller_name"] == "web")
        #expect(first["__meta_kubernetes_pod_label_app_kubernetes_io_name"] == "web")
        #expect(first["__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name"] == "true")
        #expect(first["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] == "true")
        #expect(first["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"] == "true")
        #expect(first["__meta_kubernetes_pod_container_name"] == "main")
        #expect(first["__meta_kubernetes_pod_container_image"] == "img:1")
        #expect(first["__meta_kubernetes_pod_container_init"] == "false")
        #expect(first["__meta_kubernetes_pod_container_port_name"] == "metrics")
        #expect(first["__meta_kubernetes_pod_container_port_number"] == "9100")
        #expect(first["__meta_kubernetes_pod_container_port_protocol"] == "TCP")
        #expect(first["__metrics_path__"] == "/metrics")
        #expect(first["__scheme__"] == "http")
        #expect(candidates[1]["__address__"] == "10.1.0.5")
        #expect(candidates[1]["__meta_kubernetes_pod_container_port_number"] == nil)
        #expect(candidates[2]["__meta_kubernetes_pod_container_init"] == "true")
    }

    /// The article's configuration (SPEC §4) without its address/path rewrites.
    static let articleRules: [RelabelRule] = [
        RelabelRule(
            sourceLabels: [
                "__meta_kubernetes_namespace", "__meta_kubernetes_pod_name",
                "__meta_kubernetes_pod_container_port_name",
            ],
            regex: "monitoring;prometheus-.*;web",
            action: .keep
        ),
        RelabelRule(regex: "__meta_kubernetes_pod_label_(service|tier|type)", action: .labelmap),
        RelabelRule(sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "namespace", action: .replace),
        RelabelRule(sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod_name", action: .replace),
    ]

    @Test("the article's relabel configuration selects exactly the pods Prometheus selects")
    func articleSelection() throws {
        let rules = PodTargetRules(
            cluster: "prod",
            relabeler: try Relabeler(rules: Self.articleRules),
            mode: .prometheus
        )
        let webPorts = [PodInfo.Port(name: "web", number: 9090), PodInfo.Port(name: "grpc", number: 10901)]
        let pods = [
            Self.pod(
                "prometheus-k8s-0",
                namespace: "monitoring",
                labels: ["service": "prom", "tier": "mon", "other": "x"],
                ports: webPorts
            ),
            // Pending but with an IP: Prometheus keeps it.
            Self.pod("prometheus-k8s-1", namespace: "monitoring", ports: webPorts, phase: "Pending"),
            Self.pod("prometheus-k8s-2", namespace: "monitoring", ports: webPorts, ip: ""),  // no IP: no candidates
            Self.pod("prometheus-k8s-0", namespace: "default", ports: webPorts),
            Self.pod("alertmanager-0", namespace: "monitoring", ports: webPorts),
            Self.pod("prometheus-operator", namespace: "monitoring", ports: [PodInfo.Port(name: "http", number: 8080)]),
        ]
        let targets = pods.flatMap { rules.targets(for: $0).targets }
        #expect(
            targets.map(\.key.description) == [
                "prod/monitoring/prometheus-k8s-0:9090", "prod/monitoring/prometheus-k8s-1:9090",
            ]
        )
        #expect(
            LabelSet(targets[0].labels) == [
                "cluster": "prod", "namespace": "monitoring", "pod_name": "prometheus-k8s-0", "service": "prom",
                "tier": "mon",
            ]
        )
        #expect(targets.allSatisfy { !$0.labels.contains { $0.name.hasPrefix("__") } })
    }

    @Test("relabeling may set __metrics_path__, __scheme__ and __param_*; an address elsewhere is refused")
    func relabelSpecials() throws {
        let rules = PodTargetRules(
            cluster: "c",
            relabeler: try Relabeler(rules: [
                RelabelRule(targetLabel: "__metrics_path__", replacement: "/federate", action: .replace),
                RelabelRule(targetLabel: "__scheme__", replacement: "https", action: .replace),
                RelabelRule(targetLabel: "__param_format", replacement: "prometheus", action: .replace),
            ]),
            mode: .prometheus
        )
        let target = try #require(
            rules.targets(for: Self.pod("p", ports: [PodInfo.Port(name: "m", number: 9000)])).targets.first
        )
        #expect(target.path == "/federate")
        #expect(target.scheme == "https")
        #expect(target.parameters == [Label("format", "prometheus")])
        let elsewhere = PodTargetRules(
            cluster: "c",
            relabeler: try Relabeler(rules: [
                RelabelRule(targetLabel: "__address__", replacement: "kubernetes.default.svc:443", action: .replace)
            ]),
            mode: .prometheus
        )
        let result = elsewhere.targets(for: Self.pod("p", ports: [PodInfo.Port(name: "m", number: 9000)]))
        #expect(result.targets.isEmpty)
        #expect(result.refused.first?.reason.contains("__address__") == true)
        let badPath = PodTargetRules(
            cluster: "c",
            relabeler: try Relabeler(rules: [
                RelabelRule(targetLabel: "__metrics_path__", replacement: "/../../secrets", action: .replace)
            ]),
            mode: .prometheus
        )
        #expect(badPath.targets(for: Self.pod("p", ports: [PodInfo.Port(name: "m", number: 9000)])).refused.count == 1)
    }
}
