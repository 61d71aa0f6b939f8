public import Foundation
public import NIOCore
import Synchronization

/// The kubelet of one simulated node, reached through the API server's node proxy
/// (`/api/v1/nodes/NAME/proxy/metrics/cadvisor`): it serves `/metrics`, `/metrics/cadvisor`, `/metrics/resource`
/// and `/metrics/probes` in the Prometheus text format, with series for the pods whose `spec.nodeName` is its node.
///
/// Values are a deterministic function of the seed, each pod's identity and the time since ``startedAt``;
/// ``freeze(at:)`` fixes that time, so every scrape returns the same bytes and two scrapers can be compared sample
/// for sample (as a ``SimulatedExporter`` started in the future does). Faults: ``behavior``.
///
/// As in a real kubelet, cAdvisor and resource values only move when cAdvisor's housekeeping runs: through the
/// proxy they are those of the last ``housekeepingInterval`` boundary (same bytes, same timestamps within it),
/// and the rendered body (and its gzip form) is kept until the boundary passes or the cluster's pods or nodes
/// change, so many scrapers of many full nodes cost the simulator little.
public final class SimulatedKubelet: Sendable {
    private struct State: Sendable {
        var behavior: KubeletBehavior = .normal
        var frozenAt: Date?
        var timestamps = true
        var scrapeCounts: [KubeletMetricsPath: Int] = [:]
        var recentRequests: [ExporterRequest] = []
        var cache: [KubeletMetricsPath: CachedBody] = [:]
    }

    /// A rendered body, valid for one render instant and one cluster generation.
    private struct CachedBody: Sendable {
        var instantMilliseconds: Int64
        var generation: Int
        var plain: ByteBuffer
        var gzip: ByteBuffer?
    }

    /// Makes values differ between kubelets.
    public let seed: UInt64
    /// When the kubelet (and the node's counters) started.
    public let startedAt: Date
    /// How often cAdvisor and resource values move when scraped through the proxy (cAdvisor's housekeeping).
    public let housekeepingInterval: Duration
    private let state = Mutex(State())

    /// Creates a kubelet; `startedAt` defaults to a day ago, so counters have realistic sizes.
    public init(
        seed: UInt64 = 0,
        startedAt: Date = Date().addingTimeInterval(-86_400),
        housekeepingInterval: Duration = .seconds(10)
    ) {
        self.seed = seed
        self.startedAt = startedAt
        self.housekeepingInterval = housekeepingInterval
    }

    /// How the kubelet answers now.
    public var behavior: KubeletBehavior {
        get { state.withLock { $0.behavior } }
        set { state.withLock { $0.behavior = newValue } }
    }

    /// Whether cAdvisor and resource samples carry timestamps, as the real endpoints' do (default true).
    public var timestamps: Bool {
        get { state.withLock { $0.timestamps } }
        set { state.withLock { $0.timestamps = newValue } }
    }

    /// The instant every scrape renders while frozen (nil: the current time).
    public var frozenAt: Date? { state.withLock { $0.frozenAt } }

    /// Freezes values (and sample timestamps) at `date`: every scrape returns the same body until ``unfreeze()``
    /// or until the pods on the node change.
    public func freeze(at date: Date = Date()) {
        state.withLock { $0.frozenAt = date }
    }

    /// Lets values move with the clock again.
    public func unfreeze() {
        state.withLock { $0.frozenAt = nil }
    }

    /// How many times `path` has been answered (or started to be).
    public func scrapeCount(_ path: KubeletMetricsPath) -> Int {
        state.withLock { $0.scrapeCounts[path] ?? 0 }
    }

    /// The last requests it received through the proxy (at most 64), oldest first.
    public var recentRequests: [ExporterRequest] { state.withLock { $0.recentRequests } }

    /// Renders `path` for `node` with `pods` (those not on the node are ignored) as it reads at `date` (or at the
    /// frozen instant).
    public func render(
        _ path: KubeletMetricsPath,
        node: SimulatedNode,
        pods: [SimulatedPod],
        at date: Date = Date()
    ) -> ByteBuffer {
        let (frozenAt, timestamps) = state.withLock { ($0.frozenAt, $0.timestamps) }
        let metrics = KubeletMetrics(
            node: node,
            pods: pods.filter { $0.nodeName == node.name },
            seed: seed,
            startedAt: startedAt,
            now: frozenAt ?? date,
            timestamps: timestamps
        )
        switch path {
        case .kubelet: return metrics.kubelet()
        case .cadvisor: return metrics.cadvisor()
        case .resource: return metrics.resource()
        case .probes: return metrics.probes()
        }
    }

    /// What the kubelet does with one proxied request. `generation` changes whenever the cluster's pods or nodes
    /// do; `pods` (every pod of the cluster) is only read when a body must be rendered.
    func respond(
        to request: ExporterRequest,
        node: SimulatedNode,
        generation: Int,
        pods: () -> [SimulatedPod]
    ) -> KubeletAnswer {
        let behavior = state.withLock { state -> KubeletBehavior in
            state.recentRequests.append(request)
            if state.recentRequests.count > 64 { state.recentRequests.removeFirst() }
            return state.behavior
        }
        let text = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
        var delay = Duration.zero
        switch behavior {
        case .normal: break
        case .delay(let wait): delay = wait
        case .status(let code, let body):
            return .response(ExporterResponse(status: code, headers: text, body: .bytes(ByteBuffer(string: body))))
        case .connectionRefused:
            return .unreachable("connect: connection refused", after: .zero)
        case .dialTimeout(let after):
            return .unreachable("i/o timeout", after: after)
        }
        let path = request.path
        if path == "/healthz" {
            return .response(ExporterResponse(status: 200, headers: text, body: .bytes(ByteBuffer(string: "ok"))))
        }
        guard let metricsPath = KubeletMetricsPath(rawValue: path) else {
            return .response(
                ExporterResponse(status: 404, headers: text, body: .bytes(ByteBuffer(string: "404 page not found\n")))
            )
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .response(
                ExporterResponse(
                    status: 405,
                    headers: text,
                    body: .bytes(ByteBuffer(string: "Method Not Allowed\n"))
                )
            )
        }
        state.withLock { $0.scrapeCounts[metricsPath, default: 0] += 1 }
        let gzip = (request.header("Accept-Encoding") ?? "").lowercased().contains("gzip")
        let body = cachedBody(metricsPath, node: node, generation: generation, gzip: gzip, pods: pods)
        var headers = [("Content-Type", ExporterFormat.text.contentType)]
        if gzip { headers.append(("Content-Encoding", "gzip")) }
        return .response(ExporterResponse(status: 200, headers: headers, body: .bytes(body), delay: delay))
    }

    /// The body of `path` now: cAdvisor and resource bodies at the last housekeeping boundary (or the frozen
    /// instant), reused while neither that instant nor `generation` changes; the others rendered afresh.
    private func cachedBody(
        _ path: KubeletMetricsPath,
        node: SimulatedNode,
        generation: Int,
        gzip: Bool,
        pods: () -> [SimulatedPod]
    ) -> ByteBuffer {
        let frozenAt = self.frozenAt
        guard path == .cadvisor || path == .resource else {
            let body = render(path, node: node, pods: pods())
            return gzip ? Gzip.compress(body) : body
        }
        let instant: Date
        if let frozenAt {
            instant = frozenAt
        } else {
            let interval = max(1, Double(housekeepingInterval.components.seconds))
            instant = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / interval).rounded(.down) * interval)
        }
        let milliseconds = Int64((instant.timeIntervalSince1970 * 1000).rounded(.down))
        let cached = state.withLock { state -> CachedBody? in
            guard let entry = state.cache[path], entry.instantMilliseconds == milliseconds,
                entry.generation == generation
            else { return nil }
            return entry
        }
        if let cached, !gzip { return cached.plain }
        if let cached, let compressed = cached.gzip { return compressed }
        let plain = cached?.plain ?? render(path, node: node, pods: pods(), at: instant)
        let compressed = gzip ? Gzip.compress(plain) : nil
        state.withLock { state in
            if let entry = state.cache[path], entry.instantMilliseconds == milliseconds,
                entry.generation == generation
            {
                if state.cache[path]?.gzip == nil { state.cache[path]?.gzip = compressed }
            } else {
                state.cache[path] = CachedBody(
                    instantMilliseconds: milliseconds,
                    generation: generation,
                    plain: plain,
                    gzip: compressed
                )
            }
        }
        return compressed ?? plain
    }
}
