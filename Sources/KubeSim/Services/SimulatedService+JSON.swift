import Foundation

extension SimulatedService {
    /// How the API server serves `services`: `v1.Service` JSON, their field selectors and the service printer's
    /// Table (`NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE`, wide: `SELECTOR`).
    static let resourceKind = ResourceKind<SimulatedService>(
        kind: "Service",
        apiVersion: "v1",
        resource: "services",
        namespaced: true,
        fieldLabels: ["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"],
        render: { service, resourceVersion in service.json(resourceVersion: resourceVersion) },
        metadata: { service, resourceVersion in service.metadataJSON(resourceVersion: resourceVersion) },
        fieldValues: { service in
            [
                "metadata.name": service.name, "metadata.namespace": service.namespace,
                "spec.clusterIP": service.clusterIP, "spec.type": service.type,
            ]
        },
        columns: ResourceEventEncoder<SimulatedService>.columns([
            ("Name", "name", 0, "Name must be unique within a namespace."),
            ("Type", "", 0, "The type of service."),
            ("Cluster-IP", "", 0, "The internal IP address of the service."),
            ("External-IP", "", 0, "The external IP addresses of the service."),
            ("Port(s)", "", 0, "The ports of the service."),
            (
                "Age", "", 0,
                "CreationTimestamp is a timestamp representing the server time when this object was created."
            ),
            ("Selector", "", 1, "Route service traffic to pods with label keys and values matching this selector."),
        ]),
        cells: { service, now in service.cells(now: now) },
        validate: { service in
            guard LabelValidation.isDNSSubdomain(Substring(service.name)), service.name.utf8.count <= 63,
                !service.name.contains(".")
            else {
                return "invalid service name \"\(service.name)\": must be a lowercase RFC 1035 label"
            }
            guard LabelValidation.isDNSSubdomain(Substring(service.namespace)), !service.namespace.contains(".") else {
                return "invalid namespace \"\(service.namespace)\": must be a lowercase RFC 1123 label"
            }
            for port in service.ports where port.port < 1 || port.port > 65535 {
                return "invalid port \(port.port) of service \"\(service.name)\""
            }
            return nil
        }
    )

    /// The `v1.Service` object without `kind`/`apiVersion`.
    func json(resourceVersion: Int) -> JSONValue {
        var spec: [(String, JSONValue)] = [
            (
                "ports",
                .array(
                    ports.map { port in
                        var fields: [(String, JSONValue)] = []
                        if let name = port.name { fields.append(("name", .string(name))) }
                        fields.append(("protocol", .string(port.protocol)))
                        fields.append(("port", .int(port.port)))
                        switch port.targetPort {
                        case .number(let number): fields.append(("targetPort", .int(number)))
                        case .name(let name): fields.append(("targetPort", .string(name)))
                        }
                        if let nodePort = port.nodePort { fields.append(("nodePort", .int(nodePort))) }
                        return .object(fields)
                    }
                )
            )
        ]
        if let selector { spec.append(("selector", .sortedObject(selector))) }
        spec.append(("clusterIP", .string(clusterIP)))
        spec.append(("clusterIPs", .array([.string(clusterIP)])))
        spec.append(("type", .string(type)))
        spec.append(("sessionAffinity", "None"))
        spec.append(("ipFamilies", .array(["IPv4"])))
        spec.append(("ipFamilyPolicy", "SingleStack"))
        spec.append(("internalTrafficPolicy", "Cluster"))
        return .object([
            ("metadata", metadataJSON(resourceVersion: resourceVersion)), ("spec", .object(spec)),
            ("status", .object([("loadBalancer", .object([]))])),
        ])
    }

    /// `metadata`.
    func metadataJSON(resourceVersion: Int) -> JSONValue {
        var metadata: [(String, JSONValue)] = [
            ("name", .string(name)), ("namespace", .string(namespace)), ("uid", .string(uid)),
            ("resourceVersion", .string(String(resourceVersion))),
            ("creationTimestamp", .string(RFC3339.format(creationTimestamp))),
        ]
        if !labels.isEmpty { metadata.append(("labels", .sortedObject(labels))) }
        if !annotations.isEmpty { metadata.append(("annotations", .sortedObject(annotations))) }
        return .object(metadata)
    }

    /// The service printer's cells (`printService`).
    func cells(now: Date) -> [JSONValue] {
        let portText =
            ports.isEmpty
            ? "<none>"
            : ports.map { port in
                (port.nodePort.map { "\(port.port):\($0)" } ?? String(port.port)) + "/" + port.protocol
            }
            .joined(separator: ",")
        let selectorText =
            selector.map { selector in
                selector.isEmpty
                    ? "<none>" : selector.keys.sorted().map { "\($0)=\(selector[$0]!)" }.joined(separator: ",")
            } ?? "<none>"
        return [
            .string(name), .string(type), .string(clusterIP), .string(type == "LoadBalancer" ? "<pending>" : "<none>"),
            .string(portText), .string(HumanDuration.format(now.timeIntervalSince(creationTimestamp))),
            .string(selectorText),
        ]
    }
}
