/// An object as stored: the value, the resourceVersion of its last change, and its list-item JSON rendered once.
struct StoredResource<Object: SimulatedResource>: Sendable {
    var object: Object
    var resourceVersion: Int
    /// The JSON without `kind`/`apiVersion`.
    var json: [UInt8]

    init(_ object: Object, resourceVersion: Int, kind: ResourceKind<Object>) {
        self.object = object
        self.resourceVersion = resourceVersion
        self.json = kind.render(object, resourceVersion).encoded()
    }

    /// The same object as a re-stamped copy (the watch cache's DELETED for an object leaving a selection).
    func restamped(_ resourceVersion: Int, kind: ResourceKind<Object>) -> StoredResource {
        StoredResource(object, resourceVersion: resourceVersion, kind: kind)
    }

    /// The JSON with `kind`/`apiVersion` first (single-object and watch-event form).
    func jsonWithTypeMeta(_ kind: ResourceKind<Object>) -> [UInt8] {
        var bytes = Array(#"{"kind":""#.utf8)
        bytes.append(contentsOf: kind.kind.utf8)
        bytes.append(contentsOf: #"","apiVersion":""#.utf8)
        bytes.append(contentsOf: kind.apiVersion.utf8)
        bytes.append(contentsOf: #"","#.utf8)
        bytes.append(contentsOf: json.dropFirst())
        return bytes
    }
}
