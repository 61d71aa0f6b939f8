import CrowsnestCore
import Foundation
import KubeSim
import Testing

/// The fault matrix, cluster-file rows (issue 8): a broken, duplicated or vanished cluster file, or a credential
/// that cannot be obtained, affects only its own cluster; the gateway keeps serving and says what is wrong.
@Suite("Fault matrix: cluster files", .serialized)
struct FaultMatrixConfigTests {
    /// A broken edit of a running cluster's file: reported, the last good version keeps running (so `beta` stays
    /// scraped); fixing the file clears the report.
    static func brokenEditRow(_ matrix: FaultMatrix, append: String, reason: String) async throws {
        let file = matrix.clusterFile("beta")
        let good = try String(contentsOfFile: file, encoding: .utf8)
        try await matrix.expectHealthy(matrix.clusters.map(\.name))
        try matrix.write(good + append, to: file)
        try await matrix.expectFault("beta", "the file's problem while the last good version runs") { health in
            guard let health else { return false }
            return health.runningLastGoodVersion == true && health.status == "degraded"
                && health.configProblems?.contains { $0.contains("beta.yaml:") && $0.lowercased().contains(reason) }
                    == true
                && health.targetsUp == 5
        }
        try await matrix.expectServingAndLabels()
        try await matrix.expectHealthy(matrix.others(than: "beta"), seconds: 3)
        try await matrix.expectHealthy(["beta"], seconds: 3, scrapingOnly: true)
        // A new file broken the same way never runs: `config error` with the same reason.
        try matrix.write(
            good.replacingOccurrences(of: "name: \"beta\"", with: "name: \"delta\"") + append,
            to: matrix.harness.directory + "/clusters.d/delta.yaml"
        )
        try await matrix.expectFault("delta", "config error") { health in
            guard let health else { return false }
            return health.status == "config error" && health.mentions(reason) && health.targetsTotal == 0
        }
        try FileManager.default.removeItem(atPath: matrix.harness.directory + "/clusters.d/delta.yaml")
        try matrix.write(good, to: file)
        try await matrix.expectFault("beta", "no problem after the fix") { health in
            guard let health else { return false }
            return health.runningLastGoodVersion == false && health.configProblems?.isEmpty == true
        }
        try await matrix.expectHealthy(matrix.clusters.map(\.name))
        let (_, all, _) = try await matrix.harness.get("/api/v1/clusters")
        #expect(!all.contains("delta"))
    }

    @Test("cluster file: invalid YAML")
    func invalidYAML() async throws {
        try await FaultMatrix.run { matrix in
            try await Self.brokenEditRow(matrix, append: "labels: [unclosed\n", reason: "invalid yaml")
        }
    }

    @Test("cluster file: unknown field")
    func unknownField() async throws {
        try await FaultMatrix.run { matrix in
            try await Self.brokenEditRow(
                matrix,
                append: "scrap:\n  interval: 2s\n",
                reason: "unknown field; did you mean 'scrape'?"
            )
        }
    }

    @Test("cluster file: missing CA file")
    func missingCAFile() async throws {
        try await FaultMatrix.run { matrix in
            let caFile = matrix.caFile("beta")
            let pem = try String(contentsOfFile: caFile, encoding: .utf8)
            try await matrix.row(
                "beta",
                inject: { try FileManager.default.removeItem(atPath: caFile) },
                during: "the missing CA file named in the file's problems and the cluster's errors",
                until: { health in
                    guard let health else { return false }
                    return health.configProblems?.contains { $0.contains("ca_file") } == true
                        && health.lastError?.contains("beta.crt") == true && health.targetsUp == 0
                        && health.isIn("degraded", "down")
                },
                heal: { try matrix.write(pem, to: caFile) }
            )
        }
    }

    @Test("cluster file: exec plugin that hangs")
    func execPluginHangs() async throws {
        try await FaultMatrix.run { matrix in
            let plugin = matrix.harness.directory + "/hanging-plugin.sh"
            try matrix.write("#!/bin/sh\nsleep 60\n", to: plugin)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
            let file = matrix.clusterFile("beta")
            let good = try String(contentsOfFile: file, encoding: .utf8)
            try await matrix.row(
                "beta",
                inject: {
                    try matrix.rewriteClusterFile("beta") { line in
                        line.hasPrefix("  bearer_token_file:")
                            ? "  exec:\n    command: \(plugin)\n    api_version: client.authentication.k8s.io/v1\n    timeout: 1s"
                            : line
                    }
                },
                during: "the plugin killed after its timeout, auth failing",
                until: { health in
                    guard let health else { return false }
                    return health.status == "down" && health.auth == "failing"
                        && health.mentions("did not finish within 1s and was killed") && health.credentialKind == "exec"
                },
                heal: { try matrix.write(good, to: file) }
            )
            // The killed plugin left no process behind.
            let leftovers = try Self.processes(matching: plugin)
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }

    @Test("cluster file: duplicate name (a copy of a running cluster's file keeps the original running)")
    func duplicateName() async throws {
        try await FaultMatrix.run { matrix in
            let copy = matrix.harness.directory + "/clusters.d/beta-copy.yaml"
            _ = try await matrix.expectHealthy(matrix.clusters.map(\.name))
            try FileManager.default.copyItem(atPath: matrix.clusterFile("beta"), toPath: copy)
            // The newcomer is rejected with the reason; the running cluster keeps running and scraping.
            var listing = ""
            for _ in 0..<60 {
                listing = try await matrix.harness.get("/api/v1/clusters").1
                if listing.contains("beta-copy.yaml")
                    && listing.contains("already claimed by beta.yaml, which keeps running")
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(listing.contains("already claimed by beta.yaml, which keeps running"), "\(listing.prefix(2000))")
            try await Task.sleep(for: .seconds(2))
            _ = try await matrix.expectHealthy(matrix.clusters.map(\.name))
            let beta = try #require(try await matrix.health("beta"))
            #expect(beta.status == "ok" && beta.series > 0, "\(beta.summary)")
            try FileManager.default.removeItem(atPath: copy)
            for _ in 0..<60 {
                listing = try await matrix.harness.get("/api/v1/clusters").1
                if !listing.contains("beta-copy.yaml") { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(!listing.contains("beta-copy.yaml"))
            _ = try await matrix.expectHealthy(matrix.clusters.map(\.name))
        }
    }

    @Test("cluster file: deleted mid-scrape")
    func deletedMidScrape() async throws {
        try await FaultMatrix.run { matrix in
            let beta = matrix.cluster("beta")
            let file = matrix.clusterFile("beta")
            let good = try String(contentsOfFile: file, encoding: .utf8)
            try await matrix.expectHealthy(matrix.clusters.map(\.name))
            // Scrapes take 600 ms of the 800 ms timeout, so some are in flight when the file goes.
            beta.updateFaults { $0.proxyLatency = .milliseconds(600) }
            try await Task.sleep(for: .seconds(1.5))
            try FileManager.default.removeItem(atPath: file)
            let gone = try await matrix.harness.waitForMetrics(seconds: 5) { families in
                !families.allSamples.contains { $0.label("cluster") == "beta" }
            }
            #expect(!gone.allSamples.contains { $0.label("cluster") == "beta" })
            #expect(try await matrix.health("beta") == nil, "beta still reported after its file was deleted")
            // Scrapes that were in flight do not bring beta's series back.
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline {
                let families = try await matrix.expectServingAndLabels()
                let resurrected = families.allSamples.filter { $0.label("cluster") == "beta" }
                #expect(resurrected.isEmpty, "\(resurrected.count) beta samples back after the file was deleted")
                if !resurrected.isEmpty { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await matrix.expectHealthy(matrix.others(than: "beta"), seconds: 3)
            beta.updateFaults { $0.proxyLatency = .zero }
            try matrix.write(good, to: file)
            try FaultMatrix.addPod(to: beta, namespace: "shop", name: "after-heal-0")
            try await matrix.expectHealthy(matrix.clusters.map(\.name))
            try await matrix.expectServingAndLabels()
        }
    }

    /// Command lines of running processes containing `text` (from `/proc`).
    static func processes(matching text: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry in
            guard Int(entry) != nil,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(text) ? line : nil
        }
    }
}
