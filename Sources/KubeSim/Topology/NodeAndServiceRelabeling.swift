/// `relabel_configs` (as YAML list items) that make a Prometheus or vmagent job scrape kubelets and Service
/// endpoints through the API server, as people hand-build them (prometheus/prometheus#9052): the peers' side of
/// an agreement test or a benchmark against KubeSim, producing the target labels Crowsnest's node and
/// Service-endpoint targets carry.
///
/// In KubeSim beside ``ArticleRelabeling`` for the same reason: tests and release benchmarks both write peer
/// configurations with it.
public enum NodeAndServiceRelabeling {
    /// For `role: node`: `__address__` = the API server at `apiHostPort`, `__metrics_path__` =
    /// `/api/v1/nodes/NODE/proxy` + `kubeletPath` (`/metrics/cadvisor`, …), and the labels `node` and
    /// `metrics_path` (the kubelet path, as kube-prometheus labels it).
    public static func nodeRules(apiHostPort: String, kubeletPath: String, indent: Int) -> String {
        let rules = """
            - source_labels: [__meta_kubernetes_node_name]
              target_label: node
            - target_label: metrics_path
              replacement: \(kubeletPath)
            - target_label: __address__
              replacement: \(apiHostPort)
            - source_labels: [__meta_kubernetes_node_name]
              regex: (.+)
              target_label: __metrics_path__
              replacement: /api/v1/nodes/${1}/proxy\(kubeletPath)
            """
        return indented(rules, indent)
    }

    /// For `role: endpointslice`, the `kubernetes-service-endpoints` convention through the pod proxy: keep
    /// endpoints of Services annotated `prometheus.io/scrape: "true"` that are ready and target a Pod; the port is
    /// `prometheus.io/port` or the slice's port, the path `prometheus.io/path` or `/metrics`; labels `namespace`,
    /// `pod_name`, `service`; `__address__` = the API server at `apiHostPort`.
    public static func serviceEndpointRules(apiHostPort: String, indent: Int) -> String {
        let rules = """
            - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
              action: keep
              regex: "true"
            - source_labels: [__meta_kubernetes_endpointslice_endpoint_conditions_ready]
              action: keep
              regex: "true"
            - source_labels: [__meta_kubernetes_endpointslice_address_target_kind, __meta_kubernetes_endpointslice_address_target_name]
              action: keep
              regex: Pod;.+
            - source_labels: [__meta_kubernetes_endpointslice_port]
              target_label: __tmp_port
            - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_port]
              regex: (\\d+)
              target_label: __tmp_port
            - target_label: __tmp_path
              replacement: /metrics
            - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_path]
              regex: (.+)
              target_label: __tmp_path
            - source_labels: [__meta_kubernetes_namespace]
              target_label: namespace
            - source_labels: [__meta_kubernetes_endpointslice_address_target_name]
              target_label: pod_name
            - source_labels: [__meta_kubernetes_service_name]
              target_label: service
            - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_endpointslice_address_target_name, __tmp_port, __tmp_path]
              regex: (.+);(.+);(.+);(.+)
              target_label: __metrics_path__
              replacement: /api/v1/namespaces/${1}/pods/${2}:${3}/proxy${4}
            - target_label: __address__
              replacement: \(apiHostPort)
            """
        return indented(rules, indent)
    }

    private static func indented(_ rules: String, _ indent: Int) -> String {
        let padding = String(repeating: " ", count: indent)
        return rules.split(separator: "\n").map { padding + $0 }.joined(separator: "\n") + "\n"
    }
}
