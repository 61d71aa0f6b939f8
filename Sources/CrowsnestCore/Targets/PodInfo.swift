/// The parts of a Kubernetes pod that decide its scrape targets (decoded by the kube layer from the API's JSON).
public struct PodInfo: Sendable, Hashable {
    /// One declared container port.
    public struct Port: Sendable, Hashable {
        /// `name` (empty when unnamed).
        public var name: String
        /// `containerPort`.
        public var number: Int
        /// `protocol` (`TCP` when unset).
        public var `protocol`: String

        /// Creates a port.
        public init(name: String = "", number: Int, protocol: String = "TCP") {
            self.name = name
            self.number = number
            self.protocol = `protocol`
        }
    }

    /// One container (or init container).
    public struct Container: Sendable, Hashable {
        /// `name`.
        public var name: String
        /// `image`.
        public var image: String
        /// `ports`.
        public var ports: [Port]
        /// Whether it is an init container.
        public var isInit: Bool
        /// `restartPolicy` (`Always` marks a sidecar init container).
        public var restartPolicy: String?

        /// Creates a container.
        public init(
            name: String,
            image: String = "",
            ports: [Port] = [],
            isInit: Bool = false,
            restartPolicy: String? = nil
        ) {
            self.name = name
            self.image = image
            self.ports = ports
            self.isInit = isInit
            self.restartPolicy = restartPolicy
        }

        /// Whether it runs alongside the main containers: a regular container, or a sidecar init container.
        public var runsWithPod: Bool { !isInit || restartPolicy == "Always" }
    }

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid`.
    public var uid: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// Whether `metadata.deletionTimestamp` is set (the pod is terminating).
    public var isTerminating: Bool
    /// The controlling owner's kind and name (`ownerReferences[controller=true]`).
    public var controllerKind: String?
    /// The controlling owner's name.
    public var controllerName: String?
    /// `spec.nodeName`.
    public var nodeName: String
    /// `spec.containers` followed by `spec.initContainers`.
    public var containers: [Container]
    /// `status.phase`.
    public var phase: String
    /// `status.podIP` (empty when not assigned).
    public var podIP: String
    /// `status.hostIP`.
    public var hostIP: String
    /// The `Ready` condition: `true`, `false` or nil (unknown).
    public var ready: Bool?

    /// Creates a pod.
    public init(
        namespace: String,
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        isTerminating: Bool = false,
        controllerKind: String? = nil,
        controllerName: String? = nil,
        nodeName: String = "",
        containers: [Container] = [],
        phase: String = "Running",
        podIP: String = "",
        hostIP: String = "",
        ready: Bool? = nil
    ) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.isTerminating = isTerminating
        self.controllerKind = controllerKind
        self.controllerName = controllerName
        self.nodeName = nodeName
        self.containers = containers
        self.phase = phase
        self.podIP = podIP
        self.hostIP = hostIP
        self.ready = ready
    }

    /// `namespace/name`.
    public var key: String { namespace + "/" + name }
}
