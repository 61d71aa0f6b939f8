import CompressNIO
import CrowsnestCore
import CrowsnestGateway
import Foundation
import NIOCore
import PeerSupport
import Testing

@Suite("Gzip /metrics from precompressed families")
struct GzipServingTests {
    /// A store of `targets` snapshots over two clusters, each with families drawn from a seeded generator:
    /// shared and private names, histograms (so `match[]` on a sample name selects lines), empty payloads.
    /// With `compressed`, a gzip request was noted first, so the snapshots are held compressed.
    static func store(targets: Int, seed: UInt64, compressed: Bool = false) throws -> SnapshotStore {
        var random = ScrapeGridTests.hashes(targets * 400, seed: seed).makeIterator()
        let store = SnapshotStore()
        if compressed { store.noteGzipRequest() }
        for target in 0..<targets {
            var payload = ""
            for family in 0..<Int(random.next()! % 6) {
                let name = family % 2 == 0 ? "shared_\(family)_total" : "private_\(target)_\(family)"
                payload += "# HELP \(name) Family \(family) of target \(target).\n# TYPE \(name) counter\n"
                for line in 0..<Int(random.next()! % 40) {
                    payload += "\(name){path=\"/items/\(line)\",code=\"\(200 + Int(random.next()! % 3) * 100)\"} "
                    payload += "\(random.next()! % 100_000)\n"
                }
            }
            if target % 3 == 0 {
                payload += "# TYPE latency_seconds histogram\n"
                payload += "latency_seconds_bucket{le=\"0.1\"} 3\nlatency_seconds_bucket{le=\"+Inf\"} 5\n"
                payload += "latency_seconds_sum 0.7\nlatency_seconds_count 5\n"
            }
            store.replace(
                try FederationWriterTests.snapshot(
                    cluster: target % 2 == 0 ? "east" : "west",
                    pod: "pod-\(target)",
                    payload: payload,
                    up: target % 7 != 6
                )
            )
        }
        return store
    }

    static func plain(
        _ store: SnapshotStore,
        _ request: FederationRequest,
        chunkSize: Int = 256 * 1024
    )
        async throws -> ByteBuffer
    {
        var output = ByteBuffer()
        try await FederationWriter(chunkSize: chunkSize).write(store.view(), request: request) { chunk in
            var chunk = chunk
            output.writeBuffer(&chunk)
        }
        return output
    }

    static func gzip(_ store: SnapshotStore, _ request: FederationRequest, chunkSize: Int) async throws -> ByteBuffer {
        var output = ByteBuffer()
        try await FederationWriter(chunkSize: chunkSize).writeGzip(store.view(), request: request) { chunk in
            var chunk = chunk
            output.writeBuffer(&chunk)
        }
        return output
    }

    static let requests: [FederationRequest] = [
        FederationRequest(),
        FederationRequest(clusters: ["west"]),
        FederationRequest(selectors: [try! SeriesSelector("shared_0_total")]),
        FederationRequest(selectors: [try! SeriesSelector("{code=\"300\"}")]),
        FederationRequest(selectors: [try! SeriesSelector("latency_seconds_bucket")]),
        FederationRequest(clusters: ["east"], selectors: [try! SeriesSelector("{__name__=~\"shared_.*|up\"}")]),
    ]

    @Test("decompresses to exactly the plain output, for every filter and chunk size", arguments: [1, 7, 42])
    func sameBytes(seed: UInt64) async throws {
        let store = try Self.store(targets: 30, seed: seed)
        for request in Self.requests {
            let plain = try await Self.plain(store, request)
            for chunkSize in [64, 256 * 1024] {
                var compressed = try await Self.gzip(store, request, chunkSize: chunkSize)
                let inflated = try compressed.decompress(with: .gzip)
                #expect(inflated == plain, "request \(request), chunk size \(chunkSize)")
            }
        }
    }

    @Test(
        "snapshots held compressed serve the same plain, OpenMetrics and gzip bytes as text ones",
        arguments: [2, 9]
    )
    func heldCompressed(seed: UInt64) async throws {
        let text = try Self.store(targets: 30, seed: seed)
        let compressed = try Self.store(targets: 30, seed: seed, compressed: true)
        let snapshots = compressed.view().snapshots
        #expect(snapshots.filter(\.isHeldCompressed).count == snapshots.count)
        #expect(text.view().snapshots.filter(\.isHeldCompressed).isEmpty)
        for (held, original) in zip(snapshots, text.view().snapshots) {
            #expect(held.bytes == original.bytes)
        }
        var requests = Self.requests
        requests.append(FederationRequest(format: .openMetrics))
        requests.append(FederationRequest(format: .openMetrics, selectors: [try SeriesSelector("{code=\"300\"}")]))
        for request in requests {
            let expected = try await Self.plain(text, request)
            for chunkSize in [64, 256 * 1024] {
                let served = try await Self.plain(compressed, request, chunkSize: chunkSize)
                #expect(served == expected, "\(request)")
            }
            if request.format == .text {
                var gzip = try await Self.gzip(compressed, request, chunkSize: 512)
                let inflated = try gzip.decompress(with: .gzip)
                #expect(inflated == expected, "\(request)")
            }
        }
    }

    @Test(
        "a client gone mid-stream pins nothing: the snapshots it read are freed once replaced",
        arguments: [false, true]
    )
    func disconnectMidStream(gzip: Bool) async throws {
        let store = try Self.store(targets: 30, seed: 5, compressed: true)
        let keys = store.view().snapshots.map(\.key)
        weak var first = store.snapshot(for: keys[0])
        struct Gone: Error {}
        let writer = FederationWriter(chunkSize: 64)
        var chunks = 0
        await #expect(throws: Gone.self) {
            let sink: (ByteBuffer) async throws -> Void = { _ in
                chunks += 1
                if chunks == 2 { throw Gone() }
            }
            if gzip {
                try await writer.writeGzip(store.view(), request: FederationRequest(), sink: sink)
            } else {
                try await writer.write(store.view(), request: FederationRequest(), sink: sink)
            }
        }
        #expect(first != nil)
        store.replace(try FederationWriterTests.snapshot(cluster: keys[0].cluster, pod: keys[0].pod, payload: "x 1\n"))
        #expect(first == nil)
    }

    @Test("the same member read by Python's gzip and by zcat")
    func realReaders() async throws {
        let store = try Self.store(targets: 40, seed: 3)
        let plain = try await Self.plain(store, FederationRequest())
        let compressed = try await Self.gzip(store, FederationRequest(), chunkSize: 4096)
        let directory = try TemporaryDirectory("gzip-serving")
        defer { directory.remove() }
        let path = directory.file("metrics.gz")
        try Data(compressed.readableBytesView).write(to: URL(fileURLWithPath: path))
        let expected = String(buffer: plain)

        let python = try PythonPeer.python()
        let fromPython = try await PythonPeer.run(
            python,
            script: "import gzip, sys; sys.stdout.write(gzip.open(sys.argv[1]).read().decode())",
            arguments: [path]
        )
        #expect(fromPython == expected)

        let zcat = try PeerBinary.require("zcat", debianPackage: "gzip")
        let result = try await PeerProcess.run(zcat, [path], timeout: .seconds(30))
        #expect(result.status == 0)
        #expect(result.stdout == expected)
    }

    @Test("snapshots are compressed as they arrive only while gzip clients ask")
    func demand() throws {
        let store = SnapshotStore(gzipDemandWindow: .seconds(600))
        let first = try FederationWriterTests.snapshot(cluster: "east", pod: "a", payload: "x 1\n")
        store.replace(first)
        #expect(!first.isDeflated)
        store.noteGzipRequest()
        let second = try FederationWriterTests.snapshot(cluster: "east", pod: "a", payload: "x 2\n")
        store.replace(second)
        #expect(second.isDeflated)
        #expect(second.isHeldCompressed)
        #expect(String(decoding: second.bytes, as: UTF8.self).hasPrefix("x{"))

        let expired = SnapshotStore(gzipDemandWindow: .zero)
        expired.noteGzipRequest()
        let third = try FederationWriterTests.snapshot(cluster: "east", pod: "a", payload: "x 3\n")
        expired.replace(third)
        #expect(!third.isDeflated)
        #expect(!third.isHeldCompressed)
    }
}
