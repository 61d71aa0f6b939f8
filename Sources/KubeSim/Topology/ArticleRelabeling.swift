/// The `relabel_configs` of the article Crowsnest started from, as YAML list items: the rules a Prometheus or vmagent
/// job and a `relabel_mode: prometheus` cluster file share. Peers add the address and path rewrites that send their
/// scrapes through the API server's pod proxy; Crowsnest builds that path itself.
///
/// In KubeSim, beside the simulated clusters these jobs point at, because both the tests and the scrape benchmark
/// write peer configurations with it (the tests' support target links Swift Testing, which a release benchmark
/// cannot).
public enum ArticleRelabeling {
    /// The selection and labeling rules, each line indented by `indent` spaces.
    public static func selectionRules(indent: Int) -> String {
        let rules = """
            - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_name, __meta_kubernetes_pod_container_port_name]
              action: keep
              regex: .+;.+;metrics
            - action: labelmap
              regex: __meta_kubernetes_pod_label_(service|tier|type)
            - source_labels: [__meta_kubernetes_namespace]
              target_label: namespace
            - source_labels: [__meta_kubernetes_pod_name]
              target_label: pod_name
            """
        let padding = String(repeating: " ", count: indent)
        return rules.split(separator: "\n").map { padding + $0 }.joined(separator: "\n") + "\n"
    }

    /// The rewrites that make a peer scrape a pod through the API server at `apiHostPort`, indented like
    /// ``selectionRules(indent:)``.
    public static func proxyRewrites(apiHostPort: String, indent: Int) -> String {
        let rules = """
            - target_label: __address__
              replacement: \(apiHostPort)
            - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_name, __meta_kubernetes_pod_container_port_number]
              regex: (.+);(.+);(.+)
              target_label: __metrics_path__
              replacement: /api/v1/namespaces/${1}/pods/${2}:${3}/proxy/metrics
            """
        let padding = String(repeating: " ", count: indent)
        return rules.split(separator: "\n").map { padding + $0 }.joined(separator: "\n") + "\n"
    }
}
