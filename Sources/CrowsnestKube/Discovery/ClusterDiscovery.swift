import CrowsnestCore
import Foundation
public import Logging
import Synchronization

/// Discovers one cluster's targets (SPEC §4): its pods, and when configured its nodes' kubelet endpoints and the pods
/// behind annotated Services.
///
/// Each resource is a discovery source of its own, listed and watched the same way: per namespace in
/// `discovery.namespaces` (or once cluster-wide; nodes always cluster-wide), a paged list (500 per page), then a
/// watch from its resourceVersion with bookmarks and a random `timeoutSeconds` (300–600 s); resumed after a normal
/// close, relisted after 410 Gone, with jittered exponential backoff (0.8 s → 30 s) on failures and `Retry-After`
/// honoured. Label and field selectors go to the API. API calls go through the cluster client's rate limit.
///
/// ``targetUpdates()`` yields the cluster's full target set after each change (bursts within the debounce window
/// give one update; a slow consumer sees only the newest). ``run()`` runs everything in one task group and returns
/// when its task is cancelled.
public final class ClusterDiscovery: Sendable {
    /// The cluster.
    public let cluster: String
    let client: KubeClusterClient
    let logger: Logger
    let options: DiscoveryOptions
    let rules: PodTargetRules
    let nodeRules: NodeTargetRules
    let scopes: [DiscoveryScopeID]
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
        let config = client.config
        scopes = Self.scopes(of: config)
        var store = DiscoveryStore(scopes: scopes)
        do throws(RelabelError) {
            rules = try PodTargetRules(config: config)
        } catch {
            rules = PodTargetRules(cluster: client.name, staticLabels: config.labels)
            store.configurationProblem = KubeClientError(
                .configuration,
                cluster: client.name,
                "relabel_configs do not compile: \(error)"
            )
        }
        do throws(RelabelError) {
            nodeRules = try NodeTargetRules(config: config)
        } catch {
            nodeRules = NodeTargetRules(cluster: client.name, staticLabels: config.labels, paths: config.nodes.paths)
            store.configurationProblem = KubeClientError(
                .configuration,
                cluster: client.name,
                "nodes.relabel_configs do not compile: \(error)"
            )
        }
        self.store = Mutex(store)
        output = AsyncStream.makeStream(of: TargetSetUpdate.self, bufferingPolicy: .bufferingNewest(1))
        changes = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The list+watch scopes a configuration needs: pods per namespace (or cluster-wide); nodes once when a kubelet
    /// endpoint is enabled; Services and EndpointSlices per namespace with `services: true`.
    static func scopes(of config: ClusterConfig) -> [DiscoveryScopeID] {
        let namespaces = config.discovery.namespaces.isEmpty ? [""] : Array(Set(config.discovery.namespaces)).sorted()
        var resources: [DiscoveredResource] = [.pods]
        if config.services { resources += [.services, .endpointSlices] }
        var result = resources.flatMap { resource in namespaces.map { DiscoveryScopeID(resource, namespace: $0) } }
        if config.nodes.isEnabled { result.append(DiscoveryScopeID(.nodes)) }
        return result.sorted()
    }

    /// Whether pods are the only resource discovered (then a pod's change matters only when its targets change).
    var podsAlone: Bool { scopes.allSatisfy { $0.resource == .pods } }

    /// The full target sets, newest first-come; ends when ``run()`` returns. One consumer.
    public func targetUpdates() -> AsyncStream<TargetSetUpdate> { output.stream }

    /// The current state, for the health page.
    public var state: DiscoveryState { store.withLock { $0.state } }

    /// The current full target set (computed from a copy of the store, outside its lock).
    public var currentUpdate: TargetSetUpdate {
        let snapshot = store.withLock { $0 }
        return snapshot.update(cluster: cluster, rules: rules)
    }

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
            for scope in scopes {
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

    func setCondition(_ scope: DiscoveryScopeID, _ condition: DiscoveryState.Condition) {
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
    func logTransition(
        _ scope: DiscoveryScopeID,
        from previous: DiscoveryState.Condition,
        to condition: DiscoveryState.Condition
    ) {
        var metadata: Logger.Metadata = ["crowsnest.resource": .string(scope.resource.rawValue)]
        if !scope.namespace.isEmpty { metadata["crowsnest.namespace"] = .string(scope.namespace) }
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
                "discovery failing: cannot list \(scope.resource.noun); the last good target set stays in use",
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
            let snapshot: DiscoveryStore? = store.withLock { store in
                guard store.version != published else { return nil }
                let failing = store.scopes.values.contains { if case .failing = $0.condition { true } else { false } }
                guard store.allListed || failing else { return nil }
                published = store.version
                return store
            }
            if let snapshot { output.continuation.yield(snapshot.update(cluster: cluster, rules: rules)) }
        }
    }
}
