/// One page of a resource list.
struct ResourceListPage<Object: SimulatedResource>: Sendable {
    var items: [StoredResource<Object>]
    /// The resourceVersion of the list (constant across pages).
    var resourceVersion: Int
    /// The key of the last item returned when more keys follow (the `continue` token's start).
    var continueAfterKey: String?
    /// Items left after this page, when no selector is set.
    var remainingItemCount: Int?
}
