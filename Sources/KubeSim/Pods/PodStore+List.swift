import Synchronization

/// One page of a list.
struct PodListPage: Sendable {
    var items: [StoredPod]
    /// The resourceVersion of the list (constant across pages).
    var resourceVersion: Int
    /// The key of the last item returned when more keys follow (the `continue` token's start).
    var continueAfterKey: String?
    /// Items left after this page, when no selector is set.
    var remainingItemCount: Int?
}

/// Why a list from a given resourceVersion cannot be served.
enum PodListFailure: Error, Sendable {
    /// The resourceVersion has been compacted away.
    case expired(oldest: Int)
    /// The resourceVersion is in the future.
    case tooLarge(current: Int)
}

extension PodStore {
    /// The pods (keys sorted) as they were at `resourceVersion`, or a failure if history no longer covers it.
    func snapshot(at resourceVersion: Int) -> Result<(keys: [String], pods: [String: StoredPod]), PodListFailure> {
        state.withLock { state in
            if resourceVersion > state.resourceVersion { return .failure(.tooLarge(current: state.resourceVersion)) }
            if resourceVersion == state.resourceVersion { return .success((state.sortedKeys, state.pods)) }
            if resourceVersion < state.compactedRevision { return .failure(.expired(oldest: state.compactedRevision)) }
            let newer = state.history.reversed().prefix { $0.resourceVersion > resourceVersion }
            if newer.isEmpty { return .success((state.sortedKeys, state.pods)) }
            var pods = state.pods
            for change in newer {
                switch change.type {
                case .added: pods[change.key] = nil
                case .modified, .deleted: pods[change.key] = change.old
                }
            }
            return .success((pods.keys.sorted(), pods))
        }
    }

    /// The current state with its resourceVersion.
    func currentSnapshot() -> (keys: [String], pods: [String: StoredPod], resourceVersion: Int) {
        state.withLock { ($0.sortedKeys, $0.pods, $0.resourceVersion) }
    }

    /// One page: items of `snapshot` matching `filter`, after `startAfter` (exclusive), at most `limit`
    /// (0 = all).
    static func page(
        keys: [String],
        pods: [String: StoredPod],
        resourceVersion: Int,
        filter: PodFilter,
        startAfter: String?,
        limit: Int
    ) -> PodListPage {
        let prefix = filter.namespace.map { $0 + "/" } ?? ""
        var index: Int
        if let startAfter {
            index = keys.lowerBound(of: startAfter)
            if index < keys.count, keys[index] == startAfter { index += 1 }
        } else {
            index = keys.lowerBound(of: prefix)
        }
        var end = keys.count
        if !prefix.isEmpty {
            // Namespace keys are contiguous: find where the prefix ends.
            end = keys.lowerBound(of: String(prefix.dropLast()) + "0")  // "0" follows "/" in ASCII
        }
        var items: [StoredPod] = []
        if limit > 0 { items.reserveCapacity(min(limit, end - index)) }
        while index < end {
            let stored = pods[keys[index]]!
            index += 1
            if filter.matches(stored.pod) {
                items.append(stored)
                if limit > 0, items.count == limit { break }
            }
        }
        let more = limit > 0 && items.count == limit && index < end
        return PodListPage(
            items: items,
            resourceVersion: resourceVersion,
            continueAfterKey: more ? items.last.map { $0.pod.key } : nil,
            remainingItemCount: more && filter.hasNoSelectors ? end - index : nil
        )
    }
}
