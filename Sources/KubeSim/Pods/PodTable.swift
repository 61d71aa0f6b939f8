import Foundation

/// Server-side printing of pods as a `meta.k8s.io` Table, with the columns and cell values of Kubernetes'
/// pod printer (`pkg/printers/internalversion/printers.go`, `printPod`).
enum PodTable {
    /// `includeObject`.
    enum IncludeObject: String {
        case none = "None"
        case metadata = "Metadata"
        case object = "Object"
    }

    static let columnDefinitions: JSONValue = .array(
        [
            (
                "Name", "name", 0,
                "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
            ),
            ("Ready", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
            ("Status", "", 0, "The aggregate status of the containers in this pod."),
            (
                "Restarts", "", 0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
            ),
            (
                "Age", "", 0,
                "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
            ),
            (
                "IP", "", 1,
                "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
            ),
            (
                "Node", "", 1,
                "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
            ),
            (
                "Nominated Node", "", 1,
                "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node."
            ),
            (
                "Readiness Gates", "", 1,
                "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
            ),
        ].map { name, format, priority, description in
            JSONValue.object([
                ("name", .string(name)), ("type", "string"), ("format", .string(format)),
                ("description", .string(description)), ("priority", .int(priority)),
            ])
        }
    )

    /// The cells of one pod's row.
    static func cells(for pod: SimulatedPod, now: Date) -> [JSONValue] {
        var reason = pod.phase.rawValue
        var restarts = 0
        var readyContainers = 0
        var lastRestart: Date?
        var hasRunning = false
        for container in pod.containers.reversed() {
            restarts += container.restartCount
            if case .terminated(_, _, let finishedAt) = container.lastTermination, container.restartCount > 0 {
                if lastRestart.map({ finishedAt > $0 }) ?? true { lastRestart = finishedAt }
            }
            let state = pod.effectiveState(of: container)
            switch state {
            case .waiting(let waitingReason, _) where !waitingReason.isEmpty:
                reason = waitingReason
            case .terminated(let terminatedReason, let exitCode, _):
                reason = terminatedReason.isEmpty ? "ExitCode:\(exitCode)" : terminatedReason
            case .running:
                if pod.isReady(container) {
                    hasRunning = true
                    readyContainers += 1
                }
            default:
                break
            }
        }
        if reason == "Completed", hasRunning { reason = pod.ready ? "Running" : "NotReady" }
        if pod.deletionTimestamp != nil { reason = "Terminating" }
        var restartText = String(restarts)
        if restarts != 0, let lastRestart {
            restartText = "\(restarts) (\(HumanDuration.format(now.timeIntervalSince(lastRestart))) ago)"
        }
        return [
            .string(pod.name), .string("\(readyContainers)/\(pod.containers.count)"), .string(reason),
            .string(restartText), .string(HumanDuration.format(now.timeIntervalSince(pod.creationTimestamp))),
            .string(pod.podIP ?? "<none>"), .string(pod.nodeName ?? "<none>"),
            .string(pod.nominatedNodeName ?? "<none>"),
            .string("<none>"),
        ]
    }

    /// One row.
    static func row(for stored: StoredPod, include: IncludeObject, version: String, now: Date) -> JSONValue {
        var members: [(String, JSONValue)] = [("cells", .array(cells(for: stored.pod, now: now)))]
        switch include {
        case .none: break
        case .metadata:
            members.append(
                (
                    "object",
                    .object([
                        ("kind", "PartialObjectMetadata"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                        ("metadata", stored.pod.metadataJSON(resourceVersion: stored.resourceVersion)),
                    ])
                )
            )
        case .object:
            members.append(("object", .raw(stored.jsonWithTypeMeta)))
        }
        return .object(members)
    }

    /// A Table of `pods`.
    static func table(
        _ pods: [StoredPod],
        resourceVersion: Int,
        continueToken: String?,
        remainingItemCount: Int?,
        include: IncludeObject,
        version: String,
        now: Date = Date()
    ) -> JSONValue {
        var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(resourceVersion)))]
        if let continueToken { metadata.append(("continue", .string(continueToken))) }
        if let remainingItemCount { metadata.append(("remainingItemCount", .int(remainingItemCount))) }
        return .object([
            ("kind", "Table"), ("apiVersion", .string("meta.k8s.io/\(version)")), ("metadata", .object(metadata)),
            ("columnDefinitions", columnDefinitions),
            ("rows", .array(pods.map { row(for: $0, include: include, version: version, now: now) })),
        ])
    }
}

/// `duration.HumanDuration` from apimachinery: how kubectl's AGE column reads.
enum HumanDuration {
    static func format(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.down))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let rest = seconds % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = (hours / 24) % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
