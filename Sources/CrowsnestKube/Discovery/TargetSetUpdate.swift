public import CrowsnestCore
public import Foundation

/// Where one cluster's discovery stands, for the health page.
public struct DiscoveryState: Sendable, Hashable {
    /// The condition.
    public enum Condition: Sendable, Hashable, CustomStringConvertible {
        /// Not started yet.
        case starting
        /// The first list is running.
        case listing
        /// Listed; watching for changes.
        case watching
        /// Listing again (after 410 Gone: the resourceVersion expired).
        case relisting
        /// Failing; retrying with backoff. The last good target set stays in use. The error is typed, so what it
        /// means (a rejected credential, TLS, a timeout) is read from its code, never from its text.
        case failing(KubeClientError)

        /// `starting`, `listing`, `watching`, `relisting`, or `failing: REASON`.
        public var description: String {
            switch self {
            case .starting: "starting"
            case .listing: "listing"
            case .watching: "watching"
            case .relisting: "relisting"
            case .failing(let error): "failing: \(error.message)"
            }
        }
    }

    /// The condition (the worst over the cluster's namespaces).
    public var condition: Condition
    /// When the last watch event (including bookmarks) or list arrived.
    public var lastEventTime: Date?
    /// The resourceVersion reached: the cluster-wide watch's, or with several namespaces the highest of theirs.
    public var resourceVersion: String?
    /// The resourceVersion per namespace (`""` = all namespaces).
    public var resourceVersions: [String: String]
    /// How many relists followed a 410.
    public var relists: Int
    /// How many pods are known.
    public var pods: Int
    /// How many objects of each discovered resource are known (pods, and nodes, Services, EndpointSlices when
    /// discovered).
    public var objects: [DiscoveredResource: Int] = [:]

    /// Why discovery fails, when it does.
    public var failure: KubeClientError? {
        if case .failing(let error) = condition { error } else { nil }
    }

    /// Whether the first list attempt finished, successfully or not: what readiness waits for (a cluster that
    /// rejects us must not keep the gateway unready).
    public var firstAttemptDone: Bool {
        switch condition {
        case .starting: false
        case .listing: lastEventTime != nil
        case .watching, .relisting, .failing: true
        }
    }

    /// Creates a state.
    public init(
        condition: Condition = .starting,
        lastEventTime: Date? = nil,
        resourceVersion: String? = nil,
        resourceVersions: [String: String] = [:],
        relists: Int = 0,
        pods: Int = 0
    ) {
        self.condition = condition
        self.lastEventTime = lastEventTime
        self.resourceVersion = resourceVersion
        self.resourceVersions = resourceVersions
        self.relists = relists
        self.pods = pods
    }
}

/// One cluster's full target set after a change (not a diff), with refusals and the discovery state.
public struct TargetSetUpdate: Sendable {
    /// The cluster.
    public var cluster: String
    /// Every target, sorted by key.
    public var targets: [ScrapeTarget]
    /// Pods refused a target and why, sorted by namespace and pod.
    public var refused: [RefusedPod]
    /// The discovery state when the set was made.
    public var state: DiscoveryState

    /// Creates an update.
    public init(cluster: String, targets: [ScrapeTarget], refused: [RefusedPod], state: DiscoveryState) {
        self.cluster = cluster
        self.targets = targets
        self.refused = refused
        self.state = state
    }
}

/// Discovery tuning; the defaults are client-go's.
public struct DiscoveryOptions: Sendable {
    /// Items per list page (client-go: 500).
    public var pageSize: Int
    /// The watch `timeoutSeconds` range, picked at random per watch (client-go: 300–600 s).
    public var watchTimeoutSeconds: ClosedRange<Int>
    /// The first backoff after a failure (0.8 s).
    public var initialBackoff: Duration
    /// The longest backoff (30 s).
    public var maximumBackoff: Duration
    /// Bursts of changes within this window give one update (200 ms).
    public var debounce: Duration
    /// The deadline of one list page request.
    public var listTimeout: Duration

    /// Creates options.
    public init(
        pageSize: Int = 500,
        watchTimeoutSeconds: ClosedRange<Int> = 300...600,
        initialBackoff: Duration = .milliseconds(800),
        maximumBackoff: Duration = .seconds(30),
        debounce: Duration = .milliseconds(200),
        listTimeout: Duration = .seconds(60)
    ) {
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.debounce = debounce
        self.listTimeout = listTimeout
    }
}
