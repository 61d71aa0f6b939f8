public import Foundation

/// A Service as the simulator stores it: selector, ports (with numeric or named target ports), cluster IP,
/// labels and annotations (`prometheus.io/scrape`, …).
///
/// The cluster's simulated EndpointSlice controller keeps the Service's EndpointSlices consistent with its pods;
/// a Service without a selector gets none (put hand-made slices in ``SimulatedCluster/endpointSlices``).
public struct SimulatedService: SimulatedResource, Equatable {
    /// `spec.ports[].targetPort`: a number or the name of a container port.
    public enum TargetPort: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
        /// A port number.
        case number(Int)
        /// A container port name, resolved per pod.
        case name(String)

        /// A numeric target port.
        public init(integerLiteral value: Int) { self = .number(value) }
        /// A named target port.
        public init(stringLiteral value: String) { self = .name(value) }
    }

    /// One entry of `spec.ports`.
    public struct Port: Sendable, Equatable {
        /// `name` (required when there are several ports).
        public var name: String?
        /// `port`.
        public var port: Int
        /// `targetPort` (defaults to `port`).
        public var targetPort: TargetPort
        /// `protocol`.
        public var `protocol`: String
        /// `nodePort` (NodePort and LoadBalancer Services).
        public var nodePort: Int?

        /// Creates a port.
        public init(
            name: String? = nil,
            port: Int,
            targetPort: TargetPort? = nil,
            protocol: String = "TCP",
            nodePort: Int? = nil
        ) {
            self.name = name
            self.port = port
            self.targetPort = targetPort ?? .number(port)
            self.protocol = `protocol`
            self.nodePort = nodePort
        }
    }

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid` (derived from namespace and name when empty).
    public var uid: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `metadata.creationTimestamp`.
    public var creationTimestamp: Date
    /// `spec.selector`; nil = a Service without selector (no managed EndpointSlices).
    public var selector: [String: String]?
    /// `spec.ports`.
    public var ports: [Port]
    /// `spec.clusterIP` (`None` for a headless Service).
    public var clusterIP: String
    /// `spec.type` (`ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`).
    public var type: String

    /// Creates a Service; without `clusterIP` it gets one derived from its name in `10.96.0.0/12`.
    public init(
        namespace: String,
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: Date = Date(),
        selector: [String: String]?,
        ports: [Port],
        clusterIP: String? = nil,
        type: String = "ClusterIP"
    ) {
        self.namespace = namespace
        self.name = name
        self.uid = uid.isEmpty ? SimulatedPod.stableUID("service/" + namespace + "/" + name) : uid
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.selector = selector
        self.ports = ports
        let hash = StableHash.fnv1a(namespace + "/" + name)
        self.clusterIP = clusterIP ?? "10.96.\(hash % 250).\((hash / 250) % 250 + 2)"
        self.type = type
    }

    /// Whether the Service is headless (`clusterIP: None`).
    public var isHeadless: Bool { clusterIP == "None" }
}
