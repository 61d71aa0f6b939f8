public import Foundation

/// A Node as the simulator stores it: the fields clients read (labels, addresses, the kubelet port in
/// `status.daemonEndpoints`, the `Ready` condition, `nodeInfo`) plus the ``SimulatedKubelet`` the node proxy
/// reaches.
///
/// Mutate a copy through ``ResourceStore/update(_:namespace:_:)`` (`cluster.nodes.update("node-1") { … }`): each
/// change is a `MODIFIED` event with a new `resourceVersion`.
public struct SimulatedNode: SimulatedResource {
    /// One entry of `status.addresses`.
    public struct Address: Sendable, Equatable {
        /// `type`: `InternalIP`, `ExternalIP`, `Hostname`, `InternalDNS`, `ExternalDNS`.
        public var type: String
        /// `address`.
        public var address: String

        /// Creates an address.
        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }

        /// An `InternalIP` address.
        public static func internalIP(_ address: String) -> Address { Address(type: "InternalIP", address: address) }
        /// An `ExternalIP` address.
        public static func externalIP(_ address: String) -> Address { Address(type: "ExternalIP", address: address) }
        /// A `Hostname` address.
        public static func hostname(_ address: String) -> Address { Address(type: "Hostname", address: address) }
    }

    /// The status of the `Ready` condition.
    public enum Readiness: String, Sendable, CaseIterable {
        /// `True`: the kubelet posts ready status.
        case ready = "True"
        /// `False`: the kubelet reports it is not ready (`KubeletNotReady`).
        case notReady = "False"
        /// `Unknown`: the node controller stopped hearing from the kubelet (`NodeStatusUnknown`).
        case unknown = "Unknown"
    }

    /// `status.nodeInfo`.
    public struct NodeInfo: Sendable, Equatable {
        /// `kubeletVersion` (`v1.31.4`), what `kubectl get nodes` prints as VERSION.
        public var kubeletVersion: String
        /// `osImage`.
        public var osImage: String
        /// `kernelVersion`.
        public var kernelVersion: String
        /// `containerRuntimeVersion`.
        public var containerRuntimeVersion: String
        /// `architecture`.
        public var architecture: String
        /// `operatingSystem`.
        public var operatingSystem: String

        /// Creates node info (defaults: a Debian 12 node with containerd, Kubernetes 1.31).
        public init(
            kubeletVersion: String = "v1.31.4",
            osImage: String = "Debian GNU/Linux 12 (bookworm)",
            kernelVersion: String = "6.1.0-28-cloud-amd64",
            containerRuntimeVersion: String = "containerd://1.7.24",
            architecture: String = "amd64",
            operatingSystem: String = "linux"
        ) {
            self.kubeletVersion = kubeletVersion
            self.osImage = osImage
            self.kernelVersion = kernelVersion
            self.containerRuntimeVersion = containerRuntimeVersion
            self.architecture = architecture
            self.operatingSystem = operatingSystem
        }
    }

    /// Always "": nodes are cluster-scoped.
    public var namespace: String { "" }
    /// `metadata.name`.
    public var name: String
    /// `metadata.uid` (derived from the name when empty).
    public var uid: String
    /// `metadata.labels` (the standard `kubernetes.io/hostname`, `kubernetes.io/os`, … are added by the
    /// initializer unless given).
    public var labels: [String: String]
    /// `metadata.annotations`.
    public var annotations: [String: String]
    /// `metadata.creationTimestamp`.
    public var creationTimestamp: Date
    /// `status.addresses`, in order (clients pick by type preference).
    public var addresses: [Address]
    /// `status.daemonEndpoints.kubeletEndpoint.Port`.
    public var kubeletPort: Int
    /// The `Ready` condition's status.
    public var readiness: Readiness
    /// `spec.unschedulable` (cordoned: `SchedulingDisabled`).
    public var unschedulable: Bool
    /// `spec.podCIDR`.
    public var podCIDR: String?
    /// `spec.providerID`.
    public var providerID: String?
    /// `status.capacity.cpu` in cores (allocatable is a little less).
    public var cpuCores: Int
    /// `status.capacity.memory` in bytes.
    public var memoryBytes: Int
    /// `status.capacity.pods`.
    public var maxPods: Int
    /// `status.nodeInfo`.
    public var nodeInfo: NodeInfo
    /// The kubelet the node proxy reaches (not part of the Kubernetes object; shared by copies of this value).
    public var kubelet: SimulatedKubelet

    /// Creates a node. Without `addresses` it gets an `InternalIP` derived from its name and a `Hostname`; pass
    /// `[]` for a node without addresses.
    public init(
        name: String,
        uid: String = "",
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: Date = Date(),
        addresses: [Address]? = nil,
        kubeletPort: Int = 10250,
        readiness: Readiness = .ready,
        unschedulable: Bool = false,
        podCIDR: String? = nil,
        providerID: String? = nil,
        cpuCores: Int = 4,
        memoryBytes: Int = 16 << 30,
        maxPods: Int = 110,
        nodeInfo: NodeInfo = NodeInfo(),
        kubelet: SimulatedKubelet? = nil
    ) {
        self.name = name
        self.uid = uid.isEmpty ? SimulatedPod.stableUID("node/" + name) : uid
        self.labels = SimulatedNode.standardLabels(name: name, nodeInfo: nodeInfo).merging(labels) { _, given in given }
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        let hash = StableHash.fnv1a(name)
        self.addresses =
            addresses ?? [.internalIP("10.0.\(hash % 250).\((hash / 250) % 250 + 2)"), .hostname(name)]
        self.kubeletPort = kubeletPort
        self.readiness = readiness
        self.unschedulable = unschedulable
        self.podCIDR = podCIDR
        self.providerID = providerID
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.maxPods = maxPods
        self.nodeInfo = nodeInfo
        self.kubelet = kubelet ?? SimulatedKubelet(seed: hash)
    }

    /// The labels the kubelet sets on its own node.
    public static func standardLabels(name: String, nodeInfo: NodeInfo = NodeInfo()) -> [String: String] {
        [
            "beta.kubernetes.io/arch": nodeInfo.architecture, "beta.kubernetes.io/os": nodeInfo.operatingSystem,
            "kubernetes.io/arch": nodeInfo.architecture, "kubernetes.io/hostname": name,
            "kubernetes.io/os": nodeInfo.operatingSystem,
        ]
    }

    /// The address the API server dials for the node proxy: the first `InternalIP`, else `ExternalIP`, else
    /// `Hostname` (`--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname`, as kubeadm and most
    /// managed clusters set it); nil for a node without addresses.
    public var preferredAddress: String? {
        for type in ["InternalIP", "ExternalIP", "Hostname"] {
            if let found = addresses.first(where: { $0.type == type }) { return found.address }
        }
        return nil
    }

    /// The roles `kubectl get nodes` shows (from `node-role.kubernetes.io/ROLE` labels).
    var roles: [String] {
        labels.keys.compactMap { key -> String? in
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                return role.isEmpty ? nil : role
            }
            if key == "kubernetes.io/role", let value = labels[key], !value.isEmpty { return value }
            return nil
        }
        .sorted()
    }
}
