import Foundation

extension SimulatedEndpointSlice {
    /// How the API server serves `endpointslices.discovery.k8s.io`: v1 JSON (no spec/status: `addressType`,
    /// `endpoints`, `ports` at the top), the field selectors slices support, and the printer's Table
    /// (`NAME ADDRESSTYPE PORTS ENDPOINTS AGE`).
    static let resourceKind = ResourceKind<SimulatedEndpointSlice>(
        kind: "EndpointSlice",
        apiVersion: "discovery.k8s.io/v1",
        resource: "endpointslices",
        namespaced: true,
        fieldLabels: ["metadata.name", "metadata.namespace", "addressType"],
        render: { slice, resourceVersion in slice.json(resourceVersion: resourceVersion) },
        metadata: { slice, resourceVersion in slice.metadataJSON(resourceVersion: resourceVersion) },
        fieldValues: { slice in
            ["metadata.name": slice.name, "metadata.namespace": slice.namespace, "addressType": slice.addressType]
        },
        columns: ResourceEventEncoder<SimulatedEndpointSlice>.columns([
            ("Name", "name", 0, "Name must be unique within a namespace."),
            ("AddressType", "", 0, "The IP protocol for this slice"),
            ("Ports", "", 0, "The ports of the endpoints in this slice"),
            ("Endpoints", "", 0, "The endpoints in this slice"),
            (
                "Age", "", 0,
                "CreationTimestamp is a timestamp representing the server time when this object was created."
            ),
        ]),
        cells: { slice, now in slice.cells(now: now) },
        validate: { slice in
            guard LabelValidation.isDNSSubdomain(Substring(slice.name)) else {
                return "invalid endpointslice name \"\(slice.name)\": must be a lowercase RFC 1123 subdomain"
            }
            guard LabelValidation.isDNSSubdomain(Substring(slice.namespace)), !slice.namespace.contains(".") else {
                return "invalid namespace \"\(slice.namespace)\": must be a lowercase RFC 1123 label"
            }
            guard ["IPv4", "IPv6", "FQDN"].contains(slice.addressType) else {
                return "invalid addressType \"\(slice.addressType)\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""
            }
            guard slice.endpoints.count <= 1000 else { return "must have at most 1000 endpoints" }
            return nil
        }
    )

    /// The `discovery.k8s.io/v1` EndpointSlice without `kind`/`apiVersion`.
    func json(resourceVersion: Int) -> JSONValue {
        let endpointsJSON: JSONValue =
            endpoints.isEmpty
            ? .null
            : .array(
                endpoints.map { endpoint in
                    var fields: [(String, JSONValue)] = [("addresses", .array(endpoint.addresses.map { .string($0) }))]
                    var conditions: [(String, JSONValue)] = []
                    if let ready = endpoint.ready { conditions.append(("ready", .bool(ready))) }
                    if let serving = endpoint.serving { conditions.append(("serving", .bool(serving))) }
                    if let terminating = endpoint.terminating { conditions.append(("terminating", .bool(terminating))) }
                    fields.append(("conditions", .object(conditions)))
                    if let reference = endpoint.targetRef {
                        fields.append(
                            (
                                "targetRef",
                                .object([
                                    ("kind", .string(reference.kind)), ("namespace", .string(reference.namespace)),
                                    ("name", .string(reference.name)), ("uid", .string(reference.uid)),
                                ])
                            )
                        )
                    }
                    if let nodeName = endpoint.nodeName { fields.append(("nodeName", .string(nodeName))) }
                    if let zone = endpoint.zone { fields.append(("zone", .string(zone))) }
                    return .object(fields)
                }
            )
        let portsJSON: JSONValue =
            ports.isEmpty
            ? .null
            : .array(
                ports.map { port in
                    var fields: [(String, JSONValue)] = [("name", .string(port.name))]
                    fields.append(("protocol", .string(port.protocol)))
                    if let number = port.port { fields.append(("port", .int(number))) }
                    return .object(fields)
                }
            )
        return .object([
            ("metadata", metadataJSON(resourceVersion: resourceVersion)), ("addressType", .string(addressType)),
            ("endpoints", endpointsJSON), ("ports", portsJSON),
        ])
    }

    /// `metadata`.
    func metadataJSON(resourceVersion: Int) -> JSONValue {
        var metadata: [(String, JSONValue)] = [("name", .string(name))]
        if let generateName { metadata.append(("generateName", .string(generateName))) }
        metadata.append(contentsOf: [
            ("namespace", .string(namespace)), ("uid", .string(uid)),
            ("resourceVersion", .string(String(resourceVersion))), ("generation", 1),
            ("creationTimestamp", .string(RFC3339.format(creationTimestamp))),
        ])
        if !labels.isEmpty { metadata.append(("labels", .sortedObject(labels))) }
        if !annotations.isEmpty { metadata.append(("annotations", .sortedObject(annotations))) }
        if let owner {
            metadata.append(
                (
                    "ownerReferences",
                    .array([
                        .object([
                            ("apiVersion", "v1"), ("kind", .string(owner.kind)), ("name", .string(owner.name)),
                            ("uid", .string(owner.uid)), ("controller", true), ("blockOwnerDeletion", true),
                        ])
                    ])
                )
            )
        }
        return .object(metadata)
    }

    /// The printer's cells (`printEndpointSlice`): ports as `9102,8080`, at most three endpoints then `+ N more...`.
    func cells(now: Date) -> [JSONValue] {
        let portText =
            ports.isEmpty ? "<unset>" : ports.map { $0.port.map(String.init) ?? "<unset>" }.joined(separator: ",")
        let addresses = endpoints.flatMap(\.addresses)
        var endpointText = addresses.prefix(3).joined(separator: ",")
        if addresses.count > 3 { endpointText += " + \(addresses.count - 3) more..." }
        if addresses.isEmpty { endpointText = "<none>" }
        return [
            .string(name), .string(addressType), .string(portText), .string(endpointText),
            .string(HumanDuration.format(now.timeIntervalSince(creationTimestamp))),
        ]
    }
}
