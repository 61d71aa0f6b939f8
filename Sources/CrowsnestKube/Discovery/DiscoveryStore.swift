import CrowsnestCore
import Foundation

/// The objects of one cluster, per list+watch scope, with the targets computed from them.
struct DiscoveryStore: Sendable {
    struct Scope: Sendable {
        var objects: [String: DiscoveredObject] = [:]
        var resourceVersion: String?
        var listed = false
        var condition: DiscoveryState.Condition = .starting
    }

    var scopes: [DiscoveryScopeID: Scope]
    var lastEventTime: Date?
    var relists = 0
    /// Bumped on every change of targets or state; the publisher compares it.
    var version = 0
    /// A problem that is not a scope's (relabel rules that do not compile).
    var configurationProblem: KubeClientError?

    init(scopes: [DiscoveryScopeID]) {
        self.scopes = Dictionary(uniqueKeysWithValues: scopes.map { ($0, Scope()) })
    }

    var allListed: Bool { scopes.values.allSatisfy(\.listed) }

    var state: DiscoveryState {
        var state = DiscoveryState(lastEventTime: lastEventTime, relists: relists)
        var conditions: [DiscoveryState.Condition] = []
        for (id, scope) in scopes.sorted(by: { $0.key < $1.key }) {
            state.objects[id.resource, default: 0] += scope.objects.count
            if id.resource == .pods, let rv = scope.resourceVersion { state.resourceVersions[id.namespace] = rv }
            conditions.append(scope.condition)
        }
        state.pods = state.objects[.pods] ?? 0
        state.resourceVersion = state.resourceVersions.values.max { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
        if let problem = configurationProblem {
            state.condition = .failing(problem)
        } else if let failing = conditions.first(where: { if case .failing = $0 { true } else { false } }) {
            state.condition = failing
        } else if conditions.contains(.relisting) {
            state.condition = .relisting
        } else if conditions.contains(.listing) {
            state.condition = .listing
        } else if conditions.contains(.starting) {
            state.condition = .starting
        } else {
            state.condition = .watching
        }
        return state
    }

    /// The full target set: pods' and nodes' own targets, then the targets behind annotated Services for the pod
    /// ports the pod rules did not already choose (scraped once), without label-set duplicates.
    func update(cluster: String, rules: PodTargetRules) -> TargetSetUpdate {
        var targets: [ScrapeTarget] = []
        var refused: [RefusedPod] = []
        var pods: [String: PodInfo] = [:]
        var services: [ServiceInfo] = []
        var slices: [String: [EndpointSliceInfo]] = [:]
        for scope in scopes.values {
            for object in scope.objects.values {
                switch object {
                case .pod(let pod, let result):
                    targets.append(contentsOf: result.targets)
                    refused.append(contentsOf: result.refused)
                    pods[pod.key] = pod
                case .node(_, let result):
                    targets.append(contentsOf: result.targets)
                    refused.append(contentsOf: result.refused)
                case .service(let service):
                    services.append(service)
                case .endpointSlice(let slice):
                    if let key = slice.serviceKey { slices[key, default: []].append(slice) }
                }
            }
        }
        if !services.isEmpty {
            var taken = Set(targets.map(\.key))
            for service in services.sorted(by: { $0.key < $1.key }) {
                let behind = (slices[service.key] ?? []).sorted { $0.name < $1.name }
                let result = rules.targets(for: service, slices: behind, pods: pods)
                refused.append(contentsOf: result.refused)
                for target in result.targets where taken.insert(target.key).inserted {
                    targets.append(target)
                }
            }
        }
        targets.sort { $0.key < $1.key }
        let selection = TargetSelection.removingDuplicates(targets)
        refused += selection.duplicates
        refused.sort { ($0.namespace, $0.pod, $0.reason) < ($1.namespace, $1.pod, $1.reason) }
        return TargetSetUpdate(cluster: cluster, targets: selection.targets, refused: refused, state: state)
    }
}
