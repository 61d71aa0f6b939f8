public import Foundation

/// A pod as the simulator stores it: the fields clients read (SPEC §4, KUBE-API "Pod fields for targets") plus
/// the backends its ports are served by.
///
/// Mutate a copy and hand it back through ``PodStore/update(namespace:name:_:)``: each change produces a
/// `MODIFIED` event with a new `resourceVersion`, as in a cluster.
public struct SimulatedPod: Sendable {
    /// `status.phase`.
    public enum Phase: String, Sendable, CaseIterable {
        case pending = "Pending"
        case running = "Running"
        case succeeded = "Succeeded"
        case failed = "Failed"
        case unknown = "Unknown"
    }

    /// A declared container port.
    public struct ContainerPort: Sendable, Equatable {
        /// `name` (optional, like `metrics`).
        public var name: String?
        /// `containerPort`.
        public var containerPort: Int
        /// `protocol` (`TCP`, `UDP`, `SCTP`).
        public var `protocol`: String

        /// Creates a port.
        public init(name: String? = nil, containerPort: Int, protocol: String = "TCP") {
            self.name = name
            self.containerPort = containerPort
            self.protocol = `protocol`
        }
    }

    /// The state a container status reports.
    public enum ContainerState: Sendable, Equatable {
        /// `running` since the given date.
        case running(startedAt: Date)
        /// `waiting` with a reason such as `ContainerCreating` or `CrashLoopBackOff`.
        case waiting(reason: String, message: String?)
        /// `terminated` with a reason (`Completed`, `Error`, `OOMKilled`) and exit code.
        case terminated(reason: String, exitCode: Int, finishedAt: Date)
    }

    /// A container (or an init container).
    public struct Container: Sendable, Equatable {
        /// `name`.
        public var name: String
        /// `image`.
        public var image: String
        /// `ports`.
        public var ports: [ContainerPort]
        /// `restartPolicy` (init containers only; `Always` makes a native sidecar).
        public var restartPolicy: String?
        /// The container's current state (status).
        public var state: ContainerState?
        /// The last termination (status `lastState.terminated`), for restarted containers.
        public var lastTermination: ContainerState?
        /// `restartCount` (status).
        public var restartCount: Int
        /// `ready` (status); nil = follow the pod's ``SimulatedPod/ready``.
        public var ready: Bool?

        /// Creates a container.
        public init(
            name: String,
            image: String = "registry.example/app:1.0",
            ports: [ContainerPort] = [],
            restartPolicy: String? = nil,
            state: ContainerState? = nil,
            lastTermination: ContainerState? = nil,
            restartCount: Int = 0,
            ready: Bool? = nil
        ) {
            self.name = name
            self.image = image
            self.ports = ports
            self.restartPolicy = restartPolicy
            self.state = state
            self.lastTermination = lastTermination
            self.restartCount = restartCount
            self.ready = ready
        }
    }

    /// The controller that owns the pod (`metadata.ownerReferences[controller=true]`).
    public struct Owner: Sendable, Equatable {
        /// `kind` (`ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`).
        public var kind: String
        /// `name`.
        public var name: String
        /// `apiVersion`.
        public var apiVersion: String

        /// Creates an owner reference.
        public init(kind: String, name: String, apiVersion: String = "apps/v1") {
            self.kind = kind
            self.name = name
            self.apiVersion = apiVersion
        }
    }

    /// `metadata.namespace`.
    public var namespace: String
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid` (generated when empty).
    public var uid: String
    /// `metadata.labels`.
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `metadata.creationTimestamp`.
    public var creationTimestamp: Date
    /// `metadata.deletionTimestamp`: set, the pod is terminating (it still says `Running`).
    public var deletionTimestamp: Date?
    /// The controlling owner.
    public var owner: Owner?
    /// `spec.nodeName`.
    public var nodeName: String?
    /// `spec.containers`.
    public var containers: [Container]
    /// `spec.initContainers`.
    public var initContainers: [Container]
    /// `spec.restartPolicy`.
    public var restartPolicy: String
    /// `spec.schedulerName`.
    public var schedulerName: String
    /// `spec.serviceAccountName`.
    public var serviceAccountName: String
    /// `spec.hostNetwork`.
    public var hostNetwork: Bool
    /// `status.phase`.
    public var phase: Phase
    /// `status.podIP` (and `podIPs[0]`); nil = not assigned yet, so the proxy answers 400.
    public var podIP: String?
    /// `status.hostIP`.
    public var hostIP: String?
    /// `status.nominatedNodeName`.
    public var nominatedNodeName: String?
    /// Whether the `Ready` condition is `True`.
    public var ready: Bool
    /// What serves each port number through the pod proxy (not part of the Kubernetes object).
    public var backends: [Int: PodBackend]

    /// Creates a pod. A `Running` pod's containers default to `running` and its IP should be set by the caller
    /// (``PodStore/allocatePodIP()`` hands out unique ones).
    public init(
        namespace: String,
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: Date = Date(),
        deletionTimestamp: Date? = nil,
        owner: Owner? = nil,
        nodeName: String? = "node-1",
        containers: [Container] = [Container(name: "app")],
        initContainers: [Container] = [],
        restartPolicy: String = "Always",
        schedulerName: String = "default-scheduler",
        serviceAccountName: String = "default",
        hostNetwork: Bool = false,
        phase: Phase = .running,
        podIP: String? = nil,
        hostIP: String? = "10.0.0.10",
        nominatedNodeName: String? = nil,
        ready: Bool = true,
        backends: [Int: PodBackend] = [:]
    ) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.owner = owner
        self.nodeName = nodeName
        self.containers = containers
        self.initContainers = initContainers
        self.restartPolicy = restartPolicy
        self.schedulerName = schedulerName
        self.serviceAccountName = serviceAccountName
        self.hostNetwork = hostNetwork
        self.phase = phase
        self.podIP = podIP
        self.hostIP = hostIP
        self.nominatedNodeName = nominatedNodeName
        self.ready = ready
        self.backends = backends
    }

    /// `namespace/name`, the store key (and etcd's order).
    public var key: String { namespace + "/" + name }

    /// The values field selectors compare against.
    var fieldValues: [String: String] {
        [
            "metadata.name": name,
            "metadata.namespace": namespace,
            "spec.nodeName": nodeName ?? "",
            "spec.restartPolicy": restartPolicy,
            "spec.schedulerName": schedulerName,
            "spec.serviceAccountName": serviceAccountName,
            "spec.hostNetwork": hostNetwork ? "true" : "false",
            "status.phase": phase.rawValue,
            "status.podIP": podIP ?? "",
            "status.nominatedNodeName": nominatedNodeName ?? "",
        ]
    }

    /// The first port of the first container that declares ports (the proxy's default).
    var defaultPort: Int? {
        containers.first { !$0.ports.isEmpty }?.ports.first?.containerPort
    }

    /// Makes the pod crash-loop: its first container waits in `CrashLoopBackOff` after `restarts` restarts,
    /// the pod stays `Running` but not ready, and nothing answers on its ports.
    public mutating func crashLoop(restarts: Int = 5, now: Date = Date()) {
        guard !containers.isEmpty else { return }
        containers[0].state = .waiting(
            reason: "CrashLoopBackOff",
            message: "back-off 2m40s restarting failed container=\(containers[0].name) pod=\(name)"
        )
        containers[0].lastTermination = .terminated(
            reason: "Error",
            exitCode: 1,
            finishedAt: now.addingTimeInterval(-20)
        )
        containers[0].restartCount = restarts
        containers[0].ready = false
        ready = false
        phase = .running
        backends = [:]
    }
}
