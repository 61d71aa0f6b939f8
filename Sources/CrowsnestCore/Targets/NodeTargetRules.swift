/// How one cluster turns nodes into kubelet targets (README, "Nodes"): one target per selected node and enabled
/// kubelet path, scraped through the API server's node proxy.
///
/// Target labels are `cluster`, `node` and `metrics_path` (the kubelet path, as kube-prometheus labels it) plus
/// the static labels. `nodes.relabel_configs` see Prometheus' `role: node` meta labels and may drop a target or add
/// labels; `cluster`, `node` and `metrics_path` stay the target's own, so series of two nodes never merge.
public struct NodeTargetRules: Sendable {
    /// The cluster name.
    public var cluster: String
    /// Static labels added to every target.
    public var staticLabels: LabelSet
    /// The kubelet paths scraped on every node.
    public var paths: [KubeletPath]
    /// The compiled `nodes.relabel_configs`; nil = none.
    public var relabeler: Relabeler?

    /// The labels a node target always carries with its own values.
    public static let identityLabelNames = ["cluster", "node", "metrics_path"]

    /// Creates rules.
    public init(cluster: String, staticLabels: LabelSet = LabelSet(), paths: [KubeletPath], relabeler: Relabeler? = nil)
    {
        self.cluster = cluster
        self.staticLabels = staticLabels
        self.paths = paths
        self.relabeler = (relabeler?.isEmpty ?? true) ? nil : relabeler
    }

    /// Rules from a cluster configuration (compiling `nodes.relabel_configs`).
    public init(config: ClusterConfig) throws(RelabelError) {
        let rules = config.nodes.relabelConfigs
        self.init(
            cluster: config.name,
            staticLabels: config.labels,
            paths: config.nodes.paths,
            relabeler: rules.isEmpty ? nil : try Relabeler(rules: rules)
        )
    }

    /// The targets of `node`: one per path, unless the rules drop it; refused (with the reason) when its name
    /// cannot be put in a proxy path.
    public func targets(for node: NodeInfo) -> PodTargets {
        var result = PodTargets()
        for path in paths {
            do throws(ProxyPath.Refusal) {
                _ = try ProxyPath.node(node.name, path: path.path)
            } catch {
                result.refused.append(refusal(node, error.reason))
                return result
            }
            var labels = staticLabels
            if let relabeler {
                var meta = metaLabels(node)
                for label in labels.labels { meta[label.name] = label.value }
                meta["__metrics_path__"] = path.path
                meta["__scheme__"] = "https"
                guard relabeler.process(&meta) else { continue }
                meta.removeMetaLabels()
                labels = meta
            }
            labels["cluster"] = cluster
            labels["node"] = node.name
            labels["metrics_path"] = path.path
            result.targets.append(
                ScrapeTarget(
                    key: TargetKey(cluster: cluster, node: node.name, path: path.path),
                    scheme: "https",
                    path: path.path,
                    labels: labels.labels
                )
            )
        }
        return result
    }

    /// Prometheus' `role: node` meta labels: `__meta_kubernetes_node_name`, `_label_*`, `_labelpresent_*`,
    /// `_annotation_*`, `_annotationpresent_*`, `_address_<type>` (the first of each type), and `__address__`
    /// (the preferred address and the kubelet port).
    public func metaLabels(_ node: NodeInfo) -> LabelSet {
        var labels = LabelSet()
        labels["__meta_kubernetes_node_name"] = node.name
        for (name, value) in node.labels {
            let sanitized = PodTargetRules.sanitize(name)
            labels["__meta_kubernetes_node_label_" + sanitized] = value
            labels["__meta_kubernetes_node_labelpresent_" + sanitized] = "true"
        }
        for (name, value) in node.annotations {
            let sanitized = PodTargetRules.sanitize(name)
            labels["__meta_kubernetes_node_annotation_" + sanitized] = value
            labels["__meta_kubernetes_node_annotationpresent_" + sanitized] = "true"
        }
        for address in node.addresses {
            let name = "__meta_kubernetes_node_address_" + address.type
            if labels[name] == nil { labels[name] = address.address }
        }
        if let address = node.preferredAddress {
            labels["__address__"] = PodTargetRules.hostPort(address, node.kubeletPort)
        }
        return labels
    }

    func refusal(_ node: NodeInfo, _ reason: String) -> RefusedPod {
        RefusedPod(cluster: cluster, namespace: "", pod: node.name, reason: "node: \(reason)")
    }
}
