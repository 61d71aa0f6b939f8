import CrowsnestCore

/// The parts of a `discovery.k8s.io/v1` EndpointSlice that discovery reads.
struct EndpointSliceJSON: Decodable, Sendable {
    struct Port: Decodable, Sendable {
        var name: String?
        var port: Int?
        var `protocol`: String?
        var appProtocol: String?
    }

    struct Conditions: Decodable, Sendable {
        var ready: Bool?
        var serving: Bool?
        var terminating: Bool?
    }

    struct Reference: Decodable, Sendable {
        var kind: String?
        var name: String?
        var namespace: String?
    }

    struct Endpoint: Decodable, Sendable {
        var addresses: [String]?
        var conditions: Conditions?
        var targetRef: Reference?
        var nodeName: String?
        var hostname: String?
        var zone: String?
    }

    var metadata: ObjectMetaJSON?
    var addressType: String?
    var ports: [Port]?
    var endpoints: [Endpoint]?

    /// The slice as the target rules see it; nil without a name and namespace.
    var sliceInfo: EndpointSliceInfo? {
        guard let metadata, let name = metadata.name, let namespace = metadata.namespace else { return nil }
        return EndpointSliceInfo(
            namespace: namespace,
            name: name,
            labels: metadata.labels ?? [:],
            annotations: metadata.annotations ?? [:],
            addressType: addressType ?? "",
            ports: (ports ?? []).map {
                EndpointSliceInfo.Port(
                    name: $0.name ?? "",
                    port: $0.port,
                    protocol: $0.protocol ?? "TCP",
                    appProtocol: $0.appProtocol
                )
            },
            endpoints: (endpoints ?? []).map { endpoint in
                EndpointSliceInfo.Endpoint(
                    addresses: endpoint.addresses ?? [],
                    ready: endpoint.conditions?.ready,
                    serving: endpoint.conditions?.serving,
                    terminating: endpoint.conditions?.terminating,
                    targetRef: endpoint.targetRef.map {
                        EndpointSliceInfo.Reference(
                            kind: $0.kind ?? "",
                            name: $0.name ?? "",
                            namespace: $0.namespace ?? ""
                        )
                    },
                    nodeName: endpoint.nodeName,
                    hostname: endpoint.hostname,
                    zone: endpoint.zone
                )
            }
        )
    }
}
