// Times the health page renderer on in-memory reports: 50 clusters × 2,000 targets (issue 6: < 100 ms server time).
//
//   swift run -c release --scratch-path .build-health HealthPageBench
import CrowsnestGateway

let clusters = 50
let targetsPerCluster = 2_000
let now = 1_800_000_000.0
let statuses = ["ok", "ok", "ok", "degraded", "down", "config error"]

func makeReports() -> [ClusterReport] {
    (0..<clusters).map { c in
        let targets = (0..<targetsPerCluster).map { t in
            let up = t % 97 != 0
            return ClusterReport.Target(
                namespace: "namespace-\(t % 20)",
                pod: "deployment-\(t / 20)-7f9c8d6b5-x\(t)",
                port: "metrics",
                labels: [
                    "cluster": "cluster-\(c)", "namespace": "namespace-\(t % 20)",
                    "pod_name": "deployment-\(t / 20)-7f9c8d6b5-x\(t)",
                    "app": "app-\(t / 20)", "team": "team-\(t % 7)", "env": "prod",
                ],
                up: up,
                lastScrapeTime: now - Double(t % 30),
                durationSeconds: 0.012 + Double(t % 50) / 1000,
                samples: 200 + t % 300,
                error: up ? nil : "pod answered HTTP 500: <html>internal error</html>"
            )
        }
        let status = statuses[c % statuses.count]
        return ClusterReport(
            name: "cluster-\(c)",
            file: "/etc/crowsnest/clusters.d/cluster-\(c).yaml",
            status: status,
            configProblems: status == "config error"
                ? ["/etc/crowsnest/clusters.d/cluster-\(c).yaml:3:1: api_server: missing field"] : [],
            discovery: status == "config error" ? nil : "watching",
            lastDiscoveryEventTime: now - 4,
            credentialKind: "bearer_token_file",
            credentialExpiresTime: now + 3_000,
            caExpiresTime: now + 86_400 * 300,
            auth: "ok",
            apiServer: ClusterReport.APIServerCheck(
                reachable: true,
                httpStatus: 200,
                latencyMilliseconds: 3.2,
                checkedAtTime: now - 2
            ),
            targetsUp: targets.filter { $0.up == true }.count,
            targetsTotal: targets.count,
            series: targets.count * 250,
            lastError: status == "ok" ? nil : "discovery failing: <b>connection refused</b>",
            targets: targets,
            refusedPods: [
                ClusterReport.Refused(namespace: "shop", pod: "evil", reason: "unsafe metrics path \"/<script>\"")
            ]
        )
    }
}

/// Median and best of `runs` timings in milliseconds, and the last result's size.
func time(_ runs: Int, _ body: () -> Int) -> (median: Double, best: Double, bytes: Int) {
    var timings: [Double] = []
    var bytes = 0
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let elapsed = clock.measure { bytes = body() }
        timings.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    timings.sort()
    return (timings[timings.count / 2], timings[0], bytes)
}

func show(_ name: String, _ result: (median: Double, best: Double, bytes: Int)) {
    let median = (result.median * 100).rounded() / 100
    let best = (result.best * 100).rounded() / 100
    print("\(name): median \(median) ms, best \(best) ms, \(result.bytes / 1024) KiB")
}

let reports = makeReports()
print("HealthPageBench: \(clusters) clusters × \(targetsPerCluster) targets (\(clusters * targetsPerCluster) targets)")
show("overview page GET / (50 rows)", time(50) { HealthPage.overview(reports, now: now).utf8.count })
show(
    "one cluster page GET /clusters/{name} (2,000 targets)",
    time(20) { HealthPage.cluster(reports[0], now: now).utf8.count }
)
show(
    "all 50 cluster pages (100,000 target rows)",
    time(3) { reports.reduce(0) { $0 + HealthPage.cluster($1, now: now).utf8.count } }
)
let overview = time(50) { HealthPage.overview(reports, now: now).utf8.count }
print(overview.median < 100 ? "PASS overview under 100 ms" : "FAIL overview took \(overview.median) ms (budget 100 ms)")
