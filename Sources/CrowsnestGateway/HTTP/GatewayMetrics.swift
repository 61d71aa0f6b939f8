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
    static let help: [String: String] = [
        "crowsnest_scrapes_total": "Scrapes per cluster and result.",
        "crowsnest_scrape_duration_seconds": "Scrape durations per cluster (through the API server's pod proxy).",
        "crowsnest_kube_requests_total":
            "Requests to API servers per cluster, kind (api or proxy) and HTTP status code (or error kind).",
        "crowsnest_watch_restarts_total": "Ends of a pod list or watch followed by a new one, per cluster and reason.",
        "crowsnest_config_reloads_total": "Reads of the cluster directory by result.",
    ]

    /// Scrape-duration buckets (seconds).
    static let scrapeDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    private let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory feeding this registry.
    public let factory: any MetricsFactory

    /// Creates an empty registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["crowsnest_scrape_duration_seconds"] = Self.scrapeDurationBuckets
        self.registry = registry
        self.factory = factory
    }

    /// The exposition (text format 0.0.4) of the event metrics and the current state.
    func render(directory: ClusterSupervisor, store: SnapshotStore) -> [UInt8] {
        let entries = directory.entries
        var families = Self.stateFamilies(entries: entries, store: store)
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
        var clusters = MetricFamily(
            name: "crowsnest_cluster_up",
            type: .gauge,
            help: "1 when the cluster runs and its discovery lists pods; 0 when its file is broken, it cannot start, "
                + "or discovery fails."
        )
        var targets = MetricFamily(name: "crowsnest_targets", type: .gauge, help: "Targets per cluster and state (up, down, duplicate: left out, same labels as another target).")
        var expiry = MetricFamily(
            name: "crowsnest_credential_expiry_timestamp_seconds",
            type: .gauge,
            help: "When each cluster's credential expires."
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
                targets.samples.append(Sample(name: targets.name, labels: [cluster, Label("state", state)], value: Double(count)))
            }
            if let expires = health.credential.expiry {
                expiry.samples.append(Sample(name: expiry.name, labels: [cluster], value: expires.timeIntervalSince1970))
            }
        }
        let series = MetricFamily(
            name: "crowsnest_series_held",
            type: .gauge,
            help: "Series held in target snapshots.",
            samples: [Sample(name: "crowsnest_series_held", value: Double(store.seriesCount))]
        )
        return [clusters, targets, expiry].filter { !$0.samples.isEmpty } + [series]
    }
}
