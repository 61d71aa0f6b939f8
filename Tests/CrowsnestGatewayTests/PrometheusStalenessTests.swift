import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Testing

/// What the README says about staleness, shown with Debian's real Prometheus scraping the gateway every second: when a
/// pod is deleted, its series end within one interval with `timestamps: false`, and linger (Prometheus' 5-minute
/// lookback: it writes no staleness marker for samples that carry their own timestamp) with the default timestamps.
///
/// The Prometheus here is 2.42; `track_timestamps_staleness: true` (2.48) is not available to test.
@Suite("Real Prometheus: a deleted pod's series and staleness", .serialized, .timeLimit(.minutes(2)))
struct PrometheusStalenessTests {
    static let job = "crowsnest"

    @Test(
        "a deleted pod's series: ended within one interval with timestamps: false, still there with timestamps",
        arguments: [false, true]
    )
    func deletedPod(timestamps: Bool) async throws {
        let prometheus = try PeerBinary.require("prometheus", debianPackage: "prometheus")
        let scratch = try TemporaryDirectory("crowsnest-staleness")
        defer { scratch.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "east"))
        try cluster.addFrozenExporterPod(namespace: "shop", name: "web-0")
        try cluster.addFrozenExporterPod(namespace: "shop", name: "web-1")
        try await GatewayHarness.run([cluster], timestamps: timestamps) { harness, clusters in
            _ = try await harness.waitForMetrics(seconds: 20) { $0.up(cluster: "east").count == 2 }
            let port = try freeLoopbackPort()
            let config = try scratch.write(
                "prometheus.yml",
                PrometheusScrapeTests.prometheusConfig(gatewayPort: harness.port)
            )
            let child = try PeerProcess.prometheus(prometheus, config: config, port: port, scratch: scratch)
            defer { child.stop() }
            let api = PrometheusAPI(client: harness.httpClient, base: "http://127.0.0.1:\(port)")
            let web1 = #"up{job="\#(Self.job)",cluster="east",pod_name="web-1"}"#
            let web0 = #"up{job="\#(Self.job)",cluster="east",pod_name="web-0"}"#

            // Both pods' series reach Prometheus (bounded: 30 s).
            var present = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !present && ContinuousClock.now < deadline && child.isRunning {
                present = ((try? await api.query(web1)) ?? []).count == 1
                if !present { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(present, "web-1 never reached Prometheus: \(child.stderr)")

            // The pod goes; the gateway stops serving its series.
            try clusters[0].pods.delete(namespace: "shop", name: "web-1")
            let gone = try await harness.waitForMetrics(seconds: 15) { $0.up(cluster: "east").count == 1 }
            #expect(gone.up(cluster: "east").count == 1)

            // Three Prometheus scrape intervals later.
            try await Task.sleep(for: .seconds(3))
            let after = try await api.query(web1)
            let other = try await api.query(web0)
            #expect(other.count == 1, "the remaining pod's series stays: \(other)")
            if timestamps {
                #expect(after.count == 1, "with scrape timestamps the deleted pod's series lingers: \(after)")
            } else {
                #expect(after.isEmpty, "with timestamps: false the deleted pod's series ends at once: \(after)")
            }
            #expect(child.isRunning, "Prometheus exited: \(child.stderr)")
        }
    }
}
