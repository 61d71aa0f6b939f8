import AsyncHTTPClient
import CoreMetrics
public import CrowsnestCore
public import CrowsnestKube
public import Logging
import Synchronization

/// One running cluster: its API client, its discovery and its scrape scheduler, under the cluster's task.
///
/// The data path of one cluster, in the order data passes: ``KubeClusterClient`` (credentials, TLS) →
/// ``ClusterDiscovery`` (list + watch → ``TargetSetUpdate``) → ``ScrapeScheduler`` (grid, cap, pauses) →
/// ``TargetScraper`` (proxy GET → ``TargetSnapshot``) → ``SnapshotStore``. ``health`` is the one value the pages
/// and metrics read.
public final class ClusterRuntime: Sendable {
    /// The cluster file it runs.
    public let config: ClusterConfig
    /// The API client (also the scraper's ``ProxyClient``, and the health page's API server check).
    public let client: KubeClusterClient
    let discovery: ClusterDiscovery
    let scheduler: ScrapeScheduler
    private let refused = Mutex<[RefusedPod]>([])
    private let shard: (index: Int, count: Int)

    /// Builds the cluster's client, discovery and scheduler; throws (secret-free) when `metric_relabel_configs` do
    /// not compile.
    init(
        config: ClusterConfig,
        httpClient: HTTPClient,
        discoveryOptions: DiscoveryOptions,
        store: SnapshotStore,
        timestamps: Bool,
        shard: (index: Int, count: Int),
        metricsFactory: any MetricsFactory,
        logger: Logger
    ) throws {
        self.config = config
        self.shard = shard
        let relabeler = config.metricRelabelConfigs.isEmpty ? nil : try Relabeler(rules: config.metricRelabelConfigs)
        client = KubeClusterClient(
            config: config,
            httpClient: httpClient,
            logger: logger,
            metricsFactory: metricsFactory
        )
        discovery = ClusterDiscovery(client: client, logger: logger, options: discoveryOptions)
        let scrape = config.scrape
        let settings = TargetScraper.Settings(
            timeout: scrape.timeout,
            limits: ExpositionLimits(
                sampleLimit: scrape.sampleLimit,
                labelLimit: scrape.labelLimit,
                labelNameLengthLimit: scrape.labelNameLengthLimit,
                labelValueLengthLimit: scrape.labelValueLengthLimit,
                bodySizeLimit: Int(clamping: scrape.bodySizeLimit.bytes)
            ),
            honorLabels: scrape.honorLabels,
            metricRelabeler: relabeler,
            timestamps: timestamps
        )
        scheduler = ScrapeScheduler(
            cluster: config.name,
            scraper: TargetScraper(
                client: client,
                settings: settings,
                // Scrapes start a grid slot at a time: a handful run together, and that many renderers are kept.
                renderers: ScrapeRendererPool(maximumIdle: min(scrape.maxConcurrentScrapes, 4))
            ),
            interval: scrape.interval,
            maxConcurrentScrapes: scrape.maxConcurrentScrapes,
            store: store,
            metricsFactory: metricsFactory
        )
    }

    /// The cluster's health now.
    public var health: ClusterHealth {
        ClusterHealth(
            discovery: discovery.state,
            credential: client.credentialStatus,
            targets: scheduler.targetStatuses,
            refused: refused.withLock { $0 },
            pace: scheduler.pace
        )
    }

    /// Whether discovery finished its first attempt (readiness).
    var firstDiscoveryAttemptDone: Bool { discovery.state.firstAttemptDone }

    /// Runs discovery and scraping until cancelled; each complete target set (this replica's shard of it) replaces
    /// the scheduler's.
    func run() async {
        let shard = shard
        await withDiscardingTaskGroup { group in
            let updates = discovery.targetUpdates()
            group.addTask { await self.discovery.run() }
            group.addTask { await self.scheduler.run() }
            for await update in updates {
                refused.withLock { $0 = update.refused }
                scheduler.update(
                    targets: update.targets.filter { $0.key.belongs(toShard: shard.index, of: shard.count) }
                )
            }
            group.cancelAll()
        }
    }

    /// Stops scraping and removes the cluster's series (the cluster is going away).
    func removeAll() { scheduler.removeAll() }
}
