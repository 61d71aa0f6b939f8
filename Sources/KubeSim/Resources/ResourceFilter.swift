/// What a list or watch of a resource selects.
struct ResourceFilter: Sendable {
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything

    /// Whether no selector restricts the result (the namespace is not a selector).
    var hasNoSelectors: Bool { labels.isEmpty && fields.isEmpty }

    /// Whether `object` is selected.
    func matches<Object: SimulatedResource>(_ object: Object, kind: ResourceKind<Object>) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        if !labels.isEmpty, !labels.matches(object.labels) { return false }
        if !fields.isEmpty, !fields.matches(kind.fieldValues(object)) { return false }
        return true
    }
}
