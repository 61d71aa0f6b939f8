import Foundation

extension SimulatedNode {
    /// How the API server serves `nodes`: `v1.Node` JSON, the field selectors nodes support and the node printer's
    /// Table (`NAME STATUS ROLES AGE VERSION`, wide: `INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
    /// CONTAINER-RUNTIME`).
    static let resourceKind = ResourceKind<SimulatedNode>(
        kind: "Node",
        apiVersion: "v1",
        resource: "nodes",
        namespaced: false,
        fieldLabels: ["metadata.name", "spec.unschedulable"],
        render: { node, resourceVersion in node.json(resourceVersion: resourceVersion) },
        metadata: { node, resourceVersion in node.metadataJSON(resourceVersion: resourceVersion) },
        fieldValues: { node in
            ["metadata.name": node.name, "spec.unschedulable": node.unschedulable ? "true" : "false"]
        },
        columns: ResourceEventEncoder<SimulatedNode>.columns([
            ("Name", "name", 0, "Name must be unique within a namespace."),
            ("Status", "", 0, "The status of the node"),
            ("Roles", "", 0, "The roles of the node"),
            (
                "Age", "", 0,
                "CreationTimestamp is a timestamp representing the server time when this object was created."
            ),
            ("Version", "", 0, "Kubelet Version reported by the node."),
            ("Internal-IP", "", 1, "List of addresses reachable to the node."),
            ("External-IP", "", 1, "List of addresses reachable to the node."),
            (
                "OS-Image", "", 1,
                "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
            ),
            (
                "Kernel-Version", "", 1,
                "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
            ),
            (
                "Container-Runtime", "", 1,
                "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
            ),
        ]),
        cells: { node, now in node.cells(now: now) },
        validate: { node in
            guard LabelValidation.isDNSSubdomain(Substring(node.name)) else {
                return "invalid node name \"\(node.name)\": must be a lowercase RFC 1123 subdomain"
            }
            guard node.kubeletPort > 0, node.kubeletPort < 65536 else {
                return "invalid kubelet port \(node.kubeletPort)"
            }
            return nil
        }
    )

    /// The `v1.Node` object without `kind`/`apiVersion`.
    func json(resourceVersion: Int) -> JSONValue {
        .object([
            ("metadata", metadataJSON(resourceVersion: resourceVersion)), ("spec", specJSON()),
            ("status", statusJSON()),
        ])
    }

    /// `metadata`.
    func metadataJSON(resourceVersion: Int) -> JSONValue {
        var metadata: [(String, JSONValue)] = [
            ("name", .string(name)), ("uid", .string(uid)), ("resourceVersion", .string(String(resourceVersion))),
            ("creationTimestamp", .string(RFC3339.format(creationTimestamp))),
        ]
        if !labels.isEmpty { metadata.append(("labels", .sortedObject(labels))) }
        var allAnnotations = [
            "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        ]
        allAnnotations.merge(annotations) { _, given in given }
        metadata.append(("annotations", .sortedObject(allAnnotations)))
        return .object(metadata)
    }

    private func specJSON() -> JSONValue {
        var spec: [(String, JSONValue)] = []
        if let podCIDR {
            spec.append(("podCIDR", .string(podCIDR)))
            spec.append(("podCIDRs", .array([.string(podCIDR)])))
        }
        if let providerID { spec.append(("providerID", .string(providerID))) }
        var taints: [JSONValue] = []
        let since = RFC3339.format(creationTimestamp)
        switch readiness {
        case .ready: break
        case .notReady:
            taints.append(
                .object([
                    ("key", "node.kubernetes.io/not-ready"), ("effect", "NoSchedule"), ("timeAdded", .string(since)),
                ])
            )
        case .unknown:
            taints.append(
                .object([
                    ("key", "node.kubernetes.io/unreachable"), ("effect", "NoSchedule"), ("timeAdded", .string(since)),
                ])
            )
        }
        if unschedulable {
            spec.append(("unschedulable", true))
            taints.append(
                .object([
                    ("key", "node.kubernetes.io/unschedulable"), ("effect", "NoSchedule"),
                    ("timeAdded", .string(since)),
                ])
            )
        }
        if !taints.isEmpty { spec.append(("taints", .array(taints))) }
        return .object(spec)
    }

    private func statusJSON() -> JSONValue {
        let since = RFC3339.format(creationTimestamp)
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            .object([
                ("type", .string(type)), ("status", .string(status)), ("lastHeartbeatTime", .string(since)),
                ("lastTransitionTime", .string(since)), ("reason", .string(reason)), ("message", .string(message)),
            ])
        }
        var conditions: [JSONValue] = []
        if readiness == .unknown {
            for type in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"] {
                conditions.append(
                    condition(type, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
                )
            }
        } else {
            conditions.append(
                condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available"
                )
            )
            conditions.append(
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure")
            )
            conditions.append(
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available")
            )
            conditions.append(
                readiness == .ready
                    ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                    : condition(
                        "Ready",
                        "False",
                        "KubeletNotReady",
                        "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
                    )
            )
        }
        let memoryKi = memoryBytes / 1024
        let capacity: JSONValue = .object([
            ("cpu", .string(String(cpuCores))), ("ephemeral-storage", "101430960Ki"), ("hugepages-1Gi", "0"),
            ("hugepages-2Mi", "0"), ("memory", .string("\(memoryKi)Ki")), ("pods", .string(String(maxPods))),
        ])
        let allocatable: JSONValue = .object([
            ("cpu", .string("\(cpuCores * 1000 - 100)m")), ("ephemeral-storage", "93478772582"), ("hugepages-1Gi", "0"),
            ("hugepages-2Mi", "0"), ("memory", .string("\(max(memoryKi - 1_048_576, memoryKi / 2))Ki")),
            ("pods", .string(String(maxPods))),
        ])
        let hash = StableHash.fnv1a(name)
        return .object([
            ("capacity", capacity), ("allocatable", allocatable), ("conditions", .array(conditions)),
            (
                "addresses",
                .array(addresses.map { .object([("type", .string($0.type)), ("address", .string($0.address))]) })
            ),
            ("daemonEndpoints", .object([("kubeletEndpoint", .object([("Port", .int(kubeletPort))]))])),
            (
                "nodeInfo",
                .object([
                    ("machineID", .string(String(format: "%016llx%016llx", hash, ~hash))),
                    ("systemUUID", .string(SimulatedPod.stableUID("system/" + name))),
                    ("bootID", .string(SimulatedPod.stableUID("boot/" + name))),
                    ("kernelVersion", .string(nodeInfo.kernelVersion)), ("osImage", .string(nodeInfo.osImage)),
                    ("containerRuntimeVersion", .string(nodeInfo.containerRuntimeVersion)),
                    ("kubeletVersion", .string(nodeInfo.kubeletVersion)),
                    ("kubeProxyVersion", .string(nodeInfo.kubeletVersion)),
                    ("operatingSystem", .string(nodeInfo.operatingSystem)),
                    ("architecture", .string(nodeInfo.architecture)),
                ])
            ),
        ])
    }

    /// The node printer's cells (`printNode`).
    func cells(now: Date) -> [JSONValue] {
        var status: String
        switch readiness {
        case .ready: status = "Ready"
        case .notReady: status = "NotReady"
        case .unknown: status = "Unknown"
        }
        if unschedulable { status += ",SchedulingDisabled" }
        let roles = self.roles
        func address(_ type: String) -> String { addresses.first { $0.type == type }?.address ?? "<none>" }
        return [
            .string(name), .string(status), .string(roles.isEmpty ? "<none>" : roles.joined(separator: ",")),
            .string(HumanDuration.format(now.timeIntervalSince(creationTimestamp))),
            .string(nodeInfo.kubeletVersion), .string(address("InternalIP")), .string(address("ExternalIP")),
            .string(nodeInfo.osImage), .string(nodeInfo.kernelVersion), .string(nodeInfo.containerRuntimeVersion),
        ]
    }
}
