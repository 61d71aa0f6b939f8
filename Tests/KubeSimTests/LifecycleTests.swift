import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Lifecycle and connection faults", .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test func stopAndResumeOnTheSamePort() async throws {
        try await withCluster { cluster, client in
            let port = try #require(cluster.port)
            #expect(try await client.send("/version").status == 200)
            cluster.stopListening()
            #expect(!cluster.isListening)
            await #expect(throws: (any Error).self) { _ = try await client.send("/version", timeout: .seconds(3)) }
            let again = try await cluster.resumeListening()
            #expect(again == port)
            #expect(try await client.send("/version").status == 200)
            // The request sent while stopped may have been read on a pooled connection before the reset landed.
            let entries = cluster.requestLog.entries.filter { $0.path == "/version" }
            #expect((2...3).contains(entries.count))
        }
    }

    @Test func resetConnectionsBreaksOpenWatches() async throws {
        try await withCluster { cluster, client in
            do {
                let result = try await client.watch(
                    "/api/v1/pods?watch=1",
                    whileOpen: {
                        try await waitForWatch(cluster)
                        cluster.resetConnections()
                    }
                )
                #expect(result.endedByServer)
            } catch {
                // A reset may also surface as an error: either way the watch is gone.
            }
            for _ in 0..<100 where cluster.pods.openWatchCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(cluster.pods.openWatchCount == 0)
        }
    }

    enum Outcome: Sendable, Equatable {
        case serverStopped, watchEnded, proxyEnded
    }

    @Test func shutdownClosesListenersWatchesAndHungProxies() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "shutdown"))
        let token = cluster.issueToken(for: .admin())
        let made = try cluster.addExporterPods(namespace: "a", count: 1, seriesPerPod: 100)
        made[0].exporter.behavior = .hang
        let (stop, stopper) = AsyncStream<Void>.makeStream()
        try await HTTPClient.withHTTPClient { http in
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    try await cluster.withRunning { _ in
                        for await _ in stop {}
                    }
                    return .serverStopped
                }
                try await cluster.waitUntilListening()
                let client = try TestClient(http: http, cluster: cluster, token: token)
                group.addTask {
                    _ = try? await client.watch("/api/v1/pods?watch=1", timeout: .seconds(30))
                    return .watchEnded
                }
                group.addTask {
                    _ = try? await client.send("/api/v1/namespaces/a/pods/app-0/proxy/metrics", timeout: .seconds(30))
                    return .proxyEnded
                }
                try await waitForWatch(cluster)
                for _ in 0..<200 where made[0].exporter.scrapeCount == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(made[0].exporter.scrapeCount == 1)
                let clock = ContinuousClock()
                let start = clock.now
                stopper.finish()
                var outcomes: [Outcome] = []
                for try await outcome in group { outcomes.append(outcome) }
                #expect(clock.now - start < .seconds(10))
                return outcomes
            }
            #expect(Set(outcomes) == [.serverStopped, .watchEnded, .proxyEnded])
            #expect(cluster.pods.openWatchCount == 0)
            #expect(!cluster.isListening)
            let client = try TestClient(http: http, cluster: cluster, token: token)
            await #expect(throws: (any Error).self) { _ = try await client.send("/version", timeout: .seconds(3)) }
        }
    }

    @Test func runsAgainOnTheSamePort() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "again"))
        let token = cluster.issueToken(for: .admin())
        try cluster.addPlainPods(namespace: "a", count: 2)
        let first = try await cluster.withRunning { $0.port }
        let second = try await cluster.withRunning { cluster in
            try await HTTPClient.withHTTPClient { http in
                let client = try TestClient(http: http, cluster: cluster, token: token)
                #expect(try await client.send("/api/v1/pods").json["items"].map { ($0 as? [Any])?.count } == 2)
            }
            return cluster.port
        }
        #expect(first == second)
    }

    @Test func manyClustersInOneProcess() async throws {
        let clusters = try (0..<4).map { try SimulatedCluster(ClusterConfiguration(name: "c\($0)")) }
        let tokens = clusters.map { $0.issueToken(for: .admin()) }
        try await SimulatedCluster.withRunning(clusters) { clusters in
            #expect(Set(clusters.compactMap(\.port)).count == 4)
            try await HTTPClient.withHTTPClient { http in
                for (cluster, token) in zip(clusters, tokens) {
                    let client = try TestClient(http: http, cluster: cluster, token: token)
                    #expect(try await client.send("/api/v1/pods").status == 200)
                    var foreign = client
                    foreign.token = tokens[(tokens.firstIndex(of: token)! + 1) % tokens.count]
                    #expect(try await foreign.send("/api/v1/pods").status == 401)
                }
            }
        }
    }

    @Test func tlsVariants() async throws {
        for kind in [ServingCertificateKind.expired, .wrongHost] {
            var configuration = ClusterConfiguration(name: "tls")
            configuration.servingCertificate = kind
            _ = try await withCluster(configuration) { _, client in
                await #expect(throws: (any Error).self, "\(kind) certificate must fail verification") {
                    _ = try await client.send("/version", timeout: .seconds(5))
                }
            }
        }
    }
}
