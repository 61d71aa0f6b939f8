/// The parts of a `discovery.k8s.io/v1` EndpointSlice that decide the targets behind a Service.
public struct EndpointSliceInfo: Sendable, Hashable {
    /// One `ports` entry.
    public struct Port: Sendable, Hashable {
        /// `name` (empty when unnamed).
        public var name: String
        /// `port` (nil: all ports, which a scrape cannot use).
        public var port: Int?
        /// `protocol` (`TCP` when unset).
        public var `protocol`: String
        /// `appProtocol`.
        public var appProtocol: String?

        /// Creates a port.
        public init(name: String = "", port: Int?, protocol: String = "TCP", appProtocol: String? = nil) {
            self.name = name
            self.port = port
            self.protocol = `protocol`
            self.appProtocol = appProtocol
        }
    }

    /// The object an endpoint points at (`targetRef`).
    public struct Reference: Sendable, Hashable {
        /// `kind` (`Pod` for the endpoints Crowsnest scrapes).
        public var kind: String
        /// `name`.
        public var name: String
        /// `namespace` (the slice's when unset).
        public var namespace: String

        /// Creates a reference.
        public init(kind: String, name: String, namespace: String) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }
    }

    /// One `endpoints` entry.
    public struct Endpoint: Sendable, Hashable {
        /// `addresses`.
        public var addresses: [String]
        /// `conditions.ready`; nil = unknown, which consumers read as ready (the API's documented meaning).
        public var ready: Bool?
        /// `conditions.serving`.
        public var serving: Bool?
        /// `conditions.terminating`.
        public var terminating: Bool?
        /// `targetRef`.
        public var targetRef: Reference?
        /// `nodeName`.
        public var nodeName: String?
        /// `hostname`.
        public var hostname: String?
        /// `zone`.
        public var zone: String?

        /// Creates an endpoint.
        public init(
            addresses: [String],
            ready: Bool? = true,
            serving: Bool? = nil,
            terminating: Bool? = nil,
            targetRef: Reference? = nil,
            nodeName: String? = nil,
            hostname: String? = nil,
            zone: String? = nil
        ) {
            self.addresses = addresses
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
            self.targetRef = targetRef
            self.nodeName = nodeName
            self.hostname = hostname
            self.zone = zone
        }

        /// Whether traffic may be sent to it: `ready` true or unknown.
        public var isReady: Bool { ready ?? true }
    }

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `addressType`: `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String
    /// `ports`.
    public var ports: [Port]
    /// `endpoints`.
    public var endpoints: [Endpoint]

    /// Creates a slice.
    public init(
        namespace: String,
        name: String,
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        addressType: String = "IPv4",
        ports: [Port] = [],
        endpoints: [Endpoint] = []
    ) {
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.annotations = annotations
        self.addressType = addressType
        self.ports = ports
        self.endpoints = endpoints
    }

    /// `namespace/name`.
    public var key: String { namespace + "/" + name }

    /// The Service it belongs to (`kubernetes.io/service-name`), as `namespace/name`; nil when unlabelled.
    public var serviceKey: String? {
        labels["kubernetes.io/service-name"].map { namespace + "/" + $0 }
    }
}
