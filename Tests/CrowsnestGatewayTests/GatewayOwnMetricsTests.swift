import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Testing

@Suite("The gateway's own metrics (/-/metrics)", .serialized)
struct GatewayOwnMetricsTests {
    @Test(
        "scrapes, durations, API requests by code, watch restarts, reloads and series held, with HELP, strictly valid"
    )
    func ownMetrics() async throws {
        let east = try SimulatedCluster(ClusterConfiguration(name: "east"))
        let west = try SimulatedCluster(ClusterConfiguration(name: "west"))
        try east.addExporterPods(namespace: "shop", count: 2, seriesPerPod: 10, namePrefix: "web")
        let westPods = try west.addExporterPods(namespace: "billing", count: 2, seriesPerPod: 10, namePrefix: "api")
        westPods[1].exporter.behavior = .status(500, body: "boom")
        // Every watch on east is cut after 300 ms: discovery restarts it, and the counter says so.
        east.updateFaults { $0.dropWatchesAfter = .milliseconds(300) }
        try await GatewayHarness.run([east, west]) { harness, _ in
            _ = try await harness.waitForMetrics {
                $0.up(cluster: "east").count == 2 && $0.up(cluster: "west").count == 2
            }
            var families: [MetricFamily] = []
            let deadline = ContinuousClock.now + .seconds(15)
            repeat {
                let (status, body, _) = try await harness.get("/-/metrics")
                #expect(status == 200)
                families = try MetricFamily.parse(Array(body.utf8), format: .text, mode: .strict)
                if families.ownMetricValue("crowsnest_watch_restarts_total", ["cluster": "east"]) > 0,
                    families.ownMetricValue("crowsnest_scrapes_total", ["cluster": "west", "result": "failure"]) > 0
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline

            #expect(families.ownMetricValue("crowsnest_scrapes_total", ["cluster": "east", "result": "success"]) >= 2)
            #expect(families.ownMetricValue("crowsnest_scrapes_total", ["cluster": "west", "result": "failure"]) >= 1)
            #expect(families.ownMetricValue("crowsnest_scrape_duration_seconds_count", ["cluster": "east"]) >= 2)
            #expect(
                families.ownMetricValue("crowsnest_scrape_duration_seconds_bucket", ["cluster": "east", "le": "+Inf"])
                    >= 2
            )
            #expect(
                families.ownMetricValue(
                    "crowsnest_kube_requests_total",
                    ["cluster": "east", "kind": "api", "code": "200"]
                ) >= 1
            )
            #expect(
                families.ownMetricValue(
                    "crowsnest_kube_requests_total",
                    ["cluster": "west", "kind": "proxy", "code": "200"]
                ) >= 1
            )
            #expect(
                families.ownMetricValue(
                    "crowsnest_kube_requests_total",
                    ["cluster": "west", "kind": "proxy", "code": "500"]
                ) >= 1
            )
            #expect(families.ownMetricValue("crowsnest_watch_restarts_total", ["cluster": "east"]) >= 1)
            #expect(families.ownMetricValue("crowsnest_config_reloads_total", ["result": "success"]) >= 1)
            #expect(families.ownMetricValue("crowsnest_cluster_up", ["cluster": "west"]) == 1)
            #expect(families.ownMetricValue("crowsnest_targets", ["cluster": "west", "state": "down"]) == 1)
            #expect(families.ownMetricValue("crowsnest_series_held", [:]) >= 40)
            for family in families {
                #expect(family.help?.isEmpty == false, "\(family.name) has no HELP")
            }
            #expect(families.first { $0.name == "crowsnest_scrape_duration_seconds" }?.type == .histogram)
        }
    }
}

extension [MetricFamily] {
    /// The sum of the samples named `name` whose labels include `labels`.
    func ownMetricValue(_ name: String, _ labels: [String: String]) -> Double {
        flatMap(\.samples)
            .filter { sample in sample.name == name && labels.allSatisfy { sample.label($0.key) == $0.value } }
            .reduce(0) { $0 + $1.value }
    }
}
