import CrowsnestCore
import Foundation

/// The per-cluster health model, as the JSON API (and the health page) present it. Secret-free by construction:
/// it is built only from names, counts, states and plain-words errors.
struct ClusterReport: Encodable, Sendable {
    struct Target: Encodable, Sendable {
        var namespace: String
        var pod: String
        var port: String
        var labels: [String: String]
        var up: Bool?
        var lastScrape: String?
        var durationSeconds: Double?
        var samples: Int?
        var error: String?
    }

    struct Refused: Encodable, Sendable {
        var namespace: String
        var pod: String
        var reason: String
    }

    var name: String
    var file: String
    var status: String
    var configProblems: [String]
    var runningLastGoodVersion: Bool
    var discovery: String?
    var discoveryError: String?
    var lastDiscoveryEvent: String?
    var credentialKind: String?
    var credentialExpiresAt: String?
    var caExpiresAt: String?
    var insecureSkipVerify: Bool?
    var targetsUp: Int
    var targetsTotal: Int
    var series: Int
    var lastError: String?
    var targets: [Target]?
    var refusedPods: [Refused]?

    static func all(directory: ClusterDirectoryService, store: SnapshotStore, detailed: Bool = false) -> [ClusterReport] {
        directory.entries.map { entry in
            var report = ClusterReport(
                name: entry.name,
                file: entry.file,
                status: "config error",
                configProblems: entry.problems.map(\.description),
                runningLastGoodVersion: entry.runningLastGoodVersion,
                targetsUp: 0,
                targetsTotal: 0,
                series: 0
            )
            guard let runtime = entry.runtime else {
                report.lastError = entry.startError ?? entry.problems.first { $0.isError }?.description
                report.status = entry.startError != nil ? "down" : "config error"
                return report
            }
            let statuses = runtime.scraper.targetStatuses
            let discovery = runtime.discoveryStatus
            let credential = runtime.credentialSummary
            report.discovery = discovery.state
            report.discoveryError = discovery.lastError
            report.lastDiscoveryEvent = discovery.lastEventMilliseconds.map { iso(Double($0) / 1000) }
            report.credentialKind = credential.kind
            report.credentialExpiresAt = credential.expiresAt.map(iso)
            report.caExpiresAt = credential.caExpiresAt.map(iso)
            report.insecureSkipVerify = credential.insecureSkipVerify
            report.targetsTotal = statuses.count
            report.targetsUp = statuses.filter { $0.lastHealth?.up == true }.count
            report.series = store.snapshots(cluster: entry.name).reduce(0) { $0 + $1.seriesCount }
            let failing = statuses.first { $0.lastHealth?.up == false }
            report.lastError = discovery.lastError ?? credential.lastError ?? failing?.lastHealth?.error
            if discovery.state == "failing" && statuses.isEmpty {
                report.status = "down"
            } else if report.targetsUp < report.targetsTotal || discovery.state == "failing" || !entry.problems.filter(\.isError).isEmpty {
                report.status = "degraded"
            } else {
                report.status = "ok"
            }
            if detailed {
                report.targets = statuses.map { status in
                    Target(
                        namespace: status.target.key.namespace,
                        pod: status.target.key.pod,
                        port: status.target.key.port,
                        labels: Dictionary(status.target.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                        up: status.lastHealth?.up,
                        lastScrape: status.lastHealth.map { iso(Double($0.timestampMilliseconds) / 1000) },
                        durationSeconds: status.lastHealth?.durationSeconds,
                        samples: status.lastHealth?.samplesScraped,
                        error: status.lastHealth?.error
                    )
                }
                report.refusedPods = runtime.refusedPods.map { Refused(namespace: $0.namespace, pod: $0.pod, reason: $0.reason) }
            }
            return report
        }
    }

    static func iso(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

/// The gateway's own metrics (`/-/metrics`).
enum GatewayMetrics {
    static func render(directory: ClusterDirectoryService, store: SnapshotStore) -> String {
        var families: [MetricFamily] = []
        var targets = MetricFamily(name: "crowsnest_targets", type: .gauge, help: "Targets per cluster and state.")
        var scrapes = MetricFamily(name: "crowsnest_scrapes_total", type: .counter, help: "Scrapes per cluster and result.")
        var expiry = MetricFamily(name: "crowsnest_credential_expiry_timestamp_seconds", type: .gauge, help: "When each cluster's credential expires.")
        var clusters = MetricFamily(name: "crowsnest_cluster_up", type: .gauge, help: "1 when the cluster runs, 0 when its file is broken or it cannot start.")
        for entry in directory.entries {
            clusters.samples.append(Sample(name: "crowsnest_cluster_up", labels: [Label("cluster", entry.name)], value: entry.runtime == nil ? 0 : 1))
            guard let runtime = entry.runtime else { continue }
            let statuses = runtime.scraper.targetStatuses
            let up = statuses.filter { $0.lastHealth?.up == true }.count
            targets.samples.append(Sample(name: targets.name, labels: [Label("cluster", entry.name), Label("state", "up")], value: Double(up)))
            targets.samples.append(Sample(name: targets.name, labels: [Label("cluster", entry.name), Label("state", "down")], value: Double(statuses.count - up)))
            let counters = runtime.scraper.counters
            scrapes.samples.append(Sample(name: scrapes.name, labels: [Label("cluster", entry.name), Label("result", "success")], value: Double(counters.scrapes - counters.failures)))
            scrapes.samples.append(Sample(name: scrapes.name, labels: [Label("cluster", entry.name), Label("result", "failure")], value: Double(counters.failures)))
            if let expires = runtime.credentialSummary.expiresAt {
                expiry.samples.append(Sample(name: expiry.name, labels: [Label("cluster", entry.name)], value: expires))
            }
        }
        var reloads = MetricFamily(name: "crowsnest_config_reloads_total", type: .counter, help: "Reads of the cluster directory by result.")
        for (result, count) in directory.reloadResults.sorted(by: { $0.key < $1.key }) {
            reloads.samples.append(Sample(name: reloads.name, labels: [Label("result", result)], value: Double(count)))
        }
        let series = MetricFamily(
            name: "crowsnest_series_held",
            type: .gauge,
            help: "Series held in target snapshots.",
            samples: [Sample(name: "crowsnest_series_held", value: Double(store.seriesCount))]
        )
        families = [clusters, expiry, reloads, scrapes, series, targets].filter { !$0.samples.isEmpty || $0.name == "crowsnest_series_held" }
        return String(decoding: ExpositionWriter.write(families, format: .text), as: UTF8.self)
    }
}
