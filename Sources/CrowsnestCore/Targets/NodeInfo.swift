/// The parts of a Kubernetes node that decide its targets and their `role: node` meta labels (decoded by the kube
/// layer from the API's JSON).
public struct NodeInfo: Sendable, Hashable {
    /// One `status.addresses` entry.
    public struct Address: Sendable, Hashable {
        /// `type`: `InternalIP`, `ExternalIP`, `Hostname`, `InternalDNS`, `ExternalDNS`.
        public var type: String
        /// `address`.
        public var address: String

        /// Creates an address.
        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    /// `metadata.name`.
    public var name: String
    /// `metadata.uid`.
    public var uid: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `status.addresses`, in order.
    public var addresses: [Address]
    /// `status.daemonEndpoints.kubeletEndpoint.Port` (0 when not reported).
    public var kubeletPort: Int
    /// The `Ready` condition: `true`, `false` or nil (unknown).
    public var ready: Bool?

    /// Creates a node.
    public init(
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        addresses: [Address] = [],
        kubeletPort: Int = 10250,
        ready: Bool? = true
    ) {
        self.name = name
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.addresses = addresses
        self.kubeletPort = kubeletPort
        self.ready = ready
    }

    /// The address Prometheus' `role: node` puts in `__address__`: the first of InternalIP, InternalDNS, ExternalIP,
    /// ExternalDNS, Hostname (its `NodeAddress` order); nil without one.
    public var preferredAddress: String? {
        for type in ["InternalIP", "InternalDNS", "ExternalIP", "ExternalDNS", "Hostname"] {
            if let address = addresses.first(where: { $0.type == type && !$0.address.isEmpty }) {
                return address.address
            }
        }
        return nil
    }
}
