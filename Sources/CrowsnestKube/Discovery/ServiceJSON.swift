import CrowsnestCore

/// The parts of a Service object that discovery reads.
struct ServiceJSON: Decodable, Sendable {
    struct Port: Decodable, Sendable {
        var name: String?
        var port: Int?
        var `protocol`: String?
    }

    struct Spec: Decodable, Sendable {
        var ports: [Port]?
        var type: String?
        var clusterIP: String?
    }

    var metadata: ObjectMetaJSON?
    var spec: Spec?

    /// The Service as the target rules see it; nil without a name and namespace.
    var serviceInfo: ServiceInfo? {
        guard let metadata, let name = metadata.name, let namespace = metadata.namespace else { return nil }
        return ServiceInfo(
            namespace: namespace,
            name: name,
            labels: metadata.labels ?? [:],
            annotations: metadata.annotations ?? [:],
            ports: (spec?.ports ?? []).compactMap { port in
                port.port.map { ServiceInfo.Port(name: port.name ?? "", port: $0, protocol: port.protocol ?? "TCP") }
            },
            type: spec?.type ?? "ClusterIP",
            clusterIP: spec?.clusterIP ?? ""
        )
    }
}
