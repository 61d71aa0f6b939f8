import Foundation
import Testing

/// The Grafana dashboard's `cluster` variable, evaluated by the real PromQL engine (`promtool test rules`): with
/// "All" selected, panels see only series that have a cluster (the gateway's own series without one stay out).
@Suite("Onboarding: dashboard queries (promtool)", .timeLimit(.minutes(1)))
struct OnboardingDashboardTests {
    static let dashboard = Onboarding.repositoryRoot + "/docker/grafana/dashboards/crowsnest.json"

    /// The dashboard's JSON.
    static func load() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dashboard))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The first expression of the panel titled `title` containing `contains`.
    static func expression(_ json: [String: Any], panel title: String, containing contains: String) throws -> String {
        let panels = json["panels"] as? [[String: Any]] ?? []
        let targets = panels.filter { $0["title"] as? String == title }.flatMap {
            $0["targets"] as? [[String: Any]] ?? []
        }
        return try #require(
            targets.compactMap { $0["expr"] as? String }.first { $0.contains(contains) },
            "no \(title) panel"
        )
    }

    @Test("with All selected, the per-cluster panels leave out series without a cluster label")
    func allLeavesOutSeriesWithoutCluster() throws {
        let json = try Self.load()
        let variables = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let cluster = try #require(variables.first { $0["name"] as? String == "cluster" })
        let all = try #require(cluster["allValue"] as? String)
        func substituted(_ expression: String) -> String {
            expression.replacingOccurrences(of: "$cluster", with: all)
                .replacingOccurrences(of: "$__rate_interval", with: "2m")
        }
        let count = substituted(try Self.expression(json, panel: "Targets up / total", containing: "count by"))
        let states = substituted(try Self.expression(json, panel: "Targets by state", containing: "crowsnest_targets"))
        let test = """
            tests:
              - interval: 1m
                input_series:
                  - series: 'up{job="crowsnest",cluster="east",namespace="n",pod_name="p"}'
                    values: '1 1 1'
                  - series: 'up{job="crowsnest",namespace="n",pod_name="no-cluster"}'
                    values: '1 1 1'
                  - series: 'crowsnest_targets{job="crowsnest-gateway",cluster="east",state="up"}'
                    values: '3 3 3'
                  - series: 'crowsnest_targets{job="crowsnest-gateway",state="up"}'
                    values: '7 7 7'
                promql_expr_test:
                  - expr: '\(count.replacingOccurrences(of: "'", with: "''"))'
                    eval_time: 2m
                    exp_samples:
                      - labels: '{cluster="east"}'
                        value: 1
                  - expr: '\(states.replacingOccurrences(of: "'", with: "''"))'
                    eval_time: 2m
                    exp_samples:
                      - labels: '{cluster="east",state="up"}'
                        value: 3

            """
        let directory = try Onboarding.makeDirectory("dashboard")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/test.yml", test)
        let promtool = try Onboarding.requirePeer("promtool", package: "prometheus")
        let result = try Onboarding.run(promtool, ["test", "rules", directory + "/test.yml"], timeout: 30)
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("SUCCESS"))
    }
}
