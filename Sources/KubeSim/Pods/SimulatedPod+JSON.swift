import Foundation

extension SimulatedPod {
    /// The `v1.Pod` object. `typeMeta` adds `kind`/`apiVersion`, which watch events carry and list items do not.
    func json(resourceVersion: Int, typeMeta: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if typeMeta {
            members.append(("kind", "Pod"))
            members.append(("apiVersion", "v1"))
        }
        members.append(("metadata", metadataJSON(resourceVersion: resourceVersion)))
        members.append(("spec", specJSON()))
        members.append(("status", statusJSON()))
        return .object(members)
    }

    /// `metadata` (also used for `PartialObjectMetadata` rows of a Table).
    func metadataJSON(resourceVersion: Int) -> JSONValue {
        var metadata: [(String, JSONValue)] = [("name", .string(name))]
        if let owner, owner.kind == "ReplicaSet" || owner.kind == "DaemonSet" || owner.kind == "Job" {
            metadata.append(("generateName", .string(owner.name + "-")))
        }
        metadata.append(("namespace", .string(namespace)))
        metadata.append(("uid", .string(uid)))
        metadata.append(("resourceVersion", .string(String(resourceVersion))))
        metadata.append(("creationTimestamp", .string(RFC3339.format(creationTimestamp))))
        if let deletionTimestamp {
            metadata.append(("deletionTimestamp", .string(RFC3339.format(deletionTimestamp))))
            metadata.append(("deletionGracePeriodSeconds", 30))
        }
        if !labels.isEmpty { metadata.append(("labels", .sortedObject(labels))) }
        if !annotations.isEmpty { metadata.append(("annotations", .sortedObject(annotations))) }
        if let owner {
            metadata.append(
                (
                    "ownerReferences",
                    .array([
                        .object([
                            ("apiVersion", .string(owner.apiVersion)), ("kind", .string(owner.kind)),
                            ("name", .string(owner.name)),
                            ("uid", .string(SimulatedPod.stableUID(owner.kind + owner.name))),
                            ("controller", true), ("blockOwnerDeletion", true),
                        ])
                    ])
                )
            )
        }
        return .object(metadata)
    }

    private static func containerJSON(_ container: Container) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(container.name)), ("image", .string(container.image))]
        if !container.ports.isEmpty {
            members.append(
                (
                    "ports",
                    .array(
                        container.ports.map { port in
                            var fields: [(String, JSONValue)] = []
                            if let name = port.name { fields.append(("name", .string(name))) }
                            fields.append(("containerPort", .int(port.containerPort)))
                            fields.append(("protocol", .string(port.protocol)))
                            return .object(fields)
                        }
                    )
                )
            )
        }
        members.append(("resources", .object([])))
        if let restartPolicy = container.restartPolicy { members.append(("restartPolicy", .string(restartPolicy))) }
        members.append(("terminationMessagePath", "/dev/termination-log"))
        members.append(("terminationMessagePolicy", "File"))
        members.append(("imagePullPolicy", "IfNotPresent"))
        return .object(members)
    }

    private func specJSON() -> JSONValue {
        var spec: [(String, JSONValue)] = []
        if !initContainers.isEmpty {
            spec.append(("initContainers", .array(initContainers.map(SimulatedPod.containerJSON))))
        }
        spec.append(("containers", .array(containers.map(SimulatedPod.containerJSON))))
        spec.append(("restartPolicy", .string(restartPolicy)))
        spec.append(("terminationGracePeriodSeconds", 30))
        spec.append(("dnsPolicy", "ClusterFirst"))
        spec.append(("serviceAccountName", .string(serviceAccountName)))
        spec.append(("serviceAccount", .string(serviceAccountName)))
        if let nodeName { spec.append(("nodeName", .string(nodeName))) }
        if hostNetwork { spec.append(("hostNetwork", true)) }
        spec.append(("securityContext", .object([])))
        spec.append(("schedulerName", .string(schedulerName)))
        spec.append(
            (
                "tolerations",
                .array([
                    .object([
                        ("key", "node.kubernetes.io/not-ready"), ("operator", "Exists"), ("effect", "NoExecute"),
                        ("tolerationSeconds", 300),
                    ]),
                    .object([
                        ("key", "node.kubernetes.io/unreachable"), ("operator", "Exists"), ("effect", "NoExecute"),
                        ("tolerationSeconds", 300),
                    ]),
                ])
            )
        )
        spec.append(("priority", 0))
        spec.append(("enableServiceLinks", true))
        spec.append(("preemptionPolicy", "PreemptLowerPriority"))
        return .object(spec)
    }

    /// The state a container reports when the caller set none: derived from the phase.
    func effectiveState(of container: Container) -> ContainerState? {
        if let state = container.state { return state }
        switch phase {
        case .running: return .running(startedAt: creationTimestamp.addingTimeInterval(2))
        case .pending: return nodeName == nil ? nil : .waiting(reason: "ContainerCreating", message: nil)
        case .succeeded:
            return .terminated(reason: "Completed", exitCode: 0, finishedAt: creationTimestamp.addingTimeInterval(5))
        case .failed:
            return .terminated(reason: "Error", exitCode: 1, finishedAt: creationTimestamp.addingTimeInterval(5))
        case .unknown: return nil
        }
    }

    /// Whether a container reports `ready`.
    func isReady(_ container: Container) -> Bool {
        if let ready = container.ready { return ready }
        if case .running = effectiveState(of: container) { return ready }
        return false
    }

    private static func stateJSON(_ state: ContainerState?) -> JSONValue {
        switch state {
        case .none: return .object([])
        case .running(let startedAt):
            return .object([("running", .object([("startedAt", .string(RFC3339.format(startedAt)))]))])
        case .waiting(let reason, let message):
            var fields: [(String, JSONValue)] = [("reason", .string(reason))]
            if let message { fields.append(("message", .string(message))) }
            return .object([("waiting", .object(fields))])
        case .terminated(let reason, let exitCode, let finishedAt):
            return .object([
                (
                    "terminated",
                    .object([
                        ("exitCode", .int(exitCode)), ("reason", .string(reason)),
                        ("startedAt", .string(RFC3339.format(finishedAt.addingTimeInterval(-10)))),
                        ("finishedAt", .string(RFC3339.format(finishedAt))),
                        ("containerID", .string("containerd://" + SimulatedPod.stableUID(reason + "\(exitCode)"))),
                    ])
                )
            ])
        }
    }

    private func containerStatusJSON(_ container: Container) -> JSONValue {
        let state = effectiveState(of: container)
        var started = false
        if case .running = state { started = true }
        var members: [(String, JSONValue)] = [
            ("name", .string(container.name)), ("state", SimulatedPod.stateJSON(state)),
            ("lastState", SimulatedPod.stateJSON(container.lastTermination)), ("ready", .bool(isReady(container))),
            ("restartCount", .int(container.restartCount)), ("image", .string(container.image)),
            (
                "imageID",
                .string(
                    container.image + "@sha256:"
                        + SimulatedPod.stableUID(container.image).replacingOccurrences(of: "-", with: "")
                )
            ),
        ]
        if state != nil {
            members.append(("containerID", .string("containerd://" + SimulatedPod.stableUID(uid + container.name))))
        }
        members.append(("started", .bool(started)))
        return .object(members)
    }

    private func condition(_ type: String, _ status: Bool, reason: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string(type)), ("status", .string(status ? "True" : "False")), ("lastProbeTime", .null),
            ("lastTransitionTime", .string(RFC3339.format(creationTimestamp))),
        ]
        if let reason, !status { members.append(("reason", .string(reason))) }
        return .object(members)
    }

    private func statusJSON() -> JSONValue {
        var status: [(String, JSONValue)] = [("phase", .string(phase.rawValue))]
        let scheduled = nodeName != nil
        var conditions: [JSONValue] = []
        if scheduled {
            let containersReady = containers.allSatisfy { isReady($0) } && ready
            conditions.append(
                condition("PodReadyToStartContainers", phase == .running || phase == .pending && podIP != nil)
            )
            conditions.append(condition("Initialized", true))
            conditions.append(condition("Ready", ready && containersReady, reason: "ContainersNotReady"))
            conditions.append(condition("ContainersReady", containersReady, reason: "ContainersNotReady"))
            conditions.append(condition("PodScheduled", true))
        } else {
            conditions.append(condition("PodScheduled", false, reason: "Unschedulable"))
        }
        status.append(("conditions", .array(conditions)))
        if let hostIP, scheduled {
            status.append(("hostIP", .string(hostIP)))
            status.append(("hostIPs", .array([.object([("ip", .string(hostIP))])])))
        }
        if let podIP {
            status.append(("podIP", .string(podIP)))
            status.append(("podIPs", .array([.object([("ip", .string(podIP))])])))
        }
        if let nominatedNodeName { status.append(("nominatedNodeName", .string(nominatedNodeName))) }
        if scheduled { status.append(("startTime", .string(RFC3339.format(creationTimestamp)))) }
        if !initContainers.isEmpty, scheduled {
            status.append(("initContainerStatuses", .array(initContainers.map(containerStatusJSON))))
        }
        if scheduled { status.append(("containerStatuses", .array(containers.map(containerStatusJSON)))) }
        status.append(("qosClass", "BestEffort"))
        return .object(status)
    }

    /// A UUID-shaped string derived from `seed` (stable across runs, so owner UIDs agree between pods).
    static func stableUID(_ seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var second: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in seed.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            second = (second ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9e37_79b9
        }
        let hex = String(hash, radix: 16).leftPadded(16) + String(second, radix: 16).leftPadded(16)
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
