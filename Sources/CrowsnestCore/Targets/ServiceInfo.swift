/// The parts of a Kubernetes Service that decide whether the pods behind it are scraped, and its meta labels.
public struct ServiceInfo: Sendable, Hashable {
    /// One `spec.ports` entry.
    public struct Port: Sendable, Hashable {
        /// `name`.
        public var name: String
        /// `port`.
        public var port: Int
        /// `protocol` (`TCP` when unset).
        public var `protocol`: String

        /// Creates a port.
        public init(name: String = "", port: Int, protocol: String = "TCP") {
            self.name = name
            self.port = port
            self.protocol = `protocol`
        }
    }

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `spec.ports`.
    public var ports: [Port]
    /// `spec.type` (`ClusterIP` when unset).
    public var type: String
    /// `spec.clusterIP`.
    public var clusterIP: String

    /// Creates a Service.
    public init(
        namespace: String,
        name: String,
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        ports: [Port] = [],
        type: String = "ClusterIP",
        clusterIP: String = ""
    ) {
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.annotations = annotations
        self.ports = ports
        self.type = type
        self.clusterIP = clusterIP
    }

    /// `namespace/name`.
    public var key: String { namespace + "/" + name }

    /// Whether the Service asks to be scraped (`prometheus.io/scrape: "true"`).
    public var asksToBeScraped: Bool { annotations["prometheus.io/scrape"] == "true" }
}
