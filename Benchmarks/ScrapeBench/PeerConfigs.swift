import Foundation
import KubeSim

/// The configuration files of the three scrapers compared, all pointing at the same pods through the same
/// pod proxy paths of the same simulated API servers.
enum PeerConfigs {
    /// One running simulated cluster as the scrapers see it.
    struct Cluster {
        var name: String
        /// `https://127.0.0.1:PORT`.
        var apiServer: String
        /// `127.0.0.1:PORT`, what the article's relabeling writes into `__address__`.
        var hostPort: String
        var caFile: String
        var tokenFile: String
        var podNames: [String]
        /// Nodes whose cAdvisor is scraped through the node proxy.
        var nodeNames: [String] = []
    }

    /// Writes `crowsnest.yaml`, `vmagent.yaml`, `prometheus.yml` (+ `file_sd/NAME.json`) and `kubeconfig`.
    static func write(
        clusters: [Cluster],
        namespace: String,
        port: Int,
        interval: Int,
        kubeconfig: String,
        into root: String
    ) throws {
        try save(root + "/crowsnest.yaml", crowsnestYAML(interval: interval))
        try save(root + "/vmagent.yaml", vmagentYAML(clusters: clusters, interval: interval))
        for cluster in clusters {
            try save(
                root + "/file_sd/\(cluster.name).json",
                fileSDJSON(cluster: cluster, namespace: namespace, port: port)
            )
        }
        try save(root + "/prometheus.yml", prometheusYAML(clusters: clusters, interval: interval, root: root))
        try save(root + "/kubeconfig", kubeconfig, permissions: 0o600)
    }

    /// The gateway's global defaults: only the interval (timeout defaults to min(10 s, interval)).
    static func crowsnestYAML(interval: Int) -> String {
        "scrape:\n  interval: \(interval)s\n"
    }

    /// How both peers' files start: the global interval and timeout (min(interval, 10 s)), then `scrape_configs:`.
    static func scrapeConfigsHeader(interval: Int) -> String {
        "global:\n  scrape_interval: \(interval)s\n  scrape_timeout: \(min(interval, 10))s\nscrape_configs:\n"
    }

    /// How a job starts in both peers' files: its name, HTTPS and the cluster's CA.
    static func jobHeader(_ cluster: Cluster) -> String {
        "  - job_name: pods-\(cluster.name)\n    scheme: https\n    tls_config:\n      ca_file: \(cluster.caFile)\n"
    }

    /// vmagent with `kubernetes_sd_configs` (role: pod) per cluster and the original article's relabeling: keep
    /// containers whose port is named `metrics`, map a few pod labels, then point `__address__` at the API server
    /// and `__metrics_path__` at the pod proxy path.
    static func vmagentYAML(clusters: [Cluster], interval: Int) -> String {
        var text = scrapeConfigsHeader(interval: interval)
        for cluster in clusters where !cluster.nodeNames.isEmpty {
            text += nodeJob(cluster)
        }
        for cluster in clusters where !cluster.podNames.isEmpty {
            text +=
                jobHeader(cluster) + """
                        bearer_token_file: \(cluster.tokenFile)
                        kubernetes_sd_configs:
                          - role: pod
                            api_server: \(cluster.apiServer)
                            tls_config:
                              ca_file: \(cluster.caFile)
                            bearer_token_file: \(cluster.tokenFile)
                        relabel_configs:

                    """
                + ArticleRelabeling.selectionRules(indent: 6)
                + "      - target_label: cluster\n        replacement: \(cluster.name)\n"
                + ArticleRelabeling.proxyRewrites(apiHostPort: cluster.hostPort, indent: 6)
        }
        return text
    }

    /// The standard cAdvisor job (prometheus/prometheus#9052's relabeling) for vmagent: `role: node`, `__address__`
    /// the API server, `__metrics_path__` the node proxy path of the kubelet's cAdvisor.
    static func nodeJob(_ cluster: Cluster) -> String {
        """
          - job_name: nodes-\(cluster.name)
            scheme: https
            tls_config:
              ca_file: \(cluster.caFile)
            bearer_token_file: \(cluster.tokenFile)
            kubernetes_sd_configs:
              - role: node
                api_server: \(cluster.apiServer)
                tls_config:
                  ca_file: \(cluster.caFile)
                bearer_token_file: \(cluster.tokenFile)
            relabel_configs:
              - target_label: __address__
                replacement: \(cluster.hostPort)
              - source_labels: [__meta_kubernetes_node_name]
                regex: (.+)
                target_label: __metrics_path__
                replacement: /api/v1/nodes/${1}/proxy/metrics/cadvisor
              - source_labels: [__meta_kubernetes_node_name]
                target_label: node
              - target_label: cluster
                replacement: \(cluster.name)

        """
    }

    /// Prometheus (Debian's build has no Kubernetes discovery): one job per cluster whose `file_sd` targets are
    /// the API server with the pod proxy path of each pod, authenticated like vmagent.
    static func prometheusYAML(clusters: [Cluster], interval: Int, root: String) -> String {
        var text = scrapeConfigsHeader(interval: interval)
        for cluster in clusters {
            text +=
                jobHeader(cluster) + """
                        authorization:
                          credentials_file: \(cluster.tokenFile)
                        file_sd_configs:
                          - files: [\(root)/file_sd/\(cluster.name).json]

                    """
        }
        return text
    }

    /// One file_sd group per pod: the labels vmagent's relabeling would produce, and the proxy path.
    static func fileSDJSON(cluster: Cluster, namespace: String, port: Int) -> String {
        let nodeGroups = cluster.nodeNames.map { node in
            """
            {"targets":["\(cluster.hostPort)"],"labels":{"__metrics_path__":"/api/v1/nodes/\(node)/proxy/metrics/cadvisor",\
            "node":"\(node)","cluster":"\(cluster.name)"}}
            """
        }
        let podGroups = cluster.podNames.map { pod in
            """
            {"targets":["\(cluster.hostPort)"],"labels":{"__metrics_path__":"/api/v1/namespaces/\(namespace)/pods/\(pod):\(port)/proxy/metrics",\
            "namespace":"\(namespace)","pod_name":"\(pod)","cluster":"\(cluster.name)","service":"shop","tier":"backend","type":"api"}}
            """
        }
        return "[\n" + (nodeGroups + podGroups).joined(separator: ",\n") + "\n]\n"
    }

    static func save(_ path: String, _ text: String, permissions: Int = 0o644) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
    }
}
