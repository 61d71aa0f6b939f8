import AsyncHTTPClient
import CompressNIO
import CrowsnestCore
import CrowsnestGateway
import NIOCore
import NIOHTTP1
import Testing

/// A body arriving in the given chunks.
struct Chunks: AsyncSequence, Sendable {
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { rest.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }
}

/// How a body is read whatever its chunking and whatever size the last scrape left as a hint: the bytes are the
/// same, the limit holds at the exact byte, and a body larger than the hint grows its buffer.
@Suite("Body reading")
struct BodyReadingTests {
    let target = ScrapeTarget(
        key: TargetKey(cluster: "prod", namespace: "app", pod: "web-0", port: "9102"),
        labels: [Label("cluster", "prod"), Label("namespace", "app"), Label("pod_name", "web-0")]
    )

    /// A payload of `series` gauge samples in two families.
    static func payload(series: Int) -> ByteBuffer {
        var text = "# TYPE a gauge\n"
        for index in 0..<series { text += "a{instance=\"i\(index)\",zone=\"z\(index % 7)\"} \(index).5\n" }
        text += "# TYPE b counter\nb_total 42\n"
        return ByteBuffer(string: text)
    }

    /// The payload cut into chunks of `size` bytes (the last one shorter).
    static func chunks(_ buffer: ByteBuffer, size: Int) -> [ByteBuffer] {
        var rest = buffer
        var result: [ByteBuffer] = []
        while rest.readableBytes > 0 { result.append(rest.readSlice(length: min(size, rest.readableBytes))!) }
        return result
    }

    func scrape(
        _ chunks: [ByteBuffer],
        gzip: Bool,
        limit: Int,
        expectedSize: Int,
        expectedSnapshotSize: Int = 0
    ) async -> (TargetSnapshot, ScrapeFailure?) {
        let client = FakeProxyClient { _ in
            var headers: HTTPHeaders = ["Content-Type": "text/plain; version=0.0.4"]
            if gzip { headers.add(name: "Content-Encoding", value: "gzip") }
            return HTTPClientResponse(status: .ok, headers: headers, body: .stream(Chunks(chunks: chunks)))
        }
        let scraper = TargetScraper(
            client: client,
            settings: TargetScraper.Settings(limits: ExpositionLimits(bodySizeLimit: limit), timestamps: false)
        )
        let (snapshot, _, failure) = await scraper.scrape(
            target,
            previousSeries: nil,
            expectedBodySize: expectedSize,
            expectedSnapshotSize: expectedSnapshotSize
        )
        return (snapshot, failure)
    }

    /// The scraped lines (without the five synthetic series, whose duration differs from scrape to scrape).
    func scrapedLines(_ snapshot: TargetSnapshot) -> [UInt8] {
        Array(snapshot.bytes[0..<snapshot.families[snapshot.families.count - 5].range.lowerBound])
    }

    @Test("any chunking and any size hint give the same lines, plain and gzip", arguments: [false, true])
    func chunkingAndHints(gzip: Bool) async throws {
        let plain = Self.payload(series: 3000)  // ~120 kB: more than the 16 kB first buffer
        var copy = plain
        let body = gzip ? try copy.compress(with: .gzip) : plain
        let (reference, referenceFailure) = await scrape([body], gzip: gzip, limit: 0, expectedSize: 0)
        try #require(referenceFailure == nil)
        #expect(reference.health.bodyBytes == plain.readableBytes)
        #expect(reference.health.samplesScraped == 3001)
        for chunkSize in [1, 7, 512, 16 << 10, body.readableBytes] {
            for hint in [0, 1, 100, plain.readableBytes - 1, plain.readableBytes, 4 * plain.readableBytes] {
                let pieces = Self.chunks(body, size: chunkSize)
                let (snapshot, failure) = await scrape(pieces, gzip: gzip, limit: 0, expectedSize: hint)
                #expect(failure == nil, "chunks of \(chunkSize), hint \(hint): \(String(describing: failure))")
                #expect(scrapedLines(snapshot) == scrapedLines(reference), "chunks of \(chunkSize), hint \(hint)")
                #expect(snapshot.health.bodyBytes == plain.readableBytes)
            }
        }
    }

    @Test("the size limit holds at the exact byte, decompressed, whatever the hint", arguments: [false, true])
    func limitAtTheByte(gzip: Bool) async throws {
        let plain = Self.payload(series: 500)
        var copy = plain
        let body = gzip ? try copy.compress(with: .gzip) : plain
        let size = plain.readableBytes
        for hint in [0, size - 1, size, size + 1, 10 * size] {
            for chunkSize in [333, body.readableBytes] {
                let pieces = Self.chunks(body, size: chunkSize)
                let (fits, fitsFailure) = await scrape(pieces, gzip: gzip, limit: size, expectedSize: hint)
                #expect(fitsFailure == nil, "limit = size, hint \(hint), chunks of \(chunkSize)")
                #expect(fits.health.samplesScraped == 501)
                let (_, over) = await scrape(pieces, gzip: gzip, limit: size - 1, expectedSize: hint)
                #expect(over?.code == .bodyTooLarge, "limit = size - 1, hint \(hint), chunks of \(chunkSize)")
            }
        }
    }

    @Test("a gzip stream cut short, or followed by bytes that are not gzip, at any chunking")
    func truncatedAndTrailing() async throws {
        var plain = Self.payload(series: 800)
        let compressed = try plain.compress(with: .gzip)
        var truncated = compressed
        truncated.moveWriterIndex(to: truncated.writerIndex - 9)  // into the trailer: CRC and size missing
        var trailing = compressed
        trailing.writeString("trailing garbage")
        for chunkSize in [5, 1000, compressed.readableBytes + 20] {
            let (_, cut) = await scrape(Self.chunks(truncated, size: chunkSize), gzip: true, limit: 0, expectedSize: 0)
            #expect(cut?.code == .badEncoding, "truncated, chunks of \(chunkSize)")
            // Bytes after the gzip member are ignored, as before (a proxy may pad).
            let (snapshot, failure) = await scrape(
                Self.chunks(trailing, size: chunkSize),
                gzip: true,
                limit: 0,
                expectedSize: 0
            )
            #expect(failure == nil, "trailing bytes, chunks of \(chunkSize)")
            #expect(snapshot.health.samplesScraped == 801)
        }
    }

    @Test("bodies and snapshots of several MB, whose buffers are kept from scrape to scrape, give the same lines")
    func recycledBuffers() async throws {
        let plain = Self.payload(series: 40000)  // ~1.6 MB, rendered ~4 MB: over the recycling threshold
        var copy = plain
        let compressed = try copy.compress(with: .gzip)
        for gzip in [true, false] {
            let body = gzip ? compressed : plain
            let (reference, referenceFailure) = await scrape([body], gzip: gzip, limit: 0, expectedSize: 0)
            try #require(referenceFailure == nil)
            let lines = scrapedLines(reference)
            var previous: TargetSnapshot? = reference
            for round in 0..<4 {
                let (snapshot, failure) = await scrape(
                    Self.chunks(body, size: 64 << 10),
                    gzip: gzip,
                    limit: 0,
                    expectedSize: previous!.health.bodyBytes,
                    expectedSnapshotSize: previous!.bytes.count
                )
                #expect(failure == nil)
                #expect(scrapedLines(snapshot) == lines, "gzip \(gzip), round \(round)")
                #expect(snapshot.families.dropLast(5).map(\.range) == reference.families.dropLast(5).map(\.range))
                previous = snapshot  // the one before is freed: its buffer is kept for the next round
            }
        }
    }
}
