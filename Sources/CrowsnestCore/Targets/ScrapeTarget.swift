/// Identifies one scrape target: a pod port, or a kubelet endpoint of a node, in a cluster.
///
/// Ordered by cluster, role, namespace, pod (or node), port (or kubelet path).
public struct TargetKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The cluster name (the `cluster` label).
    public var cluster: String
    /// What the target is scraped through: a pod's proxy or a node's.
    public var role: TargetRole
    /// The pod's namespace; empty for a node target.
    public var namespace: String
    /// The pod's name, or the node's name for a node target.
    public var pod: String
    /// The port (name or number) the target scrapes, or the kubelet path (`/metrics/cadvisor`) for a node target.
    public var port: String

    /// Creates a pod target's key.
    public init(cluster: String, namespace: String, pod: String, port: String) {
        self.cluster = cluster
        self.role = .pod
        self.namespace = namespace
        self.pod = pod
        self.port = port
    }

    /// Creates a node target's key: the node and the kubelet path.
    public init(cluster: String, node: String, path: String) {
        self.cluster = cluster
        self.role = .node
        self.namespace = ""
        self.pod = node
        self.port = path
    }

    /// The node's name, for a node target.
    public var node: String? { role == .node ? pod : nil }

    /// Orders by cluster, role, namespace, pod, then port.
    public static func < (lhs: TargetKey, rhs: TargetKey) -> Bool {
        (lhs.cluster, lhs.role.rawValue, lhs.namespace, lhs.pod, lhs.port)
            < (rhs.cluster, rhs.role.rawValue, rhs.namespace, rhs.pod, rhs.port)
    }

    /// The text shown in messages and logs: `cluster/namespace/pod:port` or `cluster/node/NAME/metrics/cadvisor`.
    public var description: String {
        switch role {
        case .pod: "\(cluster)/\(namespace)/\(pod):\(port)"
        case .node: "\(cluster)/node/\(pod)\(port)"
        }
    }

    /// A stable 64-bit hash (FNV-1a over the fields), the same in every process and release: the basis of
    /// `--shard INDEX/COUNT`.
    ///
    /// A pod target hashes its four fields; a node target also the word `node`, so it never collides with a pod.
    public var stableHash: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let fields = role == .pod ? [cluster, namespace, pod, port] : [cluster, "node", pod, port]
        for field in fields {
            for byte in field.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Whether this target belongs to shard `index` of `count` (`count <= 1`: every target does), by the jump
    /// consistent hash of ``ShardSpec``.
    public func belongs(toShard index: Int, of count: Int) -> Bool {
        count <= 1 || ShardSpec.jumpHash(stableHash, buckets: count) == index
    }
}

/// What a target is scraped through.
public enum TargetRole: String, Sendable, Hashable, CaseIterable {
    /// A pod port, through `/api/v1/namespaces/{ns}/pods/{scheme}:{pod}:{port}/proxy{path}` (pods chosen by their
    /// own annotations or ports, and pods behind annotated Services).
    case pod
    /// A kubelet endpoint, through `/api/v1/nodes/{node}/proxy{path}`.
    case node
}

/// Everything needed to scrape one pod port through its cluster's API server.
public struct ScrapeTarget: Sendable, Hashable {
    /// The identity.
    public var key: TargetKey
    /// The pod-side scheme, `http` or `https`.
    public var scheme: String
    /// The path on the pod (absolute, checked by ``ProxyPath``).
    public var path: String
    /// Query parameters (`__param_*` from relabeling), in order.
    public var parameters: [Label]
    /// The labels every sample of this target gets: `cluster`, `namespace`, `pod_name`, `port` when a pod has
    /// several targets, static cluster labels, relabeling results (a node target: `cluster`, `node`,
    /// `metrics_path`).
    public var labels: [Label]

    /// Creates a target.
    public init(
        key: TargetKey,
        scheme: String = "http",
        path: String = "/metrics",
        parameters: [Label] = [],
        labels: [Label]
    ) {
        self.key = key
        self.scheme = scheme
        self.path = path
        self.parameters = parameters
        self.labels = labels
    }
}

/// A pod (or one of its ports) that yields no target, and why (shown on the health page).
public struct RefusedPod: Sendable, Hashable {
    /// Why a candidate is not scraped.
    public enum Kind: String, Sendable, Hashable {
        /// Something about the pod is unusable (an unsafe path, a bad scheme, no port).
        case refused
        /// Its final labels equal another target's: scraping both would emit the same series twice, so only the
        /// first (by namespace, pod, port) is scraped, as Prometheus drops duplicate targets.
        case duplicate
    }

    /// The cluster.
    public var cluster: String
    /// The namespace.
    public var namespace: String
    /// The pod.
    public var pod: String
    /// Plain-words reason, such as an unsafe metrics path.
    public var reason: String
    /// Refused or a duplicate.
    public var kind: Kind

    /// Creates a refusal.
    public init(cluster: String, namespace: String, pod: String, reason: String, kind: Kind = .refused) {
        self.cluster = cluster
        self.namespace = namespace
        self.pod = pod
        self.reason = reason
        self.kind = kind
    }
}
