// KubeSim benchmark: the simulator must never be what limits a benchmark.
// Prints pod-proxy scrapes per second over TLS on loopback (100 pods × 1,000 series, gzip, 32 concurrent) and the
// latency of listing 10,000 pods (one page and paged by 500), and node-proxy cAdvisor scrapes per second (20 nodes
// × 110 pods, the body a kubelet of a full node sends).
import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

let podCount = Int(ProcessInfo.processInfo.environment["BENCH_PODS"] ?? "") ?? 100
let seriesPerPod = Int(ProcessInfo.processInfo.environment["BENCH_SERIES"] ?? "") ?? 1000
let scrapeSeconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 10
let concurrency = 32

final class Counters: Sendable {
    let value = Mutex((scrapes: 0, bytes: 0, failures: 0))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func client(for cluster: SimulatedCluster, http: HTTPClient, logger: Logger) throws -> KubeClusterClient {
    let token = cluster.issueToken(for: .admin())
    let config = ClusterConfig(
        name: cluster.name,
        apiServer: try APIServerURL(parsing: cluster.apiServerURL!),
        tls: TLSSettings(certificateAuthority: .pem(cluster.caCertificatePEM)),
        auth: .bearerToken(Secret(token))
    )
    return KubeClusterClient(config: config, httpClient: http, logger: logger, queriesPerSecond: 1000, burst: 1000)
}

func drain(_ response: HTTPClientResponse) async throws -> Int {
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.readableBytes }
    return bytes
}

func runBenchmark() async throws {
    let logger = Logger(label: "kubesim-bench")
    let scrapeCluster = try SimulatedCluster(ClusterConfiguration(name: "scrape"))
    let made = try scrapeCluster.addExporterPods(namespace: "bench", count: podCount, seriesPerPod: seriesPerPod)
    let listCluster = try SimulatedCluster(ClusterConfiguration(name: "list"))
    try listCluster.addPlainPods(namespace: "bulk", count: 10_000)

    let nodeCluster = try SimulatedCluster(ClusterConfiguration(name: "nodes"))
    try nodeCluster.addNodes(count: 20)
    try nodeCluster.addPlainPods(namespace: "dense", count: 20 * 110)  // node-(i % 20 + 1): 110 pods per node

    try await SimulatedCluster.withRunning([scrapeCluster, listCluster, nodeCluster]) { clusters in
        try await KubeHTTPClient.withClient(connectionsPerCluster: concurrency) { http in
            let scraper = try client(for: clusters[0], http: http, logger: logger)
            let paths = made.map { "/api/v1/namespaces/bench/pods/http:\($0.pod.name):9102/proxy/metrics" }
            var headers = HTTPHeaders()
            headers.add(name: "Accept-Encoding", value: "gzip")
            headers.add(name: "Accept", value: "text/plain;version=0.0.4")
            let counters = Counters()
            let requestHeaders = headers
            let start = ContinuousClock.now
            let end = start + .milliseconds(Int64(scrapeSeconds * 1000))
            await withDiscardingTaskGroup { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var index = worker
                        while ContinuousClock.now < end {
                            let path = paths[index % paths.count]
                            index += concurrency
                            do {
                                let response = try await scraper.proxyGet(
                                    path: path,
                                    headers: requestHeaders,
                                    deadline: .now() + .seconds(30)
                                )
                                let bytes = try await drain(response)
                                counters.value.withLock {
                                    $0.scrapes += 1
                                    $0.bytes += bytes
                                    if response.status != .ok { $0.failures += 1 }
                                }
                            } catch {
                                counters.value.withLock { $0.failures += 1 }
                            }
                        }
                    }
                }
            }
            let elapsed = seconds(ContinuousClock.now - start)
            let result = counters.value.withLock { $0 }
            print("KubeSimBench")
            print(
                String(
                    format:
                        "  pod proxy over TLS: %d pods × %d series, %d concurrent, gzip: %.0f scrapes/s = %.2f M series/s (%.1f MiB/s on the wire, %d failures, %.1f s)",
                    podCount,
                    seriesPerPod,
                    concurrency,
                    Double(result.scrapes) / elapsed,
                    Double(result.scrapes * seriesPerPod) / elapsed / 1e6,
                    Double(result.bytes) / elapsed / 1_048_576,
                    result.failures,
                    elapsed
                )
            )

            let lister = try client(for: clusters[1], http: http, logger: logger)
            var single: [Double] = []
            var paged: [Double] = []
            for _ in 0..<3 {
                let t0 = ContinuousClock.now
                _ = try await drain(try await lister.get(path: "/api/v1/pods", deadline: .now() + .seconds(120)))
                single.append(seconds(ContinuousClock.now - t0))
                let t1 = ContinuousClock.now
                var token: String?
                repeat {
                    var query = "limit=500"
                    if let token { query += "&continue=\(token)" }
                    let response = try await lister.get(
                        path: "/api/v1/pods",
                        query: query,
                        deadline: .now() + .seconds(120)
                    )
                    let body = try await response.body.collect(upTo: 256 << 20)
                    let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
                    token = ((object?["metadata"] as? [String: Any])?["continue"] as? String).flatMap {
                        $0.isEmpty ? nil : $0
                    }
                } while token != nil
                paged.append(seconds(ContinuousClock.now - t1))
            }
            print(
                String(
                    format: "  list of 10,000 pods: %.0f ms in one response, %.0f ms paged by 500 (best of 3)",
                    single.min()! * 1000,
                    paged.min()! * 1000
                )
            )

            // Node proxy: cAdvisor bodies of 110 pods, 8 concurrent, gzip as Prometheus asks.
            let nodeScraper = try client(for: clusters[2], http: http, logger: logger)
            let nodeCounters = Counters()
            let nodeStart = ContinuousClock.now
            let nodeEnd = nodeStart + .milliseconds(Int64(scrapeSeconds * 1000))
            let nodeConcurrency = 8
            await withDiscardingTaskGroup { group in
                for worker in 0..<nodeConcurrency {
                    group.addTask {
                        var index = worker
                        while ContinuousClock.now < nodeEnd {
                            let path = "/api/v1/nodes/node-\(index % 20 + 1)/proxy/metrics/cadvisor"
                            index += nodeConcurrency
                            do {
                                let response = try await nodeScraper.proxyGet(
                                    path: path,
                                    headers: requestHeaders,
                                    deadline: .now() + .seconds(60)
                                )
                                let bytes = try await drain(response)
                                nodeCounters.value.withLock {
                                    $0.scrapes += 1
                                    $0.bytes += bytes
                                    if response.status != .ok { $0.failures += 1 }
                                }
                            } catch {
                                nodeCounters.value.withLock { $0.failures += 1 }
                            }
                        }
                    }
                }
            }
            let nodeElapsed = seconds(ContinuousClock.now - nodeStart)
            let nodeResult = nodeCounters.value.withLock { $0 }
            let node = clusters[2].nodes.get("node-1")!
            let nodePods = clusters[2].pods(onNode: "node-1")
            var renderTimes: [Double] = []
            for _ in 0..<3 {
                let t0 = ContinuousClock.now
                _ = node.kubelet.render(.cadvisor, node: node, pods: nodePods)
                renderTimes.append(seconds(ContinuousClock.now - t0))
            }
            let plain = node.kubelet.render(.cadvisor, node: node, pods: nodePods)
            let plainText = String(buffer: plain)
            let seriesPerNode = plainText.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            print(
                String(
                    format:
                        "  node proxy cAdvisor: 20 nodes × 110 pods (%d series, %.1f MiB per body), %d concurrent, gzip: %.1f scrapes/s = %.2f M series/s (%d failures, %.1f s)",
                    seriesPerNode,
                    Double(plain.readableBytes) / 1_048_576,
                    nodeConcurrency,
                    Double(nodeResult.scrapes) / nodeElapsed,
                    Double(nodeResult.scrapes * seriesPerNode) / nodeElapsed / 1e6,
                    nodeResult.failures,
                    nodeElapsed
                )
            )
            print(
                String(
                    format: "  one cAdvisor body of 110 pods rendered in %.0f ms (best of 3; bodies are reused within "
                        + "the kubelet's 10 s housekeeping window)",
                    renderTimes.min()! * 1000
                )
            )
        }
    }
}

try await runBenchmark()
