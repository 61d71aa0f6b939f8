import AsyncHTTPClient
public import CrowsnestCore
import CrowsnestKube
import Foundation
import NIOCore
import NIOHTTP1

/// One target's request, built once for all its scrapes: the proxy path (or why the target is refused) and the
/// query.
public struct ScrapePlan: Sendable {
    /// The proxy path, or why the target's path is refused.
    let path: Result<String, ProxyPath.Refusal>
    /// The query (`__param_*`), if any.
    let query: String?
    /// Who answers behind the proxy: a pod, or a node's kubelet (named so in failures).
    let role: TargetRole

    /// Builds `target`'s request.
    public init(_ target: ScrapeTarget) {
        path = Result { () throws(ProxyPath.Refusal) in
            switch target.key.role {
            case .pod:
                try ProxyPath.build(
                    namespace: target.key.namespace,
                    pod: target.key.pod,
                    scheme: target.scheme,
                    port: target.key.port,
                    path: target.path
                )
            case .node:
                try ProxyPath.node(target.key.pod, path: target.path)
            }
        }
        query = target.parameters.isEmpty ? nil : ProxyPath.query(target.parameters)
        role = target.key.role
    }
}

/// Scrapes one target through its cluster's API-server proxy and turns the answer into a ``TargetSnapshot``.
///
/// The pipeline: build the proxy path from percent-encoded segments only (``ProxyPath``), GET it with OpenMetrics
/// preferred and gzip accepted, tell an API-server `Status` apart from the pod's own error, read the body with the
/// size limit applied to the decompressed bytes, parse in scrape mode, inject target labels (`honor_labels`),
/// apply `metric_relabel_configs` and limits, and add the synthetic series. A failure yields a snapshot with only
/// the synthetic series (`up 0`) and the reason.
public struct TargetScraper: Sendable {
    /// Per-cluster scrape settings.
    public struct Settings: Sendable {
        /// Scrape timeout.
        public var timeout: Duration
        /// Limits (sample, label, body size).
        public var limits: ExpositionLimits
        /// Prometheus' `honor_labels`.
        public var honorLabels: Bool
        /// `metric_relabel_configs`, compiled; `nil` when none.
        public var metricRelabeler: Relabeler?
        /// Whether samples carry the scrape timestamp.
        public var timestamps: Bool

        /// Creates settings.
        public init(
            timeout: Duration = .seconds(10),
            limits: ExpositionLimits = .none,
            honorLabels: Bool = false,
            metricRelabeler: Relabeler? = nil,
            timestamps: Bool = true
        ) {
            self.timeout = timeout
            self.limits = limits
            self.honorLabels = honorLabels
            self.metricRelabeler = metricRelabeler
            self.timestamps = timestamps
        }
    }

    /// The cluster's API client.
    public let client: any ProxyClient
    /// The settings.
    public let settings: Settings
    /// The renderers the scrapes borrow (shared by copies of this scraper).
    public let renderers: ScrapeRendererPool
    /// The request headers, the same for every scrape.
    let requestHeaders: HTTPHeaders
    /// Body buffers kept between scrapes (see ``BufferRecycler``).
    let bodyBuffers: BufferRecycler<ByteBuffer>
    /// Line buffers kept between scrapes: a replaced snapshot's, for the next scrape of that size.
    let lineBuffers: BufferRecycler<[UInt8]>

    /// The recyclers every scraper shares, whatever the number of clusters. One idle buffer each: scrapes are
    /// spread over the interval, so a large one mostly finishes before the next starts; when two overlap, one
    /// allocates as before. Keeping more would hold more resident memory for every overlap that ever happened.
    static let sharedBodyBuffers = BufferRecycler<ByteBuffer>(
        maximumIdle: 1,
        minimumBytes: Int(MemoryTuning.mmapThreshold)
    )
    static let sharedLineBuffers = BufferRecycler<[UInt8]>(
        maximumIdle: 1,
        minimumBytes: Int(MemoryTuning.mmapThreshold)
    )

    /// Creates a scraper; `renderers` should keep as many renderers as scrapes run at once.
    public init(
        client: any ProxyClient,
        settings: Settings,
        renderers: ScrapeRendererPool = ScrapeRendererPool(maximumIdle: 4)
    ) {
        self.client = client
        self.settings = settings
        self.renderers = renderers
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: ContentNegotiation.scrapeAcceptHeader)
        headers.add(name: "Accept-Encoding", value: "gzip")
        headers.add(name: "User-Agent", value: "crowsnest")
        headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: "\(settings.timeout.components.seconds)")
        self.requestHeaders = headers
        self.bodyBuffers = Self.sharedBodyBuffers
        self.lineBuffers = Self.sharedLineBuffers
    }

    /// Scrapes `target`; `previousSeries` (the last scrape's ``SeriesHashes``) gives `scrape_series_added`, `plan`
    /// is the target's request built once (built here when `nil`), `expectedBodySize` what the body buffer
    /// reserves (the last scrape's ``ScrapeHealth/bodyBytes``) and `expectedSnapshotSize` what the line buffer
    /// reserves (the size of the target's last successful snapshot).
    /// Returns the snapshot, the new series hashes and the failure, if any.
    public func scrape(
        _ target: ScrapeTarget,
        previousSeries: SeriesHashes?,
        plan: ScrapePlan? = nil,
        expectedBodySize: Int = 0,
        expectedSnapshotSize: Int = 0
    )
        async -> (TargetSnapshot, SeriesHashes, ScrapeFailure?)
    {
        let start = ContinuousClock.now
        let timestamp = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        var rendered: RenderedScrape?
        var failure: ScrapeFailure?
        var bodyBytes = 0
        do {
            // The timeout is the request's deadline (AsyncHTTPClient cancels the request, body included, when it
            // passes; the body reader checks it too): no timer task per scrape.
            let (body, format) = try await fetch(plan ?? ScrapePlan(target), expectedBodySize: expectedBodySize)
            bodyBytes = body.readableBytes
            var relabeling: (@Sendable (inout LabelSet) -> Bool)?
            if let relabeler = settings.metricRelabeler, !relabeler.isEmpty {
                relabeling = { labels in relabeler.process(&labels) }
            }
            var options = ScrapeRenderOptions(
                targetLabels: target.labels,
                honorLabels: settings.honorLabels,
                timestampMilliseconds: settings.timestamps ? timestamp : nil,
                limits: settings.limits,
                metricRelabeling: relabeling
            )
            switch target.key.role {
            case .pod:
                options.fixedLabelNames = ClusterConfig.identityLabelNames
            case .node:
                // A kubelet's series carry their own namespace and pod; `pod_name` joins them to pod targets'.
                options.fixedLabelNames = NodeTargetRules.identityLabelNames
                options.labelCopy = .podName
            }
            options.spareCapacity = SyntheticSeries.estimatedSize(labels: target.labels)
            do throws(ExpositionError) {
                rendered = try body.withUnsafeReadableBytes { payload throws(ExpositionError) in
                    try renderers.withRenderer { renderer throws(ExpositionError) in
                        try renderer.render(
                            payload,
                            format: format,
                            options: options,
                            reusing: lineBuffer(expectedSize: expectedSnapshotSize, spare: options.spareCapacity)
                        )
                    }
                }
                bodyBuffers.giveBack(consume body)
            } catch {
                let isLimit = error.code == .limit
                throw ScrapeFailure(
                    isLimit ? .limit : .parse,
                    "\(isLimit ? "limit exceeded" : "unparsable body") at \(error)"
                )
            }
        } catch let error as ScrapeFailure {
            failure = error
        } catch {
            failure = ScrapeFailure(.transport, "scrape failed")
        }
        let (seriesHashes, added, repeated) = SeriesHashes.comparing(rendered?.seriesHashes ?? [], with: previousSeries)
        if let scrape = rendered, repeated, Self.repeatsSeriesHash(scrape.seriesHashes) {
            rendered = Self.droppingRepeatedSeries(scrape)
        }
        rendered?.seriesHashes = []  // kept once, in `seriesHashes`; the snapshot does not need them
        let duration = start.duration(to: .now)
        let health = ScrapeHealth(
            up: failure == nil,
            timestampMilliseconds: timestamp,
            durationSeconds: duration.inSeconds,
            samplesScraped: rendered?.samplesScraped ?? 0,
            samplesPostRelabeling: rendered?.samplesPostRelabeling ?? 0,
            seriesAdded: failure == nil ? added : 0,
            bodyBytes: bodyBytes,
            error: failure?.message
        )
        let synthetic = SyntheticSeries.render(health, labels: target.labels, timestamps: settings.timestamps)
        var lines = rendered ?? RenderedScrape()
        rendered = nil  // `lines` is the buffer's only owner: the synthetic lines go into its spare room in place
        lines.append(synthetic)
        let snapshot = TargetSnapshot(
            key: target.key,
            labels: target.labels,
            lines: lines,
            health: health,
            recycler: lineBuffers
        )
        return (snapshot, failure == nil ? seriesHashes : (previousSeries ?? SeriesHashes()), failure)
    }

    /// The buffer a scrape renders into: for a snapshot of `expectedSize` bytes, room for that much and a little
    /// more (values change length from scrape to scrape: a buffer that turns out short grows by doubling and is
    /// copied again), kept from an earlier snapshot when one of about that size waits. A small snapshot's (under
    /// the recycling threshold) is new, with little room to spare, since every one of many small snapshots holds
    /// it; without it the lines would grow a buffer by doubling and be copied into an exact one. None when the
    /// size is unknown (the first scrape).
    func lineBuffer(expectedSize: Int, spare: Int) -> [UInt8] {
        guard expectedSize > 0 else { return [] }
        guard expectedSize >= lineBuffers.minimumBytes else {
            return [UInt8](recyclableCapacity: expectedSize + expectedSize / 64 + spare)
        }
        let capacity = expectedSize + expectedSize / 32
        return lineBuffers.take(
            minimumCapacity: expectedSize + expectedSize / 64,
            maximumCapacity: expectedSize + expectedSize / 8,
            capacity: capacity
        )
    }

    /// GETs the target's proxy path; returns the (decompressed, size-checked) body and its format.
    func fetch(_ plan: ScrapePlan, expectedBodySize: Int) async throws(ScrapeFailure) -> (ByteBuffer, ExpositionFormat)
    {
        let path: String
        switch plan.path {
        case .success(let built): path = built
        case .failure(let refusal): throw ScrapeFailure(.refused, refusal.reason)
        }
        let deadline = NIODeadline.after(settings.timeout)
        let response: HTTPClientResponse
        do {
            response = try await client.proxyGet(
                path: path,
                query: plan.query,
                headers: requestHeaders,
                deadline: deadline
            )
        } catch let error as KubeClientError {
            throw Self.failure(error, timeout: settings.timeout)
        } catch {
            if NIODeadline.now() >= deadline {
                throw ScrapeFailure(.timeout, "scrape timed out after \(settings.timeout)")
            }
            throw ScrapeFailure(.transport, "request to the API server failed")
        }
        let contentType = response.headers.first(name: "Content-Type")
        let gzip = Self.isGzip(contentEncoding: response.headers.first(name: "Content-Encoding"))
        let limit = settings.limits.bodySizeLimit
        guard response.status == .ok else {
            // Read a little of the body to tell an API-server Status from the pod's own error.
            let excerpt =
                (try? await BodyReader.read(response.body, gzip: gzip, limit: 64 * 1024, deadline: deadline))
                ?? ByteBuffer()
            throw Self.statusFailure(
                response,
                body: Array(excerpt.readableBytesView),
                contentType: contentType,
                role: plan.role
            )
        }
        let body = try await BodyReader.read(
            response.body,
            gzip: gzip,
            limit: limit,
            expectedSize: expectedBodySize,
            recycler: bodyBuffers,
            deadline: deadline
        )
        return (body, ExpositionFormat.fromContentType(contentType))
    }

    /// Whether a `Content-Encoding` value lists gzip (`gzip` or `x-gzip`, in any case). Compares UTF-8 bytes: this
    /// runs on every scrape, and `String.contains` with Foundation imported searches through `NSString`.
    static func isGzip(contentEncoding: String?) -> Bool {
        guard let contentEncoding else { return false }
        return contentEncoding.utf8.split(separator: UInt8(ascii: ",")).contains { coding in
            let word = coding.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                .reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed()
                .map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
            return word.elementsEqual("gzip".utf8) || word.elementsEqual("x-gzip".utf8)
        }
    }

    /// An API server speaks only through `application/json` bodies with `"kind":"Status"`; anything else with an
    /// error status is the pod's (or kubelet's) own answer, passed through the proxy verbatim.
    static func statusFailure(
        _ response: HTTPClientResponse,
        body: [UInt8],
        contentType: String?,
        role: TargetRole = .pod
    ) -> ScrapeFailure {
        let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
        if contentType?.lowercased().hasPrefix("application/json") == true,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            object["kind"] as? String == "Status"
        {
            let reason = (object["reason"] as? String) ?? "Unknown"
            let message = String(((object["message"] as? String) ?? "").prefix(300))
            let throttled = response.status.code == 429 || response.status.code == 503
            return ScrapeFailure(
                .apiServer,
                "API server answered \(response.status.code) \(reason): \(message)",
                retryAfterSeconds: throttled ? (retryAfter ?? 1) : nil
            )
        }
        if response.status.code == 429, String(decoding: body.prefix(200), as: UTF8.self).contains("Too many requests")
        {
            return ScrapeFailure(
                .apiServer,
                "API server answered 429 (priority and fairness): too many requests",
                retryAfterSeconds: retryAfter ?? 1
            )
        }
        let who = role == .node ? "kubelet" : "pod"
        return ScrapeFailure(.podStatus, "\(who) answered HTTP \(response.status.code)")
    }

    /// The scrape failure of a client error, by its code: a timeout is the scrape's own; the rest carry the client's
    /// message, which names the cause and what to do (TLS diagnosis, refused connection, unusable credential) and
    /// never a secret.
    static func failure(_ error: KubeClientError, timeout: Duration) -> ScrapeFailure {
        switch error.code {
        case .timeout: ScrapeFailure(.timeout, "scrape timed out after \(timeout)")
        default: ScrapeFailure(.transport, error.message)
        }
    }

    /// Whether two lines share a full 64-bit series hash, as a series written twice always does: when none do,
    /// nothing is repeated and the byte-exact check (a set of every line) is skipped.
    ///
    /// ``SeriesHashes`` keeps only 32 bits, which for a kubelet's 20,000 cAdvisor series collide in about one
    /// target in twenty — then on every scrape of that target, whose exact check cost a tenth of the gateway's CPU
    /// in a run of ten such targets. Sorting the 64-bit hashes is a small fraction of that.
    static func repeatsSeriesHash(_ hashes: [UInt64]) -> Bool {
        var sorted = hashes
        sorted.sort()
        for index in sorted.indices.dropFirst() where sorted[index] == sorted[index - 1] { return true }
        return false
    }

    /// Keeps only the first sample of each series (same name and labels), as Prometheus' storage does when a
    /// scrape repeats a series (it rejects the later samples for the same timestamp), so `/metrics` never serves a
    /// series twice. Called only when the series hashes hold a repeat.
    static func droppingRepeatedSeries(_ rendered: RenderedScrape) -> RenderedScrape {
        var seen = Set<ArraySlice<UInt8>>()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rendered.bytes.count)
        var families = rendered.families
        var family = 0
        var familyStart = 0
        var kept = 0
        func closeFamilies(before lineStart: Int) {
            while family < families.count && families[family].range.upperBound <= lineStart {
                families[family].range = familyStart..<bytes.count
                families[family].sampleCount = kept
                family += 1
                familyStart = bytes.count
                kept = 0
            }
        }
        rendered.bytes.withUnsafeBytes { raw in
            forEachSeries(in: raw) { line, seriesEnd in
                closeFamilies(before: line.lowerBound)
                if seen.insert(rendered.bytes[line.lowerBound..<seriesEnd]).inserted {
                    bytes.append(contentsOf: rendered.bytes[line])
                    kept += 1
                }
            }
        }
        closeFamilies(before: Int.max)
        var result = rendered
        result.bytes = bytes
        result.families = families
        return result
    }

    /// Calls `body` with each newline-terminated line of a rendered scrape (newline included) and where its series
    /// part ends: after the last `}`, else at the first space (a sample without labels).
    static func forEachSeries(in bytes: UnsafeRawBufferPointer, _ body: (_ line: Range<Int>, _ seriesEnd: Int) -> Void)
    {
        var lineStart = 0
        var lastBrace = -1
        var firstSpace = -1
        for index in 0..<bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "}"): lastBrace = index
            case UInt8(ascii: " ") where firstSpace < 0: firstSpace = index
            case UInt8(ascii: "\n"):
                body(lineStart..<index + 1, lastBrace >= lineStart ? lastBrace + 1 : max(firstSpace, lineStart))
                lineStart = index + 1
                lastBrace = -1
                firstSpace = -1
            default: break
            }
        }
    }
}
