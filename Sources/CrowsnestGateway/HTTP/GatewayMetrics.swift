public import CoreMetrics
import CrowsnestCore
import CrowsnestKube
import Foundation
import Prometheus

/// The gateway's own metrics (`/-/metrics`).
///
/// Events are counted where they happen through swift-metrics, into this instance's own swift-prometheus registry
/// (no global `MetricsSystem` bootstrap: the ``factory`` is passed to the cluster clients, discovery and scrapers).
/// State (clusters, targets, credential expiry, series held) is read when `/-/metrics` is scraped. The two are
/// merged into one exposition with HELP text for every family.
public final class GatewayMetrics: Sendable {
    /// HELP text of the event metrics (swift-metrics carries none).
    static let help = Dictionary(uniqueKeysWithValues: OwnMetric.all.map { ($0.name, $0.help) })

    /// Scrape-duration buckets (seconds).
    static let scrapeDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30),
    ]

    private let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory feeding this registry.
    public let factory: any MetricsFactory

    /// Creates an empty registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[OwnMetric.scrapeDuration.name] = Self.scrapeDurationBuckets
        self.registry = registry
        self.factory = factory
    }

    /// The exposition (text format 0.0.4) of the event metrics and the current state.
    func render(directory: ClusterSupervisor, store: SnapshotStore) -> [UInt8] {
        let entries = directory.entries
        var families = Self.stateFamilies(entries: entries, store: store)
        families += Self.componentFamilies(reload: directory.reloadStatus)
        // The registry keeps a deleted cluster's event series; they leave the output with the cluster (and come back
        // with their counts if a file of that name returns, which counters allow).
        let clusters = Set(entries.map(\.name))
        // The registry's output is well-formed by construction; if it ever is not, the state still goes out.
        if let events = try? MetricFamily.parse(registry.emitToBuffer(), format: .text) {
            for var family in events {
                family.samples.removeAll { sample in
                    sample.labels.contains { $0.name == "cluster" && !clusters.contains($0.value) }
                }
                guard !family.samples.isEmpty else { continue }
                family.help = Self.help[family.name] ?? family.help
                families.append(family)
            }
        }
        families.sort { $0.name < $1.name }
        return ExpositionWriter.write(families, format: .text)
    }

    /// The families read from the running state.
    static func stateFamilies(entries: [ClusterSupervisor.ClusterEntry], store: SnapshotStore) -> [MetricFamily] {
        var clusters = MetricFamily(name: OwnMetric.clusterUp.name, type: .gauge, help: OwnMetric.clusterUp.help)
        var targets = MetricFamily(name: OwnMetric.targets.name, type: .gauge, help: OwnMetric.targets.help)
        var expiry = MetricFamily(
            name: OwnMetric.credentialExpiry.name,
            type: .gauge,
            help: OwnMetric.credentialExpiry.help
        )
        var limit = MetricFamily(
            name: OwnMetric.scrapeConcurrencyLimit.name,
            type: .gauge,
            help: OwnMetric.scrapeConcurrencyLimit.help
        )
        var waiting = MetricFamily(
            name: OwnMetric.scrapesWaiting.name,
            type: .gauge,
            help: OwnMetric.scrapesWaiting.help
        )
        var skipped = MetricFamily(
            name: OwnMetric.scrapesSkipped.name,
            type: .counter,
            help: OwnMetric.scrapesSkipped.help
        )
        for entry in entries {
            let cluster = Label("cluster", entry.name)
            let health = entry.runtime?.health
            let listing = health.map { !$0.isDiscoveryFailing } ?? false
            clusters.samples.append(Sample(name: clusters.name, labels: [cluster], value: listing ? 1 : 0))
            guard let health else { continue }
            let counts = [
                ("up", health.targetsUp), ("down", health.targets.count - health.targetsUp),
                ("duplicate", health.duplicateTargets),
            ]
            for (state, count) in counts {
                targets.samples.append(
                    Sample(name: targets.name, labels: [cluster, Label("state", state)], value: Double(count))
                )
            }
            limit.samples.append(
                Sample(name: limit.name, labels: [cluster], value: Double(health.pace.concurrencyLimit))
            )
            waiting.samples.append(Sample(name: waiting.name, labels: [cluster], value: Double(health.pace.waiting)))
            skipped.samples.append(
                Sample(name: skipped.name, labels: [cluster], value: Double(health.pace.skippedScrapes))
            )
            if let expires = health.credential.expiry {
                expiry.samples.append(
                    Sample(name: expiry.name, labels: [cluster], value: expires.timeIntervalSince1970)
                )
            }
        }
        let series = MetricFamily(
            name: OwnMetric.seriesHeld.name,
            type: .gauge,
            help: OwnMetric.seriesHeld.help,
            samples: [Sample(name: OwnMetric.seriesHeld.name, value: Double(store.seriesCount))]
        )
        return [clusters, targets, expiry, limit, waiting, skipped].filter { !$0.samples.isEmpty } + [series]
    }
}
