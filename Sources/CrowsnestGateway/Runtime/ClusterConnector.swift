public import CrowsnestCore
public import Logging

/// Builds the per-cluster I/O pieces (API client and discovery) from a cluster file: the seam between the gateway
/// and `CrowsnestKube`, and what tests replace.
public protocol ClusterConnector: Sendable {
    /// Creates the connection for one cluster; throws a plain, secret-free error when the cluster cannot be set up
    /// (missing CA file, unreadable token, unknown kubeconfig context…).
    func connect(_ config: ClusterConfig, logger: Logger) throws -> ClusterConnection
}

/// The I/O pieces of one cluster.
public struct ClusterConnection: Sendable {
    /// Authenticated GETs on the API server (scrapes go through its pod proxy).
    public var proxyClient: any ProxyClient
    /// Pod discovery producing target sets.
    public var discovery: any TargetDiscovery
    /// Credential facts for the health page (kind, expiry), secret-free.
    public var credentialSummary: @Sendable () -> CredentialSummary

    /// Creates a connection.
    public init(
        proxyClient: any ProxyClient,
        discovery: any TargetDiscovery,
        credentialSummary: @escaping @Sendable () -> CredentialSummary = { CredentialSummary(kind: "unknown") }
    ) {
        self.proxyClient = proxyClient
        self.discovery = discovery
        self.credentialSummary = credentialSummary
    }
}

/// Credential facts shown on the health page.
public struct CredentialSummary: Sendable, Hashable {
    /// The kind (`bearer_token_file`, `exec`, …).
    public var kind: String
    /// When the credential expires, seconds since the epoch.
    public var expiresAt: Double?
    /// When the CA certificate expires, seconds since the epoch.
    public var caExpiresAt: Double?
    /// The last credential problem, in plain words.
    public var lastError: String?
    /// Whether TLS verification is disabled (warned about).
    public var insecureSkipVerify: Bool

    /// Creates a summary.
    public init(kind: String, expiresAt: Double? = nil, caExpiresAt: Double? = nil, lastError: String? = nil, insecureSkipVerify: Bool = false) {
        self.kind = kind
        self.expiresAt = expiresAt
        self.caExpiresAt = caExpiresAt
        self.lastError = lastError
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// One discovery result: the complete target set of a cluster.
public struct DiscoveredTargets: Sendable {
    /// Every target.
    public var targets: [ScrapeTarget]
    /// Pods refused, with reasons.
    public var refused: [RefusedPod]

    /// Creates a result.
    public init(targets: [ScrapeTarget], refused: [RefusedPod] = []) {
        self.targets = targets
        self.refused = refused
    }
}

/// Discovery state shown on the health page.
public struct DiscoveryStatus: Sendable, Hashable {
    /// `watching`, `listing`, `relisting`, `failing`, `starting`.
    public var state: String
    /// Milliseconds since the epoch of the last event or list.
    public var lastEventMilliseconds: Int64?
    /// Why it is failing, in plain words.
    public var lastError: String?
    /// Whether the first list attempt finished (successfully or not): readiness.
    public var firstAttemptDone: Bool

    /// Creates a status.
    public init(state: String, lastEventMilliseconds: Int64? = nil, lastError: String? = nil, firstAttemptDone: Bool = false) {
        self.state = state
        self.lastEventMilliseconds = lastEventMilliseconds
        self.lastError = lastError
        self.firstAttemptDone = firstAttemptDone
    }
}

/// Discovers a cluster's targets.
public protocol TargetDiscovery: Sendable {
    /// Runs until cancelled, calling `onUpdate` with each complete target set.
    func run(onUpdate: @escaping @Sendable (DiscoveredTargets) async -> Void) async
    /// The current state.
    var status: DiscoveryStatus { get }
}
