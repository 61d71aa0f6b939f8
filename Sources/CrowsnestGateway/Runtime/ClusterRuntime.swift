import CoreMetrics
public import CrowsnestCore
import Logging
import Synchronization

/// One running cluster: discovery feeding the scrape scheduler, both under the cluster's task.
public final class ClusterRuntime: Sendable {
    /// The cluster file it runs.
    public let config: ClusterConfig
    /// The scheduler (targets, health).
    public let scraper: ClusterScraper
    let connection: ClusterConnection
    private let refused = Mutex<[RefusedPod]>([])
    private let shard: (index: Int, count: Int)

    init(
        config: ClusterConfig, connection: ClusterConnection, store: SnapshotStore, timestamps: Bool,
        shard: (index: Int, count: Int), metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws {
        self.config = config
        self.connection = connection
        self.shard = shard
        let relabeler = config.metricRelabelConfigs.isEmpty ? nil : try Relabeler(rules: config.metricRelabelConfigs)
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
        self.scraper = ClusterScraper(
            cluster: config.name,
            scraper: TargetScraper(
                client: connection.proxyClient, settings: settings,
                // Scrapes start a grid slot at a time: a handful run together, and that many renderers are kept.
                renderers: ScrapeRendererPool(maximumIdle: min(scrape.maxConcurrentScrapes, 4))
            ),
            interval: scrape.interval,
            maxConcurrentScrapes: scrape.maxConcurrentScrapes,
            store: store,
            metricsFactory: metricsFactory
        )
    }

    /// Pods refused by the target rules.
    public var refusedPods: [RefusedPod] { refused.withLock { $0 } }

    /// The discovery state.
    public var discoveryStatus: DiscoveryStatus { connection.discovery.status }

    /// Credential facts.
    public var credentialSummary: CredentialSummary { connection.credentialSummary() }

    /// Runs discovery and scraping until cancelled, then removes the cluster's series.
    func run() async {
        let shard = shard
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.connection.discovery.run { update in
                    self.refused.withLock { $0 = update.refused }
                    self.scraper.update(targets: update.targets.filter { $0.key.belongs(toShard: shard.index, of: shard.count) })
                }
            }
            group.addTask { await self.scraper.run() }
        }
    }
}
