import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import Testing

@testable import CrowsnestKube

@Suite("Discovery against KubeSim", .timeLimit(.minutes(2)))
struct DiscoveryTests {
    static let fast = DiscoveryOptions(
        watchTimeoutSeconds: 300...600,
        initialBackoff: .milliseconds(100),
        maximumBackoff: .seconds(1),
        debounce: .milliseconds(50)
    )

    /// The pods that should be targets: annotated exporter pods, Running, with IP, not terminating.
    static func expected(_ cluster: SimulatedCluster) -> Set<String> {
        Set(
            cluster.pods.all().filter { pod in
                pod.phase == .running && pod.deletionTimestamp == nil && pod.podIP != nil
                    && pod.annotations["prometheus.io/scrape"] == "true"
            }.map(\.key)
        )
    }

    @Test("list+watch converges to the simulator's pod set through add/update/delete churn")
    func convergesThroughChurn() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "churn"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 1200, seriesPerPod: 1)  // more than two pages
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    #expect(updates.latest?.targets.count == 1200)
                    // Churn: add, modify (opt out, terminate, lose IP), delete.
                    try sim.addExporterPods(namespace: "web", count: 30, seriesPerPod: 1, namePrefix: "web")
                    for index in 0..<20 { try sim.pods.delete(namespace: "app", name: "app-\(index)") }
                    try sim.pods.update(namespace: "app", name: "app-100") {
                        $0.annotations["prometheus.io/scrape"] = "false"
                    }
                    try sim.pods.beginDeletion(namespace: "app", name: "app-101")
                    try sim.pods.update(namespace: "app", name: "app-102") {
                        $0.phase = .pending
                        $0.podIP = nil
                    }
                    try sim.pods.update(namespace: "web", name: "web-3") {
                        $0.annotations["prometheus.io/path"] = "/other"
                    }
                    func web3Path() -> String? { updates.latest?.targets.first { $0.key.pod == "web-3" }?.path }
                    #expect(
                        await KubeTestSupport.eventually {
                            updates.latestPods == Self.expected(sim) && web3Path() == "/other"
                        }
                    )
                    #expect(web3Path() == "/other")
                    #expect(updates.latest?.state.condition == .watching)
                    #expect(Set(updates.latest!.targets.map(\.key)).count == updates.latest!.targets.count)
                    // One list (3 pages) + one watch: no polling.
                    let lists = sim.requestLog.count { $0.kind == .list }
                    let watches = sim.requestLog.count { $0.kind == .watch }
                    #expect(lists == 3)
                    #expect(watches == 1)
                    let watch = sim.requestLog.entries { $0.kind == .watch }.first
                    #expect(watch?.queryValue("allowWatchBookmarks") == "true")
                    let timeout = Int(watch?.queryValue("timeoutSeconds") ?? "") ?? 0
                    #expect((300...600).contains(timeout))
                    #expect(sim.requestLog.entries { $0.kind == .list }.first?.queryValue("limit") == "500")
                }
            }
        }
    }

    @Test("a forced 410 leads to exactly one relist and no lost or duplicated target")
    func goneRelistsOnce() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "gone"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 50, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    sim.updateFaults { $0.expireNextWatches = 1 }
                    sim.dropWatches()  // the next watch gets 410
                    try sim.addExporterPods(namespace: "late", count: 5, seriesPerPod: 1, namePrefix: "late")
                    try sim.pods.delete(namespace: "app", name: "app-7")
                    #expect(
                        await KubeTestSupport.eventually {
                            discovery.state.relists == 1 && updates.latestPods == Self.expected(sim)
                        }
                    )
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(sim.requestLog.count { $0.kind == .list } == 2)
                    #expect(discovery.state.relists == 1)
                    let latest = try #require(updates.latest)
                    #expect(Set(latest.targets.map(\.key)).count == latest.targets.count)
                    #expect(latest.targets.count == 54)
                    // No update ever lost a target that existed throughout.
                    for update in updates.updates { #expect(update.targets.contains { $0.key.pod == "app-30" }) }
                }
            }
        }
    }

    @Test("a watch cut mid-stream (connection reset) recovers without relisting")
    func watchCutRecovers() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "cut"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 10, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    sim.dropWatches(.resetConnection)
                    try sim.addExporterPods(namespace: "app", count: 3, seriesPerPod: 1, namePrefix: "after")
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    sim.dropWatches(.endStream)
                    try sim.pods.delete(namespace: "app", name: "after-0")
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    #expect(sim.requestLog.count { $0.kind == .list } == 1)
                    #expect(sim.requestLog.count { $0.kind == .watch } >= 3)
                    // Resumed watches start from a resourceVersion, never from scratch.
                    #expect(
                        sim.requestLog.entries { $0.kind == .watch }.allSatisfy {
                            $0.queryValue("resourceVersion") != nil
                        }
                    )
                }
            }
        }
    }

    @Test("429 with Retry-After is honoured")
    func retryAfterHonoured() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "busy"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 5, seriesPerPod: 1)
        sim.updateFaults {
            $0.failures = [InjectedFailure(.tooManyRequests(retryAfterSeconds: 2), for: .list, times: 1)]
        }
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods == Self.expected(sim) })
                    let lists = sim.requestLog.entries { $0.kind == .list }
                    try #require(lists.count == 2)
                    #expect(lists[0].status == 429)
                    #expect(lists[1].status == 200)
                    let gap = lists[1].time.timeIntervalSince(lists[0].time)
                    #expect(gap >= 1.9, "retried after \(gap) s, asked for 2 s")
                    #expect(gap < 5)
                }
            }
        }
    }

    @Test("namespaces give one list+watch each, and selectors reach the API")
    func namespacesAndSelectors() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "ns"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "a", count: 4, seriesPerPod: 1, labels: ["tier": "web"])
        try sim.addExporterPods(namespace: "b", count: 4, seriesPerPod: 1, labels: ["tier": "db"])
        try sim.addExporterPods(namespace: "c", count: 4, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let discoveryConfig = DiscoveryConfig(
                    namespaces: ["a", "b"],
                    labelSelector: try LabelSelector(parsing: "tier in (web,db)"),
                    fieldSelector: try FieldSelector(parsing: "status.phase=Running")
                )
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        auth: .bearerToken(Secret(token)),
                        discovery: discoveryConfig
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods.count == 8 })
                    #expect(updates.latestPods.allSatisfy { $0.hasPrefix("a/") || $0.hasPrefix("b/") })
                    let lists = sim.requestLog.entries { $0.kind == .list }
                    #expect(Set(lists.map(\.path)) == ["/api/v1/namespaces/a/pods", "/api/v1/namespaces/b/pods"])
                    #expect(lists.allSatisfy { $0.queryValue("labelSelector") == "tier in (web,db)" })
                    #expect(lists.allSatisfy { $0.queryValue("fieldSelector") == "status.phase=Running" })
                    #expect(discovery.state.resourceVersions.keys.sorted() == ["a", "b"])
                }
            }
        }
    }

    @Test("bookmarks move the resourceVersion")
    func bookmarks() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "bm", bookmarkInterval: .milliseconds(200)))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 2, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latestPods.count == 2 })
                    let before = discovery.state.resourceVersion
                    sim.pods.bumpResourceVersion(by: 5)
                    #expect(
                        await KubeTestSupport.eventually {
                            discovery.state.resourceVersion == String(sim.pods.resourceVersion)
                        }
                    )
                    #expect(discovery.state.resourceVersion != before)
                }
            }
        }
    }

    @Test("a list that keeps failing stays failing while it retries, never back to listing")
    func retriesStayFailing() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "refusing"))
        // Each attempt takes a while (two requests: the 401, then the retry after a credential refresh), so a
        // condition set for the length of an attempt is seen by the sampling below.
        cluster.updateFaults { $0.latency = .milliseconds(150) }
        try await SimulatedCluster.withRunning([cluster]) { _ in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(cluster, auth: .bearerToken(Secret("not-a-token"))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"), options: Self.fast)
                try await KubeTestSupport.withDiscovery(discovery) { _ in
                    #expect(
                        await KubeTestSupport.eventually {
                            if case .failing = discovery.state.condition { true } else { false }
                        }
                    )
                    let requestsBefore = cluster.requestLog.count { $0.status == 401 }
                    var seen: Set<String> = []
                    let end = ContinuousClock.now + .seconds(2)
                    while ContinuousClock.now < end {
                        seen.insert(String(discovery.state.condition.description.prefix { $0 != ":" }))
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    #expect(cluster.requestLog.count { $0.status == 401 } >= requestsBefore + 2, "it kept retrying")
                    #expect(seen == ["failing"])
                }
            }
        }
    }

    @Test("one failing cluster does not slow another")
    func failingClusterIsolated() async throws {
        let good = try SimulatedCluster(ClusterConfiguration(name: "good"))
        let bad = try SimulatedCluster(ClusterConfiguration(name: "bad"))
        let token = good.issueToken(for: .admin())
        try good.addExporterPods(namespace: "app", count: 3, seriesPerPod: 1)
        bad.updateFaults { $0.latency = .seconds(30) }
        try await SimulatedCluster.withRunning([good, bad]) { clusters in
            try await KubeTestSupport.withHTTPClient { http in
                let goodClient = KubeClusterClient(
                    config: try KubeTestSupport.config(good, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let badClient = KubeClusterClient(
                    config: try KubeTestSupport.config(bad, auth: .bearerTokenFile(path: "/nonexistent/token")),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let goodDiscovery = ClusterDiscovery(client: goodClient, logger: Logger(label: "t"), options: Self.fast)
                let badDiscovery = ClusterDiscovery(client: badClient, logger: Logger(label: "t"), options: Self.fast)
                let started = ContinuousClock.now
                try await KubeTestSupport.withDiscovery(badDiscovery) { badUpdates in
                    try await KubeTestSupport.withDiscovery(goodDiscovery) { updates in
                        #expect(await KubeTestSupport.eventually { updates.latestPods.count == 3 })
                        #expect(ContinuousClock.now - started < .seconds(5))
                        #expect(
                            await KubeTestSupport.eventually {
                                if case .failing(let error) = badDiscovery.state.condition {
                                    return error.message.contains("/nonexistent/token")
                                }
                                return false
                            }
                        )
                        #expect(
                            badUpdates.latest.map { if case .failing = $0.state.condition { true } else { false } }
                                == true
                        )
                    }
                }
            }
        }
    }
}
