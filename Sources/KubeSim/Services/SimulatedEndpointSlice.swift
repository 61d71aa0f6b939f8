public import Foundation

/// A `discovery.k8s.io/v1` EndpointSlice as the simulator stores it.
///
/// The cluster's simulated EndpointSlice controller writes the slices of Services with a selector (labelled
/// `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`); tests may add hand-made ones
/// (endpoints without `targetRef`, another `targetRef` kind, `addressType: FQDN`, duplicates across slices)
/// through ``SimulatedCluster/endpointSlices``, which the controller leaves alone.
public struct SimulatedEndpointSlice: SimulatedResource, Equatable {
    /// `targetRef` of an endpoint.
    public struct ObjectReference: Sendable, Equatable {
        /// `kind` (`Pod` for the controller's endpoints).
        public var kind: String
        /// `namespace`.
        public var namespace: String
        /// `name`.
        public var name: String
        /// `uid`.
        public var uid: String

        /// Creates a reference.
        public init(kind: String = "Pod", namespace: String, name: String, uid: String = "") {
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.uid = uid
        }
    }

    /// One entry of `endpoints`.
    public struct Endpoint: Sendable, Equatable {
        /// `addresses`.
        public var addresses: [String]
        /// `conditions.ready` (nil: unknown, omitted).
        public var ready: Bool?
        /// `conditions.serving`.
        public var serving: Bool?
        /// `conditions.terminating`.
        public var terminating: Bool?
        /// `targetRef`.
        public var targetRef: ObjectReference?
        /// `nodeName`.
        public var nodeName: String?
        /// `zone`.
        public var zone: String?

        /// Creates an endpoint.
        public init(
            addresses: [String],
            ready: Bool? = true,
            serving: Bool? = true,
            terminating: Bool? = false,
            targetRef: ObjectReference? = nil,
            nodeName: String? = nil,
            zone: String? = nil
        ) {
            self.addresses = addresses
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
            self.targetRef = targetRef
            self.nodeName = nodeName
            self.zone = zone
        }
    }

    /// One entry of `ports`.
    public struct Port: Sendable, Hashable {
        /// `name` ("" when the Service port has none).
        public var name: String
        /// `port` (nil: every port).
        public var port: Int?
        /// `protocol`.
        public var `protocol`: String

        /// Creates a port.
        public init(name: String = "", port: Int?, protocol: String = "TCP") {
            self.name = name
            self.port = port
            self.protocol = `protocol`
        }
    }

    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The label naming who manages a slice.
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    /// The value of ``managedByLabel`` on the controller's slices.
    public static let controllerName = "endpointslice-controller.k8s.io"

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid` (derived when empty).
    public var uid: String
    /// `metadata.labels` (``serviceNameLabel`` ties the slice to its Service).
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `metadata.creationTimestamp`.
    public var creationTimestamp: Date
    /// `metadata.generateName`.
    public var generateName: String?
    /// The Service named in `metadata.ownerReferences` (with its uid), if any.
    public var owner: ObjectReference?
    /// `addressType`: `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String
    /// `endpoints`.
    public var endpoints: [Endpoint]
    /// `ports`.
    public var ports: [Port]

    /// Creates a slice.
    public init(
        namespace: String,
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: Date = Date(),
        generateName: String? = nil,
        owner: ObjectReference? = nil,
        addressType: String = "IPv4",
        endpoints: [Endpoint],
        ports: [Port]
    ) {
        self.namespace = namespace
        self.name = name
        self.uid = uid.isEmpty ? SimulatedPod.stableUID("endpointslice/" + namespace + "/" + name) : uid
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.generateName = generateName
        self.owner = owner
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The Service the slice belongs to (its ``serviceNameLabel``).
    public var serviceName: String? { labels[SimulatedEndpointSlice.serviceNameLabel] }
}
