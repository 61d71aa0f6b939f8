import CrowsnestCore
import Foundation
public import Logging
import Synchronization

/// Discovers one cluster's pods and turns them into scrape targets (SPEC §4).
///
/// Per namespace in `discovery.namespaces` (or once cluster-wide): a paged list (500 per page), then a watch from
/// its resourceVersion with bookmarks and a random `timeoutSeconds` (300–600 s); resumed after a normal close,
/// relisted after 410 Gone, with jittered exponential backoff (0.8 s → 30 s) on failures and `Retry-After`
/// honoured. Label and field selectors go to the API. API calls go through the cluster client's rate limit.
///
/// ``targetUpdates()`` yields the cluster's full target set after each change (bursts within the debounce window
/// give one update; a slow consumer sees only the newest). ``run()`` runs everything in one task group and returns
/// when its task is cancelled.
public final class PodDiscovery: Sendable {
    /// The cluster.
    public let cluster: String
    let client: KubeClusterClient
    let logger: Logger
    let options: DiscoveryOptions
    let rules: PodTargetRules
    let scopeNames: [String]
    let store: Mutex<DiscoveryStore>
    let output: (stream: AsyncStream<TargetSetUpdate>, continuation: AsyncStream<TargetSetUpdate>.Continuation)
    let changes: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    /// Creates the discovery of `client`'s cluster, with the namespaces, selectors, target rules and static
    /// labels of its configuration.
    public init(client: KubeClusterClient, logger: Logger, options: DiscoveryOptions = DiscoveryOptions()) {
        self.cluster = client.name
        self.client = client
        var logger = logger
        logger[metadataKey: "crowsnest.cluster"] = .string(client.name)
        self.logger = logger
        self.options = options
        let namespaces = client.config.discovery.namespaces
        scopeNames = namespaces.isEmpty ? [""] : Array(Set(namespaces)).sorted()
        var store = DiscoveryStore(scopeNames: scopeNames)
        do throws(RelabelError) {
            rules = try PodTargetRules(config: client.config)
        } catch {
            rules = PodTargetRules(cluster: client.name, staticLabels: client.config.labels)
            store.configurationProblem = KubeClientError(
                .configuration,
                cluster: client.name,
                "relabel_configs do not compile: \(error)"
            )
        }
        self.store = Mutex(store)
        output = AsyncStream.makeStream(of: TargetSetUpdate.self, bufferingPolicy: .bufferingNewest(1))
        changes = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The full target sets, newest first-come; ends when ``run()`` returns. One consumer.
    public func targetUpdates() -> AsyncStream<TargetSetUpdate> { output.stream }

    /// The current state, for the health page.
    public var state: DiscoveryState { store.withLock { $0.state } }

    /// The current full target set.
    public var currentUpdate: TargetSetUpdate { store.withLock { $0.update(cluster: cluster) } }

    /// Lists and watches until cancelled, then finishes ``targetUpdates()``.
    public func run() async {
        defer {
            output.continuation.finish()
            changes.continuation.finish()
        }
        if store.withLock({ $0.configurationProblem }) != nil {
            output.continuation.yield(currentUpdate)
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        await withDiscardingTaskGroup { group in
            for scope in scopeNames {
                group.addTask { await self.runScope(scope) }
            }
            group.addTask { await self.publish() }
        }
    }

    /// Records a change and wakes the publisher.
    func mutate(_ change: (inout DiscoveryStore) -> Bool) {
        let changed = store.withLock { store in
            let changed = change(&store)
            if changed { store.version += 1 }
            return changed
        }
        if changed { changes.continuation.yield() }
    }

    func setCondition(_ scope: String, _ condition: DiscoveryState.Condition) {
        var previous: DiscoveryState.Condition?
        mutate { store in
            previous = store.scopes[scope]?.condition
            guard previous != condition else { return false }
            store.scopes[scope]?.condition = condition
            return true
        }
        if let previous, previous != condition { logTransition(scope, from: previous, to: condition) }
    }

    /// Logs a scope's change into or out of failing: a warning with the reason when it starts failing (or fails
    /// for a new reason), info when it recovers. The other transitions (listing, watching, relisting) are routine.
    func logTransition(_ scope: String, from previous: DiscoveryState.Condition, to condition: DiscoveryState.Condition)
    {
        var metadata: Logger.Metadata = [:]
        if !scope.isEmpty { metadata["crowsnest.namespace"] = .string(scope) }
        switch (previous, condition) {
        case (.failing, .failing(let error)):
            metadata["crowsnest.reason"] = .string(error.message)
            logger.warning(
                "discovery still failing, for a new reason; the last good target set stays in use",
                metadata: metadata
            )
        case (_, .failing(let error)):
            metadata["crowsnest.reason"] = .string(error.message)
            logger.warning(
                "discovery failing: cannot list pods; the last good target set stays in use",
                metadata: metadata
            )
        case (.failing, _):
            logger.info("discovery recovered", metadata: metadata)
        default:
            break
        }
    }

    /// Publishes a full set after each burst of changes, once every scope has listed (or one fails).
    func publish() async {
        var published = -1
        for await _ in changes.stream {
            try? await Task.sleep(for: options.debounce)
            if Task.isCancelled { return }
            let update: TargetSetUpdate? = store.withLock { store in
                guard store.version != published else { return nil }
                let failing = store.scopes.values.contains { if case .failing = $0.condition { true } else { false } }
                guard store.allListed || failing else { return nil }
                published = store.version
                return store.update(cluster: cluster)
            }
            if let update { output.continuation.yield(update) }
        }
    }
}
