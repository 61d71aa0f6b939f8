import CrowsnestCore

/// One listed or watched object, decoded, with the targets that depend on it alone (a pod's, a node's).
///
/// Services and EndpointSlices yield targets only together (and with the pods they point at), so their targets are
/// computed when a target set is published.
enum DiscoveredObject: Sendable, Hashable {
    case pod(PodInfo, PodTargets)
    case node(NodeInfo, PodTargets)
    case service(ServiceInfo)
    case endpointSlice(EndpointSliceInfo)

    /// Whether replacing `old` with `new` can change the target set: for a pod, when only pods are discovered, a
    /// change of its targets; otherwise (its meta labels feed Service targets) any change of what was decoded.
    static func changesTargets(from old: DiscoveredObject?, to new: DiscoveredObject?, podsAlone: Bool) -> Bool {
        if podsAlone, case .pod(_, let before)? = old, case .pod(_, let after)? = new { return before != after }
        return old != new
    }
}
