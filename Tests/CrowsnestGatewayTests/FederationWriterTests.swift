import CompressNIO
import CrowsnestCore
import CrowsnestGateway
import Foundation
import NIOCore
import Testing

@Suite("Snapshot store and federation writer")
struct FederationWriterTests {
    static func snapshot(
        cluster: String,
        pod: String,
        payload: String,
        format: ExpositionFormat = .text,
        up: Bool = true
    )
        throws -> TargetSnapshot
    {
        let key = TargetKey(cluster: cluster, namespace: "app", pod: pod, port: "metrics")
        let labels = [Label("cluster", cluster), Label("namespace", "app"), Label("pod_name", pod)]
        var renderer = ScrapeRenderer()
        let scrape =
            up
            ? try renderer.render(
                Array(payload.utf8),
                format: format,
                options: ScrapeRenderOptions(targetLabels: labels, timestampMilliseconds: 1_700_000_000_000)
            )
            : nil
        let health = ScrapeHealth(
            up: up,
            timestampMilliseconds: 1_700_000_000_000,
            durationSeconds: 0.01,
            samplesScraped: scrape?.samplesScraped ?? 0,
            samplesPostRelabeling: scrape?.samplesPostRelabeling ?? 0
        )
        return TargetSnapshot(
            key: key,
            labels: labels,
            scrape: scrape,
            synthetic: SyntheticSeries.render(health, labels: labels, timestamps: true),
            health: health
        )
    }

    static func render(
        _ store: SnapshotStore,
        _ request: FederationRequest = FederationRequest(),
        chunkSize: Int = 256 * 1024
    )
        async throws -> (String, Int)
    {
        var output = ByteBuffer()
        var chunks = 0
        try await FederationWriter(chunkSize: chunkSize).write(store.view(), request: request) { chunk in
            var chunk = chunk
            output.writeBuffer(&chunk)
            chunks += 1
        }
        return (String(buffer: output), chunks)
    }

    static let payloadA = """
        # HELP http_requests_total Requests.
        # TYPE http_requests_total counter
        http_requests_total{code="200"} 10
        http_requests_total{code="500"} 1
        # TYPE temperature gauge
        temperature 21.5

        """

    static let payloadB = """
        # HELP http_requests_total Other help text.
        # TYPE http_requests_total counter
        http_requests_total{code="200"} 7
        # TYPE queue_depth gauge
        queue_depth{cluster="evil"} 3

        """

    func store() throws -> SnapshotStore {
        let store = SnapshotStore()
        store.replace(try Self.snapshot(cluster: "east", pod: "web-1", payload: Self.payloadA))
        store.replace(try Self.snapshot(cluster: "west", pod: "web-0", payload: Self.payloadB))
        store.replace(try Self.snapshot(cluster: "west", pod: "broken", payload: "", up: false))
        return store
    }

    @Test("one HELP/TYPE group per family, every target's samples, valid in strict mode")
    func merged() async throws {
        let (text, _) = try await Self.render(try store())
        let families = try MetricFamily.parse(text, format: .text, mode: .strict)
        let names = families.map(\.name)
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        let requests = try #require(families.first { $0.name == "http_requests_total" })
        #expect(requests.help == "Requests.")  // first source in target order (east) wins
        #expect(requests.samples.count == 3)
        #expect(text.components(separatedBy: "# TYPE http_requests_total").count == 2)
        let up = try #require(families.first { $0.name == "up" })
        #expect(up.samples.count == 3)
        #expect(up.samples.first { $0.label("pod_name") == "broken" }?.value == 0)
        let queue = try #require(families.first { $0.name == "queue_depth" })
        #expect(queue.samples[0].label("cluster") == "west")
        #expect(queue.samples[0].label("exported_cluster") == "evil")
    }

    @Test("?cluster= and match[] filters")
    func filters() async throws {
        let store = try store()
        let (east, _) = try await Self.render(store, FederationRequest(clusters: ["east"]))
        #expect(!east.contains("cluster=\"west\""))
        #expect(east.contains("temperature{cluster=\"east\""))
        let byName = FederationRequest(selectors: [try SeriesSelector("temperature")])
        let (temperature, _) = try await Self.render(store, byName)
        #expect(try MetricFamily.parse(temperature, format: .text, mode: .strict).map(\.name) == ["temperature"])
        let byLabel = FederationRequest(selectors: [try SeriesSelector("{__name__=~\"http_.*\",code=\"200\"}")])
        let (twoHundreds, _) = try await Self.render(store, byLabel)
        let families = try MetricFamily.parse(twoHundreds, format: .text, mode: .strict)
        #expect(families.map(\.name) == ["http_requests_total"])
        #expect(families[0].samples.count == 2)
        #expect(families[0].samples.allSatisfy { $0.label("code") == "200" })
    }

    @Test("the response is streamed in chunks")
    func chunks() async throws {
        let (text, chunks) = try await Self.render(try store(), chunkSize: 256)
        #expect(chunks > 3)
        #expect(try !MetricFamily.parse(text, format: .text, mode: .strict).isEmpty)
    }

    @Test("OpenMetrics output is strictly valid and keeps every sample")
    func openMetrics() async throws {
        let store = try store()
        let (text, _) = try await Self.render(store, FederationRequest(format: .openMetrics))
        let families = try MetricFamily.parse(text, format: .openMetrics, mode: .strict)
        #expect(families.first { $0.name == "http_requests" }?.type == .counter)
        let (plain, _) = try await Self.render(store)
        let plainCount = try MetricFamily.parse(plain, format: .text).reduce(0) { $0 + $1.samples.count }
        #expect(families.reduce(0) { $0 + $1.samples.count } == plainCount)
    }

    @Test("a type conflict across targets is demoted, not dropped, and stays valid")
    func conflict() async throws {
        let store = SnapshotStore()
        store.replace(
            try Self.snapshot(
                cluster: "a",
                pod: "p",
                payload: "# TYPE x histogram\nx_bucket{le=\"+Inf\"} 1\nx_sum 1\nx_count 1\n"
            )
        )
        store.replace(try Self.snapshot(cluster: "b", pod: "p", payload: "# TYPE x gauge\nx 5\n"))
        let (text, _) = try await Self.render(store)
        let families = try MetricFamily.parse(text, format: .text, mode: .strict)
        for name in ["x", "x_bucket", "x_count", "x_sum"] {
            #expect(families.first { $0.name == name }?.samples.count == 1, "\(name)")
        }
    }

    @Test("replacing and removing snapshots updates the output")
    func replaceAndRemove() async throws {
        let store = try store()
        store.replace(try Self.snapshot(cluster: "east", pod: "web-1", payload: "brand_new 1\n"))
        var (text, _) = try await Self.render(store)
        #expect(text.contains("brand_new{cluster=\"east\""))
        #expect(!text.contains("temperature"))
        store.remove { $0.cluster == "west" }
        (text, _) = try await Self.render(store)
        #expect(!text.contains("west"))
        #expect(store.seriesCount == 6)
    }

    @Test("a replaced snapshot is freed once no response reads it, though the merge plan is reused")
    func replacedSnapshotIsFreed() async throws {
        let store = try store()
        weak var first = store.snapshot(
            for: TargetKey(cluster: "east", namespace: "app", pod: "web-1", port: "metrics")
        )
        #expect(first != nil)
        _ = try await Self.render(store)  // computes and keeps the merge plan
        // Same families, new values: the plan stays, the old snapshot must go.
        store.replace(
            try Self.snapshot(cluster: "east", pod: "web-1", payload: Self.payloadA.replacing("} 10", with: "} 11"))
        )
        #expect(first == nil)
        let (text, _) = try await Self.render(store)
        #expect(text.contains("pod_name=\"web-1\",code=\"200\"} 11 "))
        #expect(!text.contains("\"} 10 "))
    }

    @Test("gzip chunks decompress to the plain output")
    func gzip() async throws {
        let store = try store()
        let gzip = try GzipStream()
        var compressed = ByteBuffer()
        var chunks: [ByteBuffer] = []
        try await FederationWriter(chunkSize: 512).write(store.view(), request: FederationRequest()) {
            chunks.append($0)
        }
        for (index, chunk) in chunks.enumerated() {
            var piece = try gzip.compress(chunk, final: index == chunks.count - 1)
            compressed.writeBuffer(&piece)
        }
        let decompressed = try compressed.decompress(with: .gzip)
        let (plain, _) = try await Self.render(store)
        #expect(String(buffer: decompressed) == plain)
    }
}
