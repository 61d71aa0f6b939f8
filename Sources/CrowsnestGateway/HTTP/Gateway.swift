public import AsyncHTTPClient
public import CrowsnestCore
public import CrowsnestKube
public import Hummingbird
public import HummingbirdCore
public import Logging
import NIOCore

/// Everything `crowsnest serve` needs to know.
public struct GatewayOptions: Sendable {
    /// Where the gateway listens.
    public var listen: ListenAddress
    /// The cluster directory.
    public var configDirectory: String
    /// Global defaults (`crowsnest.yaml`).
    public var globalConfig: GlobalConfig
    /// `--shard INDEX/COUNT`.
    public var shard: (index: Int, count: Int)
    /// How often `clusters.d` is re-read.
    public var pollInterval: Duration
    /// Discovery's page size, backoff and timeouts (client-go's defaults unless a test shortens them).
    public var discoveryOptions: DiscoveryOptions
    /// The `crowsnest.yaml` that `globalConfig` came from, re-read on every requested reload (nil: none).
    public var globalConfigFile: String?

    /// Creates options.
    public init(
        listen: ListenAddress = GlobalConfig.defaultListen,
        configDirectory: String = "clusters.d",
        globalConfig: GlobalConfig = GlobalConfig(),
        shard: (index: Int, count: Int) = (0, 1),
        pollInterval: Duration = .seconds(2),
        discoveryOptions: DiscoveryOptions = DiscoveryOptions()
    ) {
        self.listen = listen
        self.configDirectory = configDirectory
        self.globalConfig = globalConfig
        self.shard = shard
        self.pollInterval = pollInterval
        self.discoveryOptions = discoveryOptions
    }
}

/// The running gateway's parts, for tests and the executable.
public struct Gateway: Sendable {
    /// The HTTP application (runs the directory service as one of its services).
    public let application: Application<RouterResponder<BasicRequestContext>>
    /// The clusters.
    public let directory: ClusterSupervisor
    /// The snapshots.
    public let store: SnapshotStore
    /// The gateway's own metrics.
    public let metrics: GatewayMetrics
    /// Remote write, when `crowsnest.yaml` has `remote_write` entries.
    public var remoteWrite: RemoteWriteService? = nil
}

/// Builds the gateway: the snapshot store, the clusters.d service and the HTTP server, in one service group
/// (Hummingbird's application runs its `services` and the server together, with graceful shutdown).
///
/// When `options.globalConfig.web` asks for authentication, every endpoint but `/-/healthy` and `/-/ready` requires
/// it; `server` is ``WebListener/serverBuilder(for:)`` for HTTPS.
public func buildGateway(
    options: GatewayOptions,
    httpClient: HTTPClient,
    metrics: GatewayMetrics = GatewayMetrics(),
    server: HTTPServerBuilder = .http1(),
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> Gateway {
    let remoteWrite =
        options.globalConfig.remoteWrite.isEmpty
        ? nil
        : RemoteWriteService(
            configs: options.globalConfig.remoteWrite,
            httpClient: httpClient,
            metricsFactory: metrics.factory,
            logger: logger
        )
    let store = SnapshotStore(observer: remoteWrite)
    let directory = ClusterSupervisor(
        directory: ClusterDirectory(path: options.configDirectory, globalConfig: options.globalConfig),
        httpClient: httpClient,
        discoveryOptions: options.discoveryOptions,
        store: store,
        logger: logger,
        pollInterval: options.pollInterval,
        timestamps: options.globalConfig.timestamps,
        shard: options.shard,
        metricsFactory: metrics.factory,
        globalConfigFile: options.globalConfigFile
    )
    let router = Router()
    if options.globalConfig.web.requiresAuthentication {
        router.add(
            middleware: WebAccessMiddleware(
                credentials: WebCredentials(config: options.globalConfig.web, logger: logger)
            )
        )
    }
    FederationEndpoint(store: store, knownClusters: { directory.entries.map(\.name) }).register(on: router)
    GatewayRoutes(directory: directory, store: store, metrics: metrics, remoteWrite: remoteWrite).register(on: router)
    let application = Application(
        router: router,
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(options.listen.host, port: options.listen.port),
            serverName: "crowsnest"
        ),
        // Remote write first: services stop in reverse order, so it stops after the clusters and sends (or buffers)
        // their last scrapes.
        services: (remoteWrite.map { [$0] } ?? []) + [directory, MemoryTrimmer(store: store)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    return Gateway(
        application: application,
        directory: directory,
        store: store,
        metrics: metrics,
        remoteWrite: remoteWrite
    )
}
