import CrowsnestCore

/// The parts of a node object that discovery reads. Lenient: everything but the name may be missing.
struct NodeJSON: Decodable, Sendable {
    struct Address: Decodable, Sendable {
        var type: String?
        var address: String?
    }

    struct DaemonEndpoint: Decodable, Sendable {
        // The API's field is capitalised: `status.daemonEndpoints.kubeletEndpoint.Port`.
        var port: Int?

        enum CodingKeys: String, CodingKey { case port = "Port" }
    }

    struct DaemonEndpoints: Decodable, Sendable {
        var kubeletEndpoint: DaemonEndpoint?
    }

    struct Condition: Decodable, Sendable {
        var type: String?
        var status: String?
    }

    struct Status: Decodable, Sendable {
        var addresses: [Address]?
        var daemonEndpoints: DaemonEndpoints?
        var conditions: [Condition]?
    }

    var metadata: ObjectMetaJSON?
    var status: Status?

    /// The node as the target rules see it; nil without a name.
    var nodeInfo: NodeInfo? {
        guard let metadata, let name = metadata.name else { return nil }
        let ready = status?.conditions?.first { $0.type == "Ready" }
        return NodeInfo(
            name: name,
            uid: metadata.uid ?? "",
            labels: metadata.labels ?? [:],
            annotations: metadata.annotations ?? [:],
            addresses: (status?.addresses ?? []).compactMap { address in
                guard let type = address.type, let value = address.address else { return nil }
                return NodeInfo.Address(type: type, address: value)
            },
            kubeletPort: status?.daemonEndpoints?.kubeletEndpoint?.port ?? 0,
            ready: ready.map { $0.status == "True" }
        )
    }
}
