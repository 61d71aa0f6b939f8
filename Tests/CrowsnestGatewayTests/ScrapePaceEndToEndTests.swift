import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Testing

/// Behind a slow pod proxy (KubeSim adding 600 ms to every proxied request), 100 targets every second need about 60
/// scrapes out at once: the concurrency limit grows past its start of 32 until none waits; capped at 32 by
/// `max_concurrent_scrapes`, the cluster falls behind and `/-/metrics` and the health page say so.
@Suite("Scrape pace behind a slow proxy", .serialized, .timeLimit(.minutes(3)))
struct ScrapePaceEndToEndTests {
    static func slowCluster() throws -> SimulatedCluster {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "far"))
        _ = try cluster.addExporterPods(namespace: "shop", count: 100, seriesPerPod: 5)
        cluster.updateFaults { $0.proxyLatency = .milliseconds(600) }
        return cluster
    }

    /// The value of `name{cluster="far"}` on `/-/metrics`.
    static func own(_ harness: GatewayHarness, _ name: String) async throws -> Double? {
        let text = try await harness.get("/-/metrics").1
        return try MetricFamily.parse(text, format: .text).allSamples.first {
            $0.name == name && $0.labels.contains(Label("cluster", "far"))
        }?.value
    }

    @Test("the limit grows until no due scrape waits")
    func grows() async throws {
        try await GatewayHarness.run([try Self.slowCluster()]) { harness, _ in
            var limit = 0.0
            var waiting = 1.0
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                limit = try await Self.own(harness, "crowsnest_scrape_concurrency_limit") ?? 0
                waiting = try await Self.own(harness, "crowsnest_scrapes_waiting") ?? 1
                if limit > 50 && waiting == 0 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(limit > 50 && limit <= 256, "limit \(limit)")
            // Settled: over the next five seconds (five intervals) no due scrape is skipped.
            let before = try await Self.own(harness, "crowsnest_scrapes_skipped_total") ?? -1
            try await Task.sleep(for: .seconds(5))
            let after = try await Self.own(harness, "crowsnest_scrapes_skipped_total") ?? -1
            #expect(after - before <= 5, "skipped \(after - before) scrapes in 5 s after the limit settled")
        }
    }

    @Test("capped by max_concurrent_scrapes, the cluster falls behind and says so")
    func capped() async throws {
        try await GatewayHarness.run([try Self.slowCluster()], scrapeSettings: "  max_concurrent_scrapes: 32\n") {
            harness,
            _ in
            var skipped = 0.0
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                skipped = try await Self.own(harness, "crowsnest_scrapes_skipped_total") ?? 0
                if skipped > 50 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(skipped > 50)
            #expect(try await Self.own(harness, "crowsnest_scrape_concurrency_limit") == 32)
            let page = try await harness.get("/clusters/far").1
            #expect(page.contains("due scrapes skipped since the start"), "\(page)")
            let json = try await harness.get("/api/v1/clusters/far").1
            #expect(json.contains("\"concurrencyCeiling\" : 32"), "\(json)")
        }
    }
}
