import Foundation

/// Renders a resource's watch events, Tables and PartialObjectMetadata for one request's representation.
struct ResourceEventEncoder<Object: SimulatedResource> {
    var kind: ResourceKind<Object>
    var representation: ResponseRepresentation
    var include: PodTable.IncludeObject

    /// `{"type":"ADDED","object":{…}}\n`
    func event(_ type: WatchEventType, _ object: StoredResource<Object>) -> [UInt8] {
        var bytes = Array(#"{"type":""#.utf8)
        bytes.append(contentsOf: type.rawValue.utf8)
        bytes.append(contentsOf: #"","object":"#.utf8)
        switch representation {
        case .object:
            bytes.append(contentsOf: object.jsonWithTypeMeta(kind))
        case .table(let version):
            table([object], metadata: [("resourceVersion", .string(String(object.resourceVersion)))], version: version)
                .encode(into: &bytes)
        case .partialMetadata(let version):
            partialMetadata(object, version: version).encode(into: &bytes)
        }
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    /// A BOOKMARK event carrying only `metadata.resourceVersion`.
    func bookmark(resourceVersion: Int, initialEventsEnd: Bool) -> [UInt8] {
        var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(resourceVersion)))]
        if initialEventsEnd { metadata.append(("annotations", .object([("k8s.io/initial-events-end", "true")]))) }
        var bytes = Array(#"{"type":"BOOKMARK","object":"#.utf8)
        JSONValue.object([
            ("kind", .string(kind.kind)), ("apiVersion", .string(kind.apiVersion)), ("metadata", .object(metadata)),
        ]).encode(into: &bytes)
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    /// A `PartialObjectMetadata`.
    func partialMetadata(_ stored: StoredResource<Object>, version: String) -> JSONValue {
        .object([
            ("kind", "PartialObjectMetadata"), ("apiVersion", .string("meta.k8s.io/\(version)")),
            ("metadata", kind.metadata(stored.object, stored.resourceVersion)),
        ])
    }

    /// A `meta.k8s.io` Table of `items` with the resource's printer columns.
    func table(_ items: [StoredResource<Object>], metadata: [(String, JSONValue)], version: String) -> JSONValue {
        let now = Date()
        let rows = items.map { stored -> JSONValue in
            var members: [(String, JSONValue)] = [("cells", .array(kind.cells(stored.object, now)))]
            switch include {
            case .none: break
            case .metadata: members.append(("object", partialMetadata(stored, version: version)))
            case .object: members.append(("object", .raw(stored.jsonWithTypeMeta(kind))))
            }
            return .object(members)
        }
        return .object([
            ("kind", "Table"), ("apiVersion", .string("meta.k8s.io/\(version)")), ("metadata", .object(metadata)),
            ("columnDefinitions", kind.columns), ("rows", .array(rows)),
        ])
    }

    /// Column definitions from `(name, format, priority, description)`.
    static func columns(_ definitions: [(String, String, Int, String)]) -> JSONValue {
        .array(
            definitions.map { name, format, priority, description in
                JSONValue.object([
                    ("name", .string(name)), ("type", "string"), ("format", .string(format)),
                    ("description", .string(description)), ("priority", .int(priority)),
                ])
            }
        )
    }
}
