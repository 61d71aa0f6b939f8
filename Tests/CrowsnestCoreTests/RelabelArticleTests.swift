import CrowsnestCore
import Testing

/// The `relabel_configs` of the original article (SPEC §4), applied to `__meta_kubernetes_*` candidates as
/// Prometheus' `role: pod` discovery produces them (one candidate per container port).
@Suite("Relabeling: the article's configuration")
struct RelabelArticleTests {
    /// ```yaml
    /// relabel_configs:
    /// - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_name, __meta_kubernetes_pod_container_port_name]
    ///   action: keep
    ///   regex: monitoring;prometheus-.*;web
    /// - action: labelmap
    ///   regex: __meta_kubernetes_pod_label_(service|tier|type)
    /// - source_labels: [__meta_kubernetes_namespace]
    ///   action: replace
    ///   target_label: namespace
    /// - source_labels: [__meta_kubernetes_pod_name]
    ///   action: replace
    ///   target_label: pod_name
    /// ```
    static let rules: [RelabelRule] = [
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

    /// A candidate target with the labels Prometheus' Kubernetes pod discovery attaches.
    static func candidate(
        namespace: String,
        pod: String,
        portName: String,
        port: Int,
        podLabels: [String: String]
    ) -> LabelSet {
        var labels: LabelSet = [
            "__address__": "10.1.2.3:\(port)",
            "__metrics_path__": "/metrics",
            "__scheme__": "http",
            "__meta_kubernetes_namespace": namespace,
            "__meta_kubernetes_pod_name": pod,
            "__meta_kubernetes_pod_ip": "10.1.2.3",
            "__meta_kubernetes_pod_uid": "4c586419-7f6c-448d-aeec-ca4fa5b05e60",
            "__meta_kubernetes_pod_node_name": "node-a",
            "__meta_kubernetes_pod_phase": "Running",
            "__meta_kubernetes_pod_ready": "true",
            "__meta_kubernetes_pod_container_name": "prometheus",
            "__meta_kubernetes_pod_container_image": "quay.io/prometheus/prometheus:v3.0.0",
            "__meta_kubernetes_pod_container_init": "false",
            "__meta_kubernetes_pod_container_port_name": portName,
            "__meta_kubernetes_pod_container_port_number": String(port),
            "__meta_kubernetes_pod_container_port_protocol": "TCP",
            "__meta_kubernetes_pod_controller_kind": "StatefulSet",
            "__meta_kubernetes_pod_controller_name": "prometheus",
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
            "__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape": "true",
        ]
        for (name, value) in podLabels {
            labels["__meta_kubernetes_pod_label_" + name] = value
            labels["__meta_kubernetes_pod_labelpresent_" + name] = "true"
        }
        return labels
    }

    @Test("the web port of a prometheus pod in monitoring is kept and labelled")
    func keptCandidate() throws {
        let relabeler = try Relabeler(rules: Self.rules)
        let input = Self.candidate(
            namespace: "monitoring",
            pod: "prometheus-k8s-0",
            portName: "web",
            port: 9090,
            podLabels: ["service": "prometheus", "tier": "monitoring", "type": "server", "app": "prometheus"]
        )
        var labels = input
        #expect(relabeler.process(&labels))
        // labelmap copied exactly the three listed pod labels, without their prefix ...
        #expect(labels["service"] == "prometheus")
        #expect(labels["tier"] == "monitoring")
        #expect(labels["type"] == "server")
        #expect(labels["app"] == nil)
        // ... and the two target labels were set.
        #expect(labels["namespace"] == "monitoring")
        #expect(labels["pod_name"] == "prometheus-k8s-0")
        // Relabeling itself removes nothing; Prometheus drops the `__` labels afterwards.
        #expect(labels.count == input.count + 5)
        #expect(
            labels.droppingMetaLabels() == [
                "namespace": "monitoring", "pod_name": "prometheus-k8s-0", "service": "prometheus",
                "tier": "monitoring", "type": "server",
            ]
        )
    }

    @Test("a pod without the listed pod labels still gets namespace and pod_name")
    func keptWithoutPodLabels() throws {
        let relabeler = try Relabeler(rules: Self.rules)
        let input = Self.candidate(
            namespace: "monitoring",
            pod: "prometheus-",
            portName: "web",
            port: 9090,
            podLabels: ["app.kubernetes.io/name": "x"]
        )
        #expect(
            relabeler.processed(input)?.droppingMetaLabels() == ["namespace": "monitoring", "pod_name": "prometheus-"]
        )
    }

    struct Dropped: Sendable, CustomTestStringConvertible {
        var namespace: String
        var pod: String
        var portName: String
        var testDescription: String { "\(namespace);\(pod);\(portName)" }
    }

    @Test(
        "other candidates are dropped",
        arguments: [
            Dropped(namespace: "default", pod: "prometheus-k8s-0", portName: "web"),  // other namespace
            Dropped(namespace: "monitoring", pod: "prometheus-k8s-0", portName: "reloader-web"),  // other port
            Dropped(namespace: "monitoring", pod: "alertmanager-main-0", portName: "web"),  // other pod
            Dropped(namespace: "monitoring", pod: "prometheus", portName: "web"),  // no dash: prefix is `prometheus-`
            Dropped(namespace: "monitoring-2", pod: "prometheus-k8s-0", portName: "web"),  // anchored: not a prefix
            Dropped(namespace: "monitoring", pod: "prometheus-k8s-0", portName: "web2"),  // anchored: not a prefix
            Dropped(namespace: "xmonitoring", pod: "prometheus-k8s-0", portName: "web"),  // anchored: not a suffix
            Dropped(namespace: "Monitoring", pod: "prometheus-k8s-0", portName: "web"),  // case-sensitive
            Dropped(namespace: "monitoring", pod: "prometheus-k8s-0", portName: ""),  // port without a name
        ]
    )
    func droppedCandidates(_ dropped: Dropped) throws {
        let relabeler = try Relabeler(rules: Self.rules)
        var labels = Self.candidate(
            namespace: dropped.namespace,
            pod: dropped.pod,
            portName: dropped.portName,
            port: 8080,
            podLabels: ["service": "prometheus"]
        )
        #expect(!relabeler.process(&labels))
    }

    @Test("a pod name containing ';' cannot fake the joined value boundaries it does not have")
    func separatorInValues() throws {
        let relabeler = try Relabeler(rules: Self.rules)
        // `prometheus-.*` is greedy over `;`, so this pod name still matches, exactly as in Prometheus.
        let sneaky = Self.candidate(
            namespace: "monitoring",
            pod: "prometheus-x;web",
            portName: "web",
            port: 9090,
            podLabels: [:]
        )
        #expect(relabeler.processed(sneaky) != nil)
        let notWeb = Self.candidate(
            namespace: "monitoring",
            pod: "prometheus-x;web",
            portName: "metrics",
            port: 9090,
            podLabels: [:]
        )
        #expect(relabeler.processed(notWeb) == nil)
    }

    @Test("the article's regexes never reach the regex engine")
    func fastPaths() throws {
        #expect(try PrometheusRegex("monitoring;prometheus-.*;web").usesFastPathForTesting)
        #expect(try PrometheusRegex("__meta_kubernetes_pod_label_(service|tier|type)").usesFastPathForTesting)
        #expect(try PrometheusRegex("(.*)").usesFastPathForTesting)
    }
}
