import CrowsnestCore
import Foundation

/// The pods of one cluster, per list+watch scope (a namespace, or `""` for all), with their computed targets.
struct DiscoveryStore: Sendable {
    struct Scope: Sendable {
        var pods: [String: PodTargets] = [:]
        var resourceVersion: String?
        var listed = false
        var condition: DiscoveryState.Condition = .starting
    }

    var scopes: [String: Scope]
    var lastEventTime: Date?
    var relists = 0
    /// Bumped on every change of targets or state; the publisher compares it.
    var version = 0
    /// A problem that is not a scope's (relabel rules that do not compile).
    var configurationProblem: KubeClientError?

    init(scopeNames: [String]) {
        scopes = Dictionary(uniqueKeysWithValues: scopeNames.map { ($0, Scope()) })
    }

    var allListed: Bool { scopes.values.allSatisfy(\.listed) }

    var state: DiscoveryState {
        var state = DiscoveryState(lastEventTime: lastEventTime, relists: relists)
        var conditions: [DiscoveryState.Condition] = []
        for (name, scope) in scopes {
            state.pods += scope.pods.count
            if let rv = scope.resourceVersion { state.resourceVersions[name] = rv }
            conditions.append(scope.condition)
        }
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

    func update(cluster: String) -> TargetSetUpdate {
        var targets: [ScrapeTarget] = []
        var refused: [RefusedPod] = []
        for scope in scopes.values {
            for result in scope.pods.values {
                targets.append(contentsOf: result.targets)
                refused.append(contentsOf: result.refused)
            }
        }
        targets.sort { $0.key < $1.key }
        let selection = TargetSelection.removingDuplicates(targets)
        refused += selection.duplicates
        refused.sort { ($0.namespace, $0.pod, $0.reason) < ($1.namespace, $1.pod, $1.reason) }
        return TargetSetUpdate(cluster: cluster, targets: selection.targets, refused: refused, state: state)
    }
}
