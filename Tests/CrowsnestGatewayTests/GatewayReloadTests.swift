import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// What Prometheus users expect of a component: build info, `process_*`, reload gauges counted per real reload, and a
/// `POST /-/reload` that answers after the reload (200, or 500 with the problems) and re-reads `crowsnest.yaml`.
@Suite("Gateway reload and component metrics", .serialized)
struct GatewayReloadTests {
    static let goodGlobal = "scrape:\n  sample_limit: 0\n"

    @Test("build_info, process_*, reload gauges; POST /-/reload waits and answers 200 or 500; polls are not reloads")
    func reload() async throws {
        let east = try SimulatedCluster(ClusterConfiguration(name: "east"))
        try east.addExporterPods(namespace: "shop", count: 2, seriesPerPod: 5, namePrefix: "web")
        try await GatewayHarness.run([east], globalConfigYAML: Self.goodGlobal) { harness, _ in
            _ = try await harness.waitForMetrics { $0.up(cluster: "east").count == 2 }
            let started = Date().timeIntervalSince1970

            // Component metrics.
            var own = try await harness.ownMetrics()
            let build = try #require(own.flatMap(\.samples).first { $0.name == "crowsnest_build_info" })
            #expect(build.value == 1)
            #expect(build.label("version") == BuildInfo.version)
            #expect(build.label("revision") == BuildInfo.revision)
            #expect(build.label("swift_version")?.hasPrefix("6.") == true)
            let resident = own.ownMetricValue("process_resident_memory_bytes", [:])
            #expect(resident > 4_000_000 && resident < 8_000_000_000, "\(resident)")
            #expect(own.ownMetricValue("process_virtual_memory_bytes", [:]) >= resident)
            #expect(own.ownMetricValue("process_cpu_seconds_total", [:]) > 0)
            #expect(own.first { $0.name == "process_cpu_seconds_total" }?.type == .counter)
            let openFDs = own.ownMetricValue("process_open_fds", [:])
            #expect(openFDs >= 3 && openFDs <= own.ownMetricValue("process_max_fds", [:]))
            let startTime = own.ownMetricValue("process_start_time_seconds", [:])
            #expect(startTime > started - 3600 && startTime <= started + 1, "start \(startTime) vs now \(started)")
            #expect(own.ownMetricValue("crowsnest_config_last_reload_successful", [:]) == 1)
            let firstSuccess = own.ownMetricValue("crowsnest_config_last_reload_success_timestamp_seconds", [:])
            #expect(abs(firstSuccess - started) < 60)

            // Unchanged polls (every 200 ms) are not reloads.
            let reloads = own.ownMetricValue("crowsnest_config_reloads_total", ["result": "success"])
            #expect(reloads >= 1)
            try await Task.sleep(for: .milliseconds(1200))
            own = try await harness.ownMetrics()
            #expect(own.ownMetricValue("crowsnest_config_reloads_total", ["result": "success"]) == reloads)

            // A requested reload: answered after it ran, counted.
            var (status, body) = try await harness.post("/-/reload")
            #expect(status == 200 && body == "Reloaded\n", "\(status) \(body)")
            own = try await harness.ownMetrics()
            #expect(own.ownMetricValue("crowsnest_config_reloads_total", ["result": "success"]) == reloads + 1)
            let secondSuccess = own.ownMetricValue("crowsnest_config_last_reload_success_timestamp_seconds", [:])
            #expect(secondSuccess >= firstSuccess)

            // A broken cluster file: 500 naming it; the last good state keeps serving; the gauges say so.
            let broken = harness.directory + "/clusters.d/broken.yaml"
            try "api_server: https://127.0.0.1:1\nscrape:\n  intervall: 5s\n".write(
                toFile: broken,
                atomically: true,
                encoding: .utf8
            )
            (status, body) = try await harness.post("/-/reload")
            #expect(status == 500, "\(body)")
            #expect(body.contains("broken.yaml") && body.contains("did you mean 'interval'"), "\(body)")
            own = try await harness.ownMetrics()
            #expect(own.ownMetricValue("crowsnest_config_last_reload_successful", [:]) == 0)
            #expect(own.ownMetricValue("crowsnest_config_last_reload_success_timestamp_seconds", [:]) == secondSuccess)
            #expect(own.ownMetricValue("crowsnest_config_reloads_total", ["result": "failure"]) >= 1)
            #expect(try await harness.metrics().up(cluster: "east").count == 2)
            try FileManager.default.removeItem(atPath: broken)

            // crowsnest.yaml is re-read: a Prometheus spelling fails the reload with the hint; fixed, it succeeds.
            let global = harness.directory + "/crowsnest.yaml"
            try "scrape_interval: 30s\n".write(toFile: global, atomically: true, encoding: .utf8)
            (status, body) = try await harness.post("/-/reload")
            #expect(status == 500 && body.contains("crowsnest.yaml") && body.contains("scrape.interval"), "\(body)")
            try Self.goodGlobal.write(toFile: global, atomically: true, encoding: .utf8)

            // Concurrent requests (some arrive while a reload runs) are each answered once their reload is done.
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await harness.post("/-/reload").0 } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(answers == [200, 200, 200, 200])
            own = try await harness.ownMetrics()
            #expect(own.ownMetricValue("crowsnest_config_last_reload_successful", [:]) == 1)
            #expect(try await harness.metrics().up(cluster: "east").count == 2)
        }
    }
}

extension GatewayHarness {
    /// `/-/metrics`, parsed strictly.
    func ownMetrics() async throws -> [MetricFamily] {
        let (status, text, _) = try await get("/-/metrics")
        guard status == 200 else { throw HarnessError("/-/metrics answered \(status)") }
        return try MetricFamily.parse(text, format: .text, mode: .strict)
    }

    /// POSTs to a gateway path; returns status and body text.
    func post(_ path: String) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
