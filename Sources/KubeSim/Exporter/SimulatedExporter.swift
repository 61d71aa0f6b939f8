public import Foundation
public import NIOCore
import Synchronization

/// An in-process Prometheus exporter with realistic, changing metrics: counters that grow, gauges that wave,
/// histograms and summaries whose counts rise, at an exact series count (100 to 100,000 per pod and more).
///
/// It answers `GET /metrics` in text 0.0.4 or OpenMetrics 1.0 by `Accept`, gzip by `Accept-Encoding`, and can
/// be made to misbehave (``ExporterBehavior``). Attach it to a pod's port with ``PodBackend/exporter(_:)``, or
/// serve it on a real port with ``ExporterServer``.
public final class SimulatedExporter: Sendable {
    private struct State: Sendable {
        var behavior: ExporterBehavior = .normal
        var scrapeCount = 0
        var recentRequests: [ExporterRequest] = []
        var bombCache: (Int, ByteBuffer)?
    }

    let catalog: MetricCatalog
    /// The path metrics are served on.
    public let metricsPath: String
    /// When the counters started (values are a function of the time since).
    public let startedAt: Date
    private let state = Mutex(State())

    /// Creates an exporter with `series` series (at least 1). The `seed` makes values and label sets
    /// deterministic; `labels` are added to every series.
    public init(
        series: Int = 200,
        seed: UInt64 = 0,
        metricsPath: String = "/metrics",
        labels: [String: String] = [:],
        startedAt: Date = Date()
    ) {
        catalog = MetricCatalog(seriesCount: series, seed: seed, labels: labels.sorted { $0.key < $1.key })
        self.metricsPath = metricsPath
        self.startedAt = startedAt
    }

    /// The number of series a scrape returns.
    public var seriesCount: Int { catalog.seriesCount }

    /// How the exporter answers now.
    public var behavior: ExporterBehavior {
        get { state.withLock { $0.behavior } }
        set { state.withLock { $0.behavior = newValue } }
    }

    /// How many metric requests it has answered (or started to answer).
    public var scrapeCount: Int { state.withLock { $0.scrapeCount } }

    /// The last requests it received (at most 64), oldest first.
    public var recentRequests: [ExporterRequest] { state.withLock { $0.recentRequests } }

    /// Renders the metrics as they are at `date`.
    public func render(_ format: ExporterFormat, at date: Date = Date()) -> ByteBuffer {
        catalog.render(format: format, elapsed: max(0, date.timeIntervalSince(startedAt)))
    }

    /// The response to one request.
    func respond(to request: ExporterRequest) -> ExporterResponse {
        let behavior = state.withLock { state -> ExporterBehavior in
            state.recentRequests.append(request)
            if state.recentRequests.count > 64 { state.recentRequests.removeFirst() }
            return state.behavior
        }
        let path = request.path
        guard path == metricsPath || path == metricsPath + "/" else {
            return ExporterResponse(
                status: 404,
                headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: .bytes(ByteBuffer(string: "404 page not found\n"))
            )
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return ExporterResponse(
                status: 405,
                headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: .bytes(ByteBuffer(string: "Method Not Allowed\n"))
            )
        }
        state.withLock { $0.scrapeCount += 1 }
        let format = ExporterFormat.negotiate(accept: request.header("Accept"))
        let wantsGzip = (request.header("Accept-Encoding") ?? "").lowercased().contains("gzip")

        func metrics(gzip: Bool) -> ([(String, String)], ByteBuffer) {
            var headers = [("Content-Type", format.contentType)]
            var body = render(format)
            if gzip {
                body = Gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
            }
            return (headers, body)
        }

        switch behavior {
        case .normal:
            let (headers, body) = metrics(gzip: wantsGzip)
            return ExporterResponse(status: 200, headers: headers, body: .bytes(body))
        case .delay(let delay):
            let (headers, body) = metrics(gzip: wantsGzip)
            return ExporterResponse(status: 200, headers: headers, body: .bytes(body), delay: delay)
        case .hang:
            return ExporterResponse(status: 200, headers: [], body: .hang)
        case .trickle(let chunkBytes, let interval):
            let (headers, body) = metrics(gzip: wantsGzip)
            return ExporterResponse(
                status: 200,
                headers: headers,
                body: .trickle(body, chunkBytes: max(1, chunkBytes), interval: interval)
            )
        case .status(let code, let text):
            return ExporterResponse(
                status: code,
                headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: .bytes(ByteBuffer(string: text))
            )
        case .redirect(let location, let code):
            return ExporterResponse(
                status: code,
                headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                body: .bytes(ByteBuffer(string: "<a href=\"\(location)\">Found</a>.\n\n"))
            )
        case .garbage:
            var random = SplitMix64(seed: UInt64(scrapeCount))
            var buffer = ByteBuffer()
            buffer.writeString("<html><body>not metrics</body></html>\n\u{1}\u{2}")
            for _ in 0..<512 { buffer.writeInteger(UInt8(truncatingIfNeeded: random.next())) }
            buffer.writeString("\nmetric_without_value{\n# TYPE broken nonsense\n")
            return ExporterResponse(status: 200, headers: [("Content-Type", format.contentType)], body: .bytes(buffer))
        case .gzipBomb(let size):
            let bomb =
                state.withLock { state -> ByteBuffer? in
                    if let (cachedSize, cached) = state.bombCache, cachedSize == size { return cached }
                    return nil
                }
                ?? {
                    let made = Gzip.bomb(decompressedBytes: size)
                    state.withLock { $0.bombCache = (size, made) }
                    return made
                }()
            return ExporterResponse(
                status: 200,
                headers: [("Content-Type", format.contentType), ("Content-Encoding", "gzip")],
                body: .bytes(bomb)
            )
        case .truncatedGzip:
            var (headers, body) = metrics(gzip: true)
            if !headers.contains(where: { $0.0 == "Content-Encoding" }) { headers.append(("Content-Encoding", "gzip")) }
            let keep = max(10, body.readableBytes / 2)
            body = body.getSlice(at: body.readerIndex, length: min(keep, body.readableBytes)) ?? body
            return ExporterResponse(status: 200, headers: headers, body: .bytes(body))
        case .resetConnection:
            return ExporterResponse(status: 0, headers: [], body: .reset)
        case .truncatedBody:
            let (headers, body) = metrics(gzip: wantsGzip)
            let half = body.getSlice(at: body.readerIndex, length: body.readableBytes / 2) ?? body
            return ExporterResponse(
                status: 200,
                headers: headers + [("Content-Length", String(body.readableBytes))],
                body: .truncated(half)
            )
        }
    }
}

/// What an exporter sends back.
struct ExporterResponse: Sendable {
    enum Body: Sendable {
        /// The whole body at once.
        case bytes(ByteBuffer)
        /// The body in pieces with pauses.
        case trickle(ByteBuffer, chunkBytes: Int, interval: Duration)
        /// No answer at all until the client goes away.
        case hang
        /// The connection is closed without an answer.
        case reset
        /// Part of a body announced longer by `Content-Length`, then the connection is closed.
        case truncated(ByteBuffer)
    }

    var status: Int
    var headers: [(String, String)]
    var body: Body
    var delay: Duration = .zero
}
