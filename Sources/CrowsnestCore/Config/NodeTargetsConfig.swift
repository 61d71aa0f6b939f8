/// The `nodes:` block: which kubelet endpoints of which nodes are scraped, through the API server's node proxy
/// (`/api/v1/nodes/{node}/proxy{path}`).
///
/// Everything is off by default: reading a node's kubelet needs `nodes/proxy`, a permission that reaches every
/// kubelet API on the node, so a cluster file asks for it explicitly.
public struct NodeTargetsConfig: Sendable, Hashable {
    /// The kubelet endpoints scraped on each selected node, in path order.
    public var paths: [KubeletPath]
    /// Which nodes (`label_selector`), passed to the API as `labelSelector`.
    public var labelSelector: LabelSelector
    /// `relabel_configs` for node targets, over Prometheus' `role: node` meta labels.
    ///
    /// Node targets have their own rules: the cluster's `relabel_configs` are written against pod meta labels, and a
    /// `keep` rule there would otherwise drop every node.
    public var relabelConfigs: [RelabelRule]

    /// Creates a configuration; the default scrapes no node.
    public init(
        paths: [KubeletPath] = [],
        labelSelector: LabelSelector = LabelSelector(),
        relabelConfigs: [RelabelRule] = []
    ) {
        self.paths = paths.sorted { $0.rawValue < $1.rawValue }
        self.labelSelector = labelSelector
        self.relabelConfigs = relabelConfigs
    }

    /// Whether any node target is configured (and nodes are listed and watched at all).
    public var isEnabled: Bool { !paths.isEmpty }
}

/// One kubelet metrics endpoint, by the key that enables it in `nodes:`.
public enum KubeletPath: String, Sendable, Hashable, CaseIterable {
    /// `kubelet: true`: the kubelet's own metrics.
    case kubelet
    /// `cadvisor: true`: container CPU, memory, filesystem and network usage.
    case cadvisor
    /// `resource: true`: the resource metrics the metrics-server reads.
    case resource
    /// `probes: true`: liveness, readiness and startup probe results.
    case probes

    /// The path on the kubelet, also the `metrics_path` label's value (as kube-prometheus labels it).
    public var path: String {
        switch self {
        case .kubelet: "/metrics"
        case .cadvisor: "/metrics/cadvisor"
        case .resource: "/metrics/resource"
        case .probes: "/metrics/probes"
        }
    }
}
