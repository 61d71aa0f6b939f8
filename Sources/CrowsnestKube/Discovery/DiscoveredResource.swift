import CrowsnestCore

/// A kind of object discovery lists and watches: pods always; nodes when `nodes:` enables a kubelet endpoint;
/// Services and EndpointSlices with `services: true`.
public enum DiscoveredResource: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `v1` pods.
    case pods
    /// `v1` nodes (cluster-scoped).
    case nodes
    /// `v1` Services.
    case services
    /// `discovery.k8s.io/v1` EndpointSlices.
    case endpointSlices = "endpointslices"

    /// Whether objects live in namespaces (nodes do not).
    public var isNamespaced: Bool { self != .nodes }

    /// The collection path, cluster-wide (`namespace` empty) or in one namespace.
    public func path(namespace: String) -> String {
        let prefix = self == .endpointSlices ? "/apis/discovery.k8s.io/v1" : "/api/v1"
        guard isNamespaced, !namespace.isEmpty else { return "\(prefix)/\(rawValue)" }
        return "\(prefix)/namespaces/\(ProxyPath.encode(namespace))/\(rawValue)"
    }

    /// The name used in messages ("cannot list EndpointSlices").
    public var noun: String {
        switch self {
        case .pods: "pods"
        case .nodes: "nodes"
        case .services: "Services"
        case .endpointSlices: "EndpointSlices"
        }
    }

    /// Orders as declared: pods, nodes, Services, EndpointSlices.
    public static func < (lhs: DiscoveredResource, rhs: DiscoveredResource) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One list+watch: a resource, cluster-wide (`namespace` empty) or in one namespace.
public struct DiscoveryScopeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The resource.
    public var resource: DiscoveredResource
    /// The namespace; empty for all (and for nodes).
    public var namespace: String

    /// Creates a scope.
    public init(_ resource: DiscoveredResource, namespace: String = "") {
        self.resource = resource
        self.namespace = namespace
    }

    /// Orders by resource, then namespace.
    public static func < (lhs: DiscoveryScopeID, rhs: DiscoveryScopeID) -> Bool {
        (lhs.resource, lhs.namespace) < (rhs.resource, rhs.namespace)
    }

    /// `pods`, or `pods in NAMESPACE`.
    public var description: String { namespace.isEmpty ? resource.noun : "\(resource.noun) in \(namespace)" }
}
