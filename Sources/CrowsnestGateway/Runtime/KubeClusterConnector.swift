public import AsyncHTTPClient
public import CoreMetrics
public import CrowsnestCore
public import CrowsnestKube
public import Logging
import Foundation

extension KubeClusterClient: ProxyClient {}

/// The real connector: one `KubeClusterClient` per cluster on one shared `HTTPClient`, with `PodDiscovery`.
public struct KubeClusterConnector: ClusterConnector {
    /// The shared HTTP client (per-request TLS settings keep clusters apart).
    public let httpClient: HTTPClient
    /// Receives the clients' request counts and discovery's watch restarts (``GatewayMetrics/factory``).
    public let metricsFactory: any MetricsFactory
    /// Discovery's page size, backoff and timeouts (client-go's defaults unless a test shortens them).
    public var discoveryOptions = DiscoveryOptions()

    /// Creates the connector.
    public init(httpClient: HTTPClient, metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.httpClient = httpClient
        self.metricsFactory = metricsFactory
    }

    public func connect(_ config: ClusterConfig, logger: Logger) throws -> ClusterConnection {
        let client = KubeClusterClient(config: config, httpClient: httpClient, logger: logger, metricsFactory: metricsFactory)
        let discovery = PodDiscovery(client: client, logger: logger, options: discoveryOptions)
        return ClusterConnection(
            proxyClient: client,
            discovery: PodDiscoveryAdapter(discovery: discovery),
            credentialSummary: {
                let status = client.credentialStatus
                return CredentialSummary(
                    kind: status.kind,
                    expiresAt: status.expiry?.timeIntervalSince1970,
                    caExpiresAt: status.certificateAuthorityExpiry?.timeIntervalSince1970,
                    lastError: status.lastError,
                    insecureSkipVerify: status.insecureSkipVerify
                )
            }
        )
    }
}

/// Presents `PodDiscovery` as the gateway's ``TargetDiscovery``.
struct PodDiscoveryAdapter: TargetDiscovery {
    let discovery: PodDiscovery

    func run(onUpdate: @escaping @Sendable (DiscoveredTargets) async -> Void) async {
        await withDiscardingTaskGroup { group in
            let updates = discovery.targetUpdates()
            group.addTask { await discovery.run() }
            for await update in updates {
                await onUpdate(DiscoveredTargets(targets: update.targets, refused: update.refused))
            }
            group.cancelAll()
        }
    }

    var status: DiscoveryStatus {
        let state = discovery.state
        let name: String
        var error: String?
        var done = true
        switch state.condition {
        case .starting:
            name = "starting"
            done = false
        case .listing:
            name = "listing"
            done = state.lastEventTime != nil
        case .watching: name = "watching"
        case .relisting: name = "relisting"
        case .failing(let reason):
            name = "failing"
            error = reason
        }
        return DiscoveryStatus(
            state: name,
            lastEventMilliseconds: state.lastEventTime.map { Int64($0.timeIntervalSince1970 * 1000) },
            lastError: error,
            firstAttemptDone: done
        )
    }
}
