/// A list response (`PodList`, `NodeList`, `ServiceList`, `EndpointSliceList`): the items and where the list stands.
struct ResourceListJSON<Item: Decodable & Sendable>: Decodable, Sendable {
    var metadata: ListMetaJSON?
    var items: [Item]?
}

/// A list's `metadata`: where the list stands, and where its next page starts.
struct ListMetaJSON: Decodable, Sendable {
    var resourceVersion: String?
    var `continue`: String?
}

/// One watch event (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`) of one resource.
struct ResourceWatchEvent<Item: Decodable & Sendable>: Decodable, Sendable {
    var type: String
    var object: Item
}

/// The object metadata discovery reads from every resource.
struct ObjectMetaJSON: Decodable, Sendable {
    var name: String?
    var namespace: String?
    var uid: String?
    var resourceVersion: String?
    var labels: [String: String]?
    var annotations: [String: String]?
}
