public import CrowsnestCore
public import CrowsnestKube
public import Foundation

/// Everything known about one running cluster at one moment: what its discovery, credential and targets say.
///
/// One value, read from the runtime in one call: the health page, the JSON API and `/-/metrics` render it and count
/// nothing themselves, so the three never disagree about how many targets are up.
public struct ClusterHealth: Sendable {
    /// Where discovery stands (its failure, when failing, is a typed ``KubeClientError``).
    public var discovery: DiscoveryState
    /// The credential's kind, expiry, CA expiry and last error.
    public var credential: CredentialStatus
    /// Every target with its last scrape, in key order.
    public var targets: [ScrapeScheduler.TargetStatus]
    /// Pods refused a target, and targets left out as duplicates.
    public var refused: [RefusedPod]
    /// Targets whose last scrape succeeded.
    public let targetsUp: Int
    /// Discovered targets left out because their labels equal another target's.
    public let duplicateTargets: Int
    /// How the scrapes keep up: the concurrency limit, what waits for it, what was skipped.
    public var pace: ScrapeScheduler.Pace

    /// Creates a health value.
    public init(
        discovery: DiscoveryState,
        credential: CredentialStatus,
        targets: [ScrapeScheduler.TargetStatus],
        refused: [RefusedPod],
        pace: ScrapeScheduler.Pace
    ) {
        self.discovery = discovery
        self.credential = credential
        self.targets = targets
        self.refused = refused
        self.pace = pace
        self.targetsUp = targets.count { $0.lastHealth?.up == true }
        self.duplicateTargets = refused.count { $0.kind == .duplicate }
    }

    /// Whether discovery is failing (what `crowsnest_cluster_up` reports as 0).
    public var isDiscoveryFailing: Bool { discovery.failure != nil }

    /// The cluster's status for the health page: down when discovery fails and nothing is scraped; degraded when
    /// discovery fails, a target is down, or the file has errors (a last good version runs); ok otherwise.
    public func status(fileHasErrors: Bool) -> ClusterStatus {
        if isDiscoveryFailing && targets.isEmpty { return .down }
        if targetsUp < targets.count || isDiscoveryFailing || fileHasErrors { return .degraded }
        return .ok
    }

    /// Whether the API server accepts the credential, from the typed evidence: the last API server check's status,
    /// discovery's error code, the credential's expiry and loading errors.
    public func auth(checkStatus: Int?, now: Date) -> AuthState {
        if checkStatus == 401 || discovery.failure?.code == .unauthorized { return .rejected }
        if let expiry = credential.expiry, expiry <= now { return .expired }
        if credential.lastError != nil { return .failing }
        if let status = checkStatus, status < 400 || status == 403 { return .ok }
        if discovery.failure == nil, credential.kind != "unknown" { return .ok }
        return .unknown
    }
}

/// A cluster's status on the health page and in the JSON API.
public enum ClusterStatus: String, Sendable, Hashable, CaseIterable {
    /// Discovery watches and every target is up.
    case ok
    /// Something is wrong but series still flow (a target down, discovery failing with a last good set, a broken
    /// file whose last good version runs).
    case degraded
    /// Nothing is monitored: the cluster cannot start, or discovery fails with no target.
    case down
    /// The file is broken and never ran.
    case configError = "config error"
}

/// Whether the API server accepts the cluster's credential.
public enum AuthState: String, Sendable, Hashable, CaseIterable {
    /// Accepted.
    case ok
    /// The API server answers 401.
    case rejected
    /// The credential's expiry has passed.
    case expired
    /// The credential cannot be loaded (unreadable file, failing exec plugin).
    case failing
    /// Nothing says yet.
    case unknown
}
