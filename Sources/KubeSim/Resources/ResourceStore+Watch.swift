import Synchronization

extension ResourceStore {
    /// Registers a watch atomically with reading its starting point, so no change falls between the two.
    func subscribe(filter: ResourceFilter, start: WatchStart) -> Result<ResourceSubscription<Object>, PodListFailure> {
        let (signals, continuation) = AsyncStream<ResourceWatchSignal<Object>>.makeStream()
        return state.withLock { state in
            var initial: [(WatchEventType, StoredResource<Object>)] = []
            switch start {
            case .currentState:
                for key in state.sortedKeys {
                    let stored = state.objects[key]!
                    if filter.matches(stored.object, kind: kind) { initial.append((.added, stored)) }
                }
            case .after(let resourceVersion):
                if resourceVersion < state.compactedRevision {
                    return .failure(.expired(oldest: state.compactedRevision))
                }
                for change in state.history where change.resourceVersion > resourceVersion {
                    if let event = change.event(for: filter, kind: kind) { initial.append(event) }
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(filter: filter, continuation: continuation)
            return .success(
                ResourceSubscription(
                    id: id,
                    initialEvents: initial,
                    resourceVersion: state.resourceVersion,
                    signals: signals,
                    continuation: continuation
                )
            )
        }
    }

    /// Removes a watch.
    func unsubscribe(_ id: Int) {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
        watcher?.continuation.finish()
    }

    /// Sends a BOOKMARK with the current resourceVersion to one watch (ordered after its events: both are yielded
    /// under the same lock).
    func sendBookmark(to id: Int) {
        state.withLock { state in
            _ = state.watchers[id]?.continuation.yield(
                .bookmark(resourceVersion: state.resourceVersion, initialEventsEnd: false)
            )
        }
    }

    /// The objects (keys sorted) as they were at `resourceVersion`, or why history no longer covers it.
    func snapshot(
        at resourceVersion: Int
    ) -> Result<(keys: [String], objects: [String: StoredResource<Object>]), PodListFailure> {
        state.withLock { state in
            if resourceVersion > state.resourceVersion { return .failure(.tooLarge(current: state.resourceVersion)) }
            if resourceVersion == state.resourceVersion { return .success((state.sortedKeys, state.objects)) }
            if resourceVersion < state.compactedRevision { return .failure(.expired(oldest: state.compactedRevision)) }
            let newer = state.history.reversed().prefix { $0.resourceVersion > resourceVersion }
            if newer.isEmpty { return .success((state.sortedKeys, state.objects)) }
            var objects = state.objects
            for change in newer {
                switch change.type {
                case .added: objects[change.key] = nil
                case .modified, .deleted: objects[change.key] = change.old
                }
            }
            return .success((objects.keys.sorted(), objects))
        }
    }

    /// The current state with its resourceVersion.
    func currentSnapshot() -> (keys: [String], objects: [String: StoredResource<Object>], resourceVersion: Int) {
        state.withLock { ($0.sortedKeys, $0.objects, $0.resourceVersion) }
    }

    /// One page: objects matching `filter` after `startAfter` (exclusive), at most `limit` (0 = all).
    func page(
        keys: [String],
        objects: [String: StoredResource<Object>],
        resourceVersion: Int,
        filter: ResourceFilter,
        startAfter: String?,
        limit: Int
    ) -> ResourceListPage<Object> {
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
            end = keys.lowerBound(of: String(prefix.dropLast()) + "0")  // "0" follows "/" in ASCII
        }
        var items: [StoredResource<Object>] = []
        while index < end {
            let stored = objects[keys[index]]!
            index += 1
            if filter.matches(stored.object, kind: kind) {
                items.append(stored)
                if limit > 0, items.count == limit { break }
            }
        }
        let more = limit > 0 && items.count == limit && index < end
        return ResourceListPage(
            items: items,
            resourceVersion: resourceVersion,
            continueAfterKey: more ? items.last.map { $0.object.key } : nil,
            remainingItemCount: more && filter.hasNoSelectors ? end - index : nil
        )
    }
}
