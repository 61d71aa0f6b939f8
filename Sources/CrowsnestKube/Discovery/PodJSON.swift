import CrowsnestCore

/// The parts of a pod object (list item or watch event object) that discovery reads. Lenient: every field but
/// the ones a target needs may be missing, and list items carry no `kind`/`apiVersion`.
struct PodJSON: Decodable, Sendable {
    struct OwnerReference: Decodable, Sendable {
        var kind: String?
        var name: String?
        var controller: Bool?
    }

    struct Metadata: Decodable, Sendable {
        var name: String?
        var namespace: String?
        var uid: String?
        var resourceVersion: String?
        var labels: [String: String]?
        var annotations: [String: String]?
        var deletionTimestamp: String?
        var ownerReferences: [OwnerReference]?
    }

    struct Port: Decodable, Sendable {
        var name: String?
        var containerPort: Int?
        var `protocol`: String?
    }

    struct Container: Decodable, Sendable {
        var name: String?
        var image: String?
        var ports: [Port]?
        var restartPolicy: String?
    }

    struct Spec: Decodable, Sendable {
        var nodeName: String?
        var containers: [Container]?
        var initContainers: [Container]?
    }

    struct Condition: Decodable, Sendable {
        var type: String?
        var status: String?
    }

    struct Status: Decodable, Sendable {
        var phase: String?
        var podIP: String?
        var hostIP: String?
        var conditions: [Condition]?
    }

    var metadata: Metadata?
    var spec: Spec?
    var status: Status?

    /// The pod as the target rules see it; nil without a name and namespace.
    var podInfo: PodInfo? {
        guard let metadata, let name = metadata.name, let namespace = metadata.namespace else { return nil }
        let controller = metadata.ownerReferences?.first { $0.controller == true }
        func containers(_ list: [Container]?, isInit: Bool) -> [PodInfo.Container] {
            (list ?? []).map { container in
                PodInfo.Container(
                    name: container.name ?? "",
                    image: container.image ?? "",
                    ports: (container.ports ?? []).compactMap { port in
                        port.containerPort.map {
                            PodInfo.Port(name: port.name ?? "", number: $0, protocol: port.protocol ?? "TCP")
                        }
                    },
                    isInit: isInit,
                    restartPolicy: container.restartPolicy
                )
            }
        }
        let readyCondition = status?.conditions?.first { $0.type == "Ready" }
        return PodInfo(
            namespace: namespace,
            name: name,
            uid: metadata.uid ?? "",
            labels: metadata.labels ?? [:],
            annotations: metadata.annotations ?? [:],
            isTerminating: metadata.deletionTimestamp != nil,
            controllerKind: controller?.kind,
            controllerName: controller?.name,
            nodeName: spec?.nodeName ?? "",
            containers: containers(spec?.containers, isInit: false) + containers(spec?.initContainers, isInit: true),
            phase: status?.phase ?? "",
            podIP: status?.podIP ?? "",
            hostIP: status?.hostIP ?? "",
            ready: readyCondition.map { $0.status == "True" }
        )
    }
}

/// `PodList`.
typealias PodListJSON = ResourceListJSON<PodJSON>

/// A `Status` object (errors).
struct StatusJSON: Decodable, Sendable {
    struct Details: Decodable, Sendable { var retryAfterSeconds: Int? }
    var kind: String?
    var message: String?
    var reason: String?
    var code: Int?
    var details: Details?
}

/// One watch event of pods.
typealias PodWatchEvent = ResourceWatchEvent<PodJSON>

/// One watch `ERROR` event.
struct StatusWatchEvent: Decodable, Sendable {
    var type: String
    var object: StatusJSON
}
