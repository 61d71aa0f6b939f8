import Foundation

/// How the API server serves one resource type: its names, its JSON, its field selectors and its Table.
struct ResourceKind<Object: SimulatedResource>: Sendable {
    /// `kind` of one object (`Node`).
    var kind: String
    /// `apiVersion` (`v1`, `discovery.k8s.io/v1`).
    var apiVersion: String
    /// The plural resource name (`nodes`).
    var resource: String
    /// Whether objects live in namespaces.
    var namespaced: Bool
    /// The field paths field selectors may use (`metadata.name`, …).
    var fieldLabels: Set<String>
    /// The object JSON without `kind`/`apiVersion` (list-item form).
    var render: @Sendable (Object, Int) -> JSONValue
    /// `metadata` alone (PartialObjectMetadata).
    var metadata: @Sendable (Object, Int) -> JSONValue
    /// The values field selectors compare.
    var fieldValues: @Sendable (Object) -> [String: String]
    /// The Table's column definitions.
    var columns: JSONValue
    /// One Table row's cells.
    var cells: @Sendable (Object, Date) -> [JSONValue]
    /// Checks an object before it is stored (name syntax and such); nil = valid.
    var validate: @Sendable (Object) -> String?

    /// `kind` of a list (`NodeList`).
    var listKind: String { kind + "List" }
}
