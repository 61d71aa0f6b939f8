import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import KubeSim
import Testing

/// `crowsnest serve --shard auto` as a StatefulSet runs it: N processes named `crowsnest-0 … crowsnest-(N-1)` (the
/// `HOSTNAME` a StatefulSet gives its pods) with `CROWSNEST_SHARD=auto` and the count, on one simulated cluster.
@Suite("Sharded gateways (StatefulSet ordinals)", .serialized, .timeLimit(.minutes(3)))
struct ShardedGatewaysTests {
    /// One running `crowsnest serve` process of a shard.
    final class Replica: @unchecked Sendable {
        let process = Process()
        let healthFile: String

        init(ordinal: Int, count: Int, directory: String) throws {
            healthFile = directory + "/health-\(count)-\(ordinal)"
            process.executableURL = try CrowsnestBinary.url()
            process.arguments = [
                "serve", "--config-dir", directory + "/clusters.d", "--listen", "127.0.0.1:0", "--log-level", "warn",
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["POD_NAME"] = nil
            environment["HOSTNAME"] = "crowsnest-\(ordinal)"
            environment["CROWSNEST_SHARD"] = "auto"
            environment["CROWSNEST_SHARD_COUNT"] = String(count)
            environment["CROWSNEST_HEALTH_FILE"] = healthFile
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// The base URL, once the process listens (bounded: 30 s).
        func base() async throws -> String {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let data = FileManager.default.contents(atPath: healthFile) {
                    let url = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    return String(url.dropLast("/-/healthy".count))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw HarnessError("replica did not start listening: \(healthFile)")
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// The pods each of `count` replicas scrapes, once together they cover `expected` pods (bounded: 40 s).
    static func run(count: Int, directory: String, expected: Int, client: HTTPClient) async throws -> [Set<String>] {
        let replicas = try (0..<count).map { try Replica(ordinal: $0, count: count, directory: directory) }
        defer { for replica in replicas { replica.stop() } }
        var bases: [String] = []
        for replica in replicas { bases.append(try await replica.base()) }
        var owned = [Set<String>](repeating: [], count: count)
        let deadline = ContinuousClock.now + .seconds(40)
        while ContinuousClock.now < deadline {
            for (index, base) in bases.enumerated() {
                let (_, body) = await LoopbackHTTP.get(client, base + "/metrics")
                let families = (try? MetricFamily.parse(body, format: .text, mode: .strict)) ?? []
                owned[index] = Set(families.up(cluster: "east").filter { $0.value == 1 }.keys)
            }
            if owned.reduce(0, { $0 + $1.count }) >= expected && owned.allSatisfy({ !$0.isEmpty }) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        return owned
    }

    @Test("N replicas scrape every target exactly once; growing to N+1 moves targets only to the new replica")
    func shardsCoverEveryTargetOnce() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "east"))
        let pods = try cluster.addExporterPods(namespace: "shop", count: 24, seriesPerPod: 3, namePrefix: "web")
        let names = Set(pods.map(\.pod.name))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crowsnest-shards-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory + "/clusters.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await KubeHTTPClient.withClient { client in
            try await SimulatedCluster.withRunning([cluster]) { running in
                try GatewayHarness.writeClusterFile(running[0], into: directory)
                let three = try await Self.run(count: 3, directory: directory, expected: names.count, client: client)
                #expect(three.reduce(Set<String>()) { $0.union($1) } == names, "\(three)")
                #expect(three.reduce(0) { $0 + $1.count } == names.count, "a target scraped twice: \(three)")
                #expect(three.allSatisfy { $0.count >= 3 }, "shares \(three.map(\.count))")

                let four = try await Self.run(count: 4, directory: directory, expected: names.count, client: client)
                #expect(four.reduce(Set<String>()) { $0.union($1) } == names, "\(four)")
                #expect(four.reduce(0) { $0 + $1.count } == names.count, "a target scraped twice: \(four)")
                // Every replica that was there keeps a subset of what it had; the new one takes the rest.
                for index in 0..<3 {
                    #expect(
                        four[index].isSubset(of: three[index]),
                        "replica \(index): \(three[index]) → \(four[index])"
                    )
                }
                let moved = names.count - (0..<3).reduce(0) { $0 + four[$1].count }
                #expect(moved == four[3].count && moved > 0 && moved < names.count / 2, "moved \(moved)")
            }
        }
    }
}
