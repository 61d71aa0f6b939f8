/// An object a ``ResourceStore`` can keep: a Kubernetes object with a name, an optional namespace and labels.
///
/// The rendering (JSON, Table rows, field values) lives in the store's ``ResourceKind``, so this protocol stays
/// small and public.
public protocol SimulatedResource: Sendable {
    /// `metadata.namespace` ("" for a cluster-scoped object such as a Node).
    var namespace: String { get }
    /// `metadata.name`.
    var name: String { get }
    /// `metadata.labels`.
    var labels: [String: String] { get }
}

extension SimulatedResource {
    /// The store key: `namespace/name`, or `name` for a cluster-scoped object (etcd's order either way).
    public var key: String { namespace.isEmpty ? name : namespace + "/" + name }
}
