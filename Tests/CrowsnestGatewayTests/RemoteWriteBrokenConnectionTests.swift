import CrowsnestCore
import CrowsnestKube
import Foundation
import Hummingbird
import KubeSim
import Logging
import NIOCore
import PeerSupport
import Synchronization
import Testing

@testable import CrowsnestGateway

/// A receiver that closes connections mid-request or answers bytes that are not HTTP (a Python socket server,
/// `Tests/TestData/remotewrite/fault_server.py`): both are retried like a 5xx, scraping goes on, and once it answers
/// properly everything queued arrives.
@Suite("Remote write: broken connections", .serialized, .timeLimit(.minutes(2)))
struct RemoteWriteBrokenConnectionTests {
    @Test("a receiver closing mid-request or answering garbage: retried, nothing lost once it recovers")
    func brokenConnections() async throws {
        let python = try PeerBinary.require("python3", debianPackage: "python3", candidates: ["/usr/bin/python3"])
        let scratch = try TemporaryDirectory("rw-fault-server")
        defer { scratch.remove() }
        let modeFile = try scratch.write("mode", "close")
        let script = RemoteWriteReferenceDecoder.testData.deletingLastPathComponent()
            .appendingPathComponent("remotewrite/fault_server.py").path
        let server = try PeerProcess(python, [script, scratch.file("port"), modeFile])
        defer { server.stop() }
        #expect(
            await server.wait(timeout: .seconds(10)) { _ in FileManager.default.fileExists(atPath: scratch.file("port"))
            }
        )
        let port = try #require(Int(try String(contentsOfFile: scratch.file("port"), encoding: .utf8)))
        try await GatewayHarness.run(
            try RemoteWriteFaultTests.clusters(),
            remoteWrite: [RemoteWriteFaultTests.destination(port: port, timeout: .seconds(2))]
        ) { harness, _ in
            func message() throws -> String { try RemoteWriteFaultTests.stats(harness).lastError?.message ?? "" }
            #expect(try await RemoteWriteFaultTests.waitUntil { try RemoteWriteFaultTests.stats(harness).retried > 0 })
            let closed = try message()
            #expect(!closed.isEmpty, "a closed connection is reported")
            try "garbage".write(toFile: modeFile, atomically: true, encoding: .utf8)
            let retriedBefore = try RemoteWriteFaultTests.stats(harness).retried
            #expect(
                try await RemoteWriteFaultTests.waitUntil {
                    try RemoteWriteFaultTests.stats(harness).retried > retriedBefore + 50
                }
            )
            #expect(try RemoteWriteFaultTests.stats(harness).sent == 0)
            let families = try await harness.metrics()
            #expect(families.up(cluster: "east") == ["web-0": 1], "scraping goes on")

            try "accept".write(toFile: modeFile, atomically: true, encoding: .utf8)
            #expect(
                try await RemoteWriteFaultTests.waitUntil(seconds: 20) {
                    try RemoteWriteFaultTests.stats(harness).pending == 0
                }
            )
            let stats = try RemoteWriteFaultTests.stats(harness)
            #expect(stats.sent > 0 && stats.failed == 0 && stats.dropped == 0, "\(stats)")
        }
    }
}
