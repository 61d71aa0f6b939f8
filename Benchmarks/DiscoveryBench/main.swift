// Discovery benchmark: 10 simulated clusters × 5,000 pods, discovered concurrently over one shared HTTP client.
// Prints the time to the first complete target set (all clusters), memory per discovered pod (resident-set growth),
// and API requests per minute in steady state (from the simulators' request logs).
import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import KubeSim
import Logging
import Synchronization

let clusterCount = Int(ProcessInfo.processInfo.environment["BENCH_CLUSTERS"] ?? "") ?? 10
let podsPerCluster = Int(ProcessInfo.processInfo.environment["BENCH_PODS"] ?? "") ?? 5000
let steadySeconds = Int(ProcessInfo.processInfo.environment["BENCH_STEADY_SECONDS"] ?? "") ?? 20

/// Resident set size in bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

final class Progress: Sendable {
    let complete = Mutex<[String: Int]>([:])
    func record(_ cluster: String, _ count: Int) { complete.withLock { $0[cluster] = count } }
    var done: Int { complete.withLock { $0.values.filter { $0 == podsPerCluster }.count } }
}

func runBenchmark() async throws {
    var clusters: [SimulatedCluster] = []
    var tokens: [String] = []
    for index in 0..<clusterCount {
        // Bookmarks every 60 s as a real API server; a steady-state watch stays open (timeoutSeconds ≥ 300 s).
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "bench-\(index)", requestLogCapacity: 1000))
        tokens.append(cluster.issueToken(for: .admin()))
        // Plain pods with a `metrics` port each (named "http" in addPlainPods → use annotated exporter-less pods).
        var pods: [SimulatedPod] = []
        pods.reserveCapacity(podsPerCluster)
        for pod in 0..<podsPerCluster {
            pods.append(
                SimulatedPod(
                    namespace: "ns-\(pod % 20)",
                    name: "app-\(pod)",
                    labels: ["app": "app", "shard": String(pod % 10)],
                    annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"],
                    owner: .init(kind: "ReplicaSet", name: "app-5d8f7c9b6"),
                    nodeName: "node-\(pod % 50)",
                    containers: [
                        .init(
                            name: "app",
                            image: "registry.example/app:1.0",
                            ports: [.init(name: "metrics", containerPort: 9102)]
                        )
                    ],
                    podIP: cluster.pods.allocatePodIP()
                )
            )
        }
        try cluster.pods.add(contentsOf: pods)
        clusters.append(cluster)
    }

    let logger = Logger(label: "bench")
    try await SimulatedCluster.withRunning(clusters) { clusters in
        try await KubeHTTPClient.withClient { http in
            let baseline = residentBytes()
            let progress = Progress()
            let started = ContinuousClock.now
            var firstComplete: Duration?
            var discoveries: [ClusterDiscovery] = []
            for (index, cluster) in clusters.enumerated() {
                let config = ClusterConfig(
                    name: cluster.name,
                    apiServer: try APIServerURL(parsing: cluster.apiServerURL!),
                    tls: TLSSettings(certificateAuthority: .pem(cluster.caCertificatePEM)),
                    auth: .bearerToken(Secret(tokens[index]))
                )
                let client = KubeClusterClient(config: config, httpClient: http, logger: logger)
                discoveries.append(ClusterDiscovery(client: client, logger: logger))
            }
            let snapshot = discoveries
            try await withThrowingTaskGroup(of: Void.self) { group in
                for discovery in snapshot {
                    group.addTask { await discovery.run() }
                    group.addTask {
                        for await update in discovery.targetUpdates() {
                            progress.record(update.cluster, update.targets.count)
                        }
                    }
                }
                // Wait (bounded: 5 minutes) for every cluster's first complete target set.
                let limit = ContinuousClock.now + .seconds(300)
                while progress.done < clusterCount && ContinuousClock.now < limit {
                    try await Task.sleep(for: .milliseconds(10))
                }
                firstComplete = ContinuousClock.now - started
                let afterDiscovery = residentBytes()
                for cluster in clusters { cluster.requestLog.clear() }
                let steadyStart = Date()
                try await Task.sleep(for: .seconds(steadySeconds))
                let requests = clusters.reduce(0) { $0 + $1.requestLog.count { $0.time >= steadyStart } }
                let openWatches = clusters.reduce(0) { $0 + $1.pods.openWatchCount }
                let pods = clusterCount * podsPerCluster
                let minutes = Double(steadySeconds) / 60
                print("DiscoveryBench: \(clusterCount) clusters × \(podsPerCluster) pods = \(pods) pods")
                print(
                    String(
                        format: "  time to first complete target set (all clusters): %.2f s",
                        Double(firstComplete!.components.seconds) + Double(firstComplete!.components.attoseconds) / 1e18
                    )
                )
                print("  complete clusters: \(progress.done)/\(clusterCount)")
                print(
                    String(
                        format: "  memory per discovered pod: %.0f bytes (RSS %.1f MiB → %.1f MiB)",
                        Double(afterDiscovery - baseline) / Double(pods),
                        Double(baseline) / 1_048_576,
                        Double(afterDiscovery) / 1_048_576
                    )
                )
                print(
                    String(
                        format:
                            "  steady state over %d s: %d new API requests = %.1f requests/minute (%d watches open)",
                        steadySeconds,
                        requests,
                        Double(requests) / minutes,
                        openWatches
                    )
                )
                // Each open watch is renewed when its random timeoutSeconds (300–600 s, mean 450 s) ends.
                print(
                    String(
                        format: "  expected long-run rate: %d watches renewed every 300–600 s = %.1f requests/minute "
                            + "(bookmarks arrive on the open watches, no extra requests)",
                        openWatches,
                        Double(openWatches) * 60 / 450
                    )
                )
                group.cancelAll()
            }
        }
    }

}

try await runBenchmark()
