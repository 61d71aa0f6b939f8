import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

/// The shapes the benchmarks use work at their full size (timings are printed, not asserted: tests run in debug).
@Suite("Benchmark-scale shapes", .timeLimit(.minutes(2)))
struct ScaleTests {
    @Test func hundredPodsOfAThousandSeriesThroughTheProxy() async throws {
        try await withCluster { cluster, client in
            try cluster.addExporterPods(namespace: "bench", count: 100, seriesPerPod: 1000)
            let clock = ContinuousClock()
            let start = clock.now
            let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var total = 0
                        for index in stride(from: worker, to: 100, by: 8) {
                            let response = try await client.send(
                                "/api/v1/namespaces/bench/pods/app-\(index):9102/proxy/metrics"
                            )
                            guard response.status == 200 else { throw TestFailure("app-\(index): \(response.status)") }
                            total +=
                                String(buffer: response.body).split(separator: "\n").filter { !$0.hasPrefix("#") }.count
                        }
                        return total
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = clock.now - start
            #expect(sizes == 100 * 1000)
            print("KubeSim: 100 pods × 1000 series scraped through the proxy in \(elapsed) (debug build)")
            #expect(cluster.requestLog.count { $0.kind == .proxy && $0.status == 200 } == 100)
        }
    }

    /// 5,000 pods here (the benchmark lists 10,000 in a release build; a debug build shares two cores with the
    /// rest of the suite).
    @Test func listingThousandsOfPods() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "many", count: 5_000)
            let clock = ContinuousClock()
            let start = clock.now
            let all = try await client.send("/api/v1/pods", timeout: .seconds(60))
            let whole = clock.now - start
            #expect((all.json["items"] as? [Any])?.count == 5_000)
            var token: String?
            var pages = 0
            var items = 0
            let pagedStart = clock.now
            repeat {
                let page = try await client.send("/api/v1/pods?limit=500" + (token.map { "&continue=\($0)" } ?? ""))
                items += (page.json["items"] as? [Any])?.count ?? 0
                token = page.json[path: "metadata", "continue"] as? String
                pages += 1
            } while token != nil && pages < 30
            #expect(pages == 10)
            #expect(items == 5_000)
            print("KubeSim: list of 5,000 pods in \(whole), paged by 500 in \(clock.now - pagedStart) (debug build)")
            _ = cluster
        }
    }
}
