import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import Hummingbird
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

// Support for FaultMatrixPodTests: a loopback exporter whose body the test scripts, the three-cluster world,
// and the five checks every fault row makes.

// MARK: - Scripted exporter

/// A real HTTP exporter on 127.0.0.1 (behind a pod through ``PodBackend/address(host:port:)``) whose answer the test
/// chooses: the bodies KubeSim's ``ExporterBehavior`` cannot make (duplicate series, repeated label names, huge
/// label values, invalid UTF-8, spoofed labels, an endless streamed body, a million series).
final class ScriptedExporter: Sendable {
    /// What the next scrapes get.
    enum Mode: Sendable, Equatable {
        /// 20 ordinary series.
        case normal
        /// The ordinary series plus one series written twice (different values).
        case duplicateSeries
        /// The ordinary series plus a sample naming one label twice.
        case repeatedLabelName
        /// The ordinary series plus a sample whose label value has `bytes` bytes.
        case hugeLabelValue(bytes: Int)
        /// The ordinary series plus a sample whose label value is not UTF-8.
        case invalidUTF8
        /// The ordinary series plus a sample carrying `cluster`, `namespace`, `pod_name`, `instance`, `job`,
        /// `provider` and `exported_cluster` labels of its own.
        case spoofedLabels
        /// A valid body of `totalBytes`, streamed in 64 KiB chunks (never held whole).
        case endlessBody(totalBytes: Int)
        /// `count` series of one family (`scripted_bulk`), held once and reused.
        case bulk(count: Int)
    }

    private struct State: Sendable {
        var mode: Mode = .normal
        var requests = 0
        var bytesSent = 0
        var bulk: (Int, ByteBuffer)?
    }

    private let state = Mutex(State())

    /// The mode scrapes get now.
    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    /// Requests answered (or being answered).
    var requests: Int { state.withLock { $0.requests } }

    /// Body bytes handed to the connection so far.
    var bytesSent: Int { state.withLock { $0.bytesSent } }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The 20 ordinary series: identical in every scrape but for the counter values.
    static func normalBody(scrape: Int) -> String {
        var text = "# HELP scripted_requests_total Requests handled.\n# TYPE scripted_requests_total counter\n"
        for index in 0..<10 { text += "scripted_requests_total{handler=\"/h\(index)\"} \(scrape * 10 + index)\n" }
        text += "# HELP scripted_queue_depth Items waiting.\n# TYPE scripted_queue_depth gauge\n"
        for index in 0..<10 { text += "scripted_queue_depth{queue=\"q\(index)\"} \(index)\n" }
        return text
    }

    /// The extra lines of `mode` after the ordinary series.
    static func extra(_ mode: Mode) -> [UInt8] {
        switch mode {
        case .normal, .endlessBody, .bulk: return []
        case .duplicateSeries:
            return Array(
                "# TYPE scripted_duplicate gauge\nscripted_duplicate{copy=\"a\"} 1\nscripted_duplicate{copy=\"a\"} 2\n"
                    .utf8
            )
        case .repeatedLabelName:
            return Array("# TYPE scripted_repeated gauge\nscripted_repeated{code=\"200\",code=\"500\"} 1\n".utf8)
        case .hugeLabelValue(let bytes):
            return Array(
                "# TYPE scripted_huge gauge\nscripted_huge{blob=\"\(String(repeating: "x", count: bytes))\"} 1\n".utf8
            )
        case .invalidUTF8:
            return Array("# TYPE scripted_bad_utf8 gauge\nscripted_bad_utf8{value=\"".utf8) + [0xC3, 0x28, 0xFF]
                + Array("\"} 1\n".utf8)
        case .spoofedLabels:
            return Array(
                ("# TYPE scripted_spoof gauge\nscripted_spoof{cluster=\"evil\",namespace=\"kube-system\",pod_name=\"kube-apiserver-0\","
                    + "instance=\"10.0.0.1:6443\",job=\"apiserver\",provider=\"evil-cloud\",exported_cluster=\"pre-exported\"} 1\n")
                    .utf8
            )
        }
    }

    /// `count` series `scripted_bulk{i="N"} 1`.
    private func bulkBody(count: Int) -> ByteBuffer {
        if let cached = state.withLock({ $0.bulk }), cached.0 == count { return cached.1 }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * 24 + 64)
        buffer.writeString("# TYPE scripted_bulk gauge\n")
        for index in 0..<count { buffer.writeString("scripted_bulk{i=\"\(index)\"} 1\n") }
        state.withLock { $0.bulk = (count, buffer) }
        return buffer
    }

    /// The response to one scrape.
    private func respond() -> Response {
        let (mode, scrape) = state.withLock { state -> (Mode, Int) in
            state.requests += 1
            return (state.mode, state.requests)
        }
        let headers: HTTPFields = [.contentType: Self.contentType]
        switch mode {
        case .endlessBody(let total):
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    var chunk = ByteBuffer(string: Self.normalBody(scrape: scrape))
                    var line = 0
                    var sent = 0
                    while sent < total {
                        while chunk.readableBytes < 64 * 1024 {
                            chunk.writeString("scripted_filler{line=\"\(line)\"} 1\n")
                            line += 1
                        }
                        let size = chunk.readableBytes
                        try await writer.write(chunk)
                        sent += size
                        self.state.withLock { $0.bytesSent += size }
                        chunk.clear()
                    }
                    try await writer.finish(nil)
                }
            )
        case .bulk(let count):
            let body = bulkBody(count: count)
            state.withLock { $0.bytesSent += body.readableBytes }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        default:
            var body = ByteBuffer(string: Self.normalBody(scrape: scrape))
            body.writeBytes(Self.extra(mode))
            state.withLock { $0.bytesSent += body.readableBytes }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }

    /// Serves the exporter on a free loopback port for the duration of `body`.
    func withRunning<Result: Sendable>(_ body: @Sendable (Int) async throws -> Result) async throws -> Result {
        let router = Router()
        router.get("metrics") { [self] _, _ in respond() }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "scripted-exporter")
        logger.logLevel = .error
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "scripted"),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while port.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            guard let bound = port.withLock({ $0 }) else {
                group.cancelAll()
                throw HarnessError("scripted exporter did not start listening")
            }
            do {
                let result = try await body(bound)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}

/// Runs several scripted exporters; `body` gets their ports in order.
func withScriptedExporters<Result: Sendable>(
    _ exporters: [ScriptedExporter],
    _ body: @Sendable ([Int]) async throws -> Result
) async throws -> Result {
    guard let first = exporters.first else { return try await body([]) }
    let rest = Array(exporters.dropFirst())
    return try await first.withRunning { port in
        try await withScriptedExporters(rest) { ports in try await body([port] + ports) }
    }
}

extension SimulatedCluster {
    /// Adds a Running pod `namespace/name` annotated for scraping on 9102, answered by `backend`.
    func addFaultPod(namespace: String, name: String, backend: PodBackend) throws {
        try pods.add(
            SimulatedPod(
                namespace: namespace,
                name: name,
                labels: ["app": "fault-target"],
                annotations: [
                    "prometheus.io/scrape": "true", "prometheus.io/port": "9102", "prometheus.io/path": "/metrics",
                ],
                owner: .init(kind: "StatefulSet", name: "fault-target"),
                nodeName: "node-1",
                containers: [
                    .init(
                        name: "app",
                        image: "registry.example/fault-target:1.0",
                        ports: [.init(name: "metrics", containerPort: 9102)]
                    )
                ],
                podIP: pods.allocatePodIP(),
                backends: [9102: backend]
            )
        )
    }
}

// MARK: - Cluster files

enum FaultClusterFiles {
    /// Writes `clusters.d/NAME.yaml` (with `scrape` appended verbatim) atomically, after its CA and token files, so
    /// the gateway never sees the file without its scrape settings.
    static func write(
        cluster: SimulatedCluster,
        token: String,
        labels: [String: String],
        scrape: String,
        into directory: String
    ) throws {
        let staging = directory + "/staging-\(cluster.name)"
        let files = try ClusterFiles.write(cluster: cluster, token: token, labels: labels, into: staging)
        let text = try String(contentsOfFile: files.clusterFile, encoding: .utf8)
        try (text + scrape).write(
            toFile: directory + "/clusters.d/\(cluster.name).yaml",
            atomically: true,
            encoding: .utf8
        )
    }
}

// MARK: - Observing the gateway

/// What the gateway shows at one moment: the parsed `/metrics` and every cluster's targets.
struct PodFaultView: Sendable {
    var families: [MetricFamily]
    var targets: [String: [ClusterHealth.Target]]

    /// "cluster/namespace/pod" of a sample.
    static func podKey(_ sample: Sample) -> String {
        "\(sample.label("cluster") ?? "?")/\(sample.label("namespace") ?? "?")/\(sample.label("pod_name") ?? "?")"
    }

    /// Whether a sample is one of Prometheus' synthetic per-target series.
    static func isSynthetic(_ name: String) -> Bool { name == "up" || name.hasPrefix("scrape_") }

    /// `up` per pod key.
    var up: [String: Double] {
        var result: [String: Double] = [:]
        for sample in families.first(where: { $0.name == "up" })?.samples ?? [] {
            result[Self.podKey(sample)] = sample.value
        }
        return result
    }

    /// The scraped (non-synthetic) series identities per pod key: name and sorted labels, no value, no timestamp.
    var series: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for family in families {
            for sample in family.samples where !Self.isSynthetic(sample.name) {
                result[Self.podKey(sample), default: []].insert(sample.name + LabelSet(sample.labels).description)
            }
        }
        return result
    }

    /// The target row of `cluster/namespace/pod`.
    func target(_ key: String) -> ClusterHealth.Target? {
        let parts = key.split(separator: "/", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return nil }
        return targets[parts[0]]?.first { $0.namespace == parts[1] && $0.pod == parts[2] }
    }

    /// Every sample whose `cluster`, `namespace`, `pod_name` or static labels differ from its target's labels, or
    /// that names no target at all (mislabelled series), as descriptions.
    var mislabelled: [String] {
        var byKey: [String: ClusterHealth.Target] = [:]
        for (cluster, rows) in targets { for row in rows { byKey["\(cluster)/\(row.namespace)/\(row.pod)"] = row } }
        var problems: [String] = []
        for family in families {
            for sample in family.samples {
                guard let row = byKey[Self.podKey(sample)] else {
                    problems.append("\(sample.name)\(LabelSet(sample.labels)) names no target")
                    continue
                }
                for (name, value) in row.labels where sample.label(name) != value {
                    problems.append(
                        "\(sample.name) of \(Self.podKey(sample)) has \(name)=\(sample.label(name) ?? "nil"), target says \(value)"
                    )
                }
            }
        }
        return problems
    }
}

extension GatewayHarness {
    /// GETs a path and returns status and body bytes (bounded at `limit`).
    func podFaultBytes(_ path: String, limit: Int = 256 << 20) async throws -> (Int, [UInt8]) {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: limit)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    /// The target rows of every cluster, from `/api/v1/clusters/{name}`.
    func podFaultTargetRows(_ clusters: [String]) async throws -> [String: [ClusterHealth.Target]] {
        var result: [String: [ClusterHealth.Target]] = [:]
        for cluster in clusters {
            let (status, bytes) = try await podFaultBytes("/api/v1/clusters/\(cluster)")
            if status == 404 {
                // Not loaded yet (or gone): no targets.
                result[cluster] = []
                continue
            }
            guard status == 200 else { throw HarnessError("/api/v1/clusters/\(cluster) answered \(status)") }
            result[cluster] = try ClusterHealth.decode(String(decoding: bytes, as: UTF8.self)).targets ?? []
        }
        return result
    }

    /// `/metrics` (which must answer 200 and parse strictly: property (a)) and the target rows of `clusters`.
    func podFaultView(_ clusters: [String]) async throws -> PodFaultView {
        let (status, bytes) = try await podFaultBytes("/metrics")
        guard status == 200 else { throw HarnessError("/metrics answered \(status)") }
        let families = try MetricFamily.parse(bytes, format: .text, mode: .strict)
        return PodFaultView(families: families, targets: try await podFaultTargetRows(clusters))
    }

    /// Polls `view` every 250 ms until `condition` holds, for at most `seconds`; returns the last view.
    func waitForPodFaultView(
        _ clusters: [String],
        seconds: Double = 20,
        _ condition: (PodFaultView) -> Bool
    ) async throws -> PodFaultView {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last = try await podFaultView(clusters)
        while !condition(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            last = try await podFaultView(clusters)
        }
        return last
    }
}

// MARK: - The five properties

/// What a fault row expects while the fault lasts.
enum FaultExpectation: Sendable {
    /// The target is up 0 and its health row's error contains `reason`.
    case down(reason: String)
    /// The target stays up 1; `check` (on the view once `observed` holds) says what else must be true.
    case stays(observed: @Sendable (PodFaultView) -> Bool, check: @Sendable (PodFaultView) -> Void)
}

/// One row of the matrix: a fault on one pod, and how to end it.
struct PodFaultRow: Sendable {
    var name: String
    /// "cluster/namespace/pod".
    var target: String
    var expectation: FaultExpectation
    var inject: @Sendable () -> Void
    var heal: @Sendable () -> Void
}

/// The state every other target must keep while a row runs.
struct PodFaultBaseline: Sendable {
    var up: [String: Double]
    var series: [String: Set<String>]
}

extension GatewayHarness {
    /// Runs one row and checks the five properties: (a) `/metrics` keeps answering (every poll, strictly valid);
    /// (b) every other target keeps its `up` and its series; (c) the target's `up` and health reason; (d) after the
    /// fault, the target is up 1 with exactly its series again; (e) no sample is lost or mislabelled.
    func checkPodFault(_ row: PodFaultRow, baseline: PodFaultBaseline, clusters: [String]) async throws {
        let comment = Comment(rawValue: row.name)
        row.inject()
        let during: PodFaultView
        switch row.expectation {
        case .down(let reason):
            during = try await waitForPodFaultView(clusters) { view in
                view.up[row.target] == 0 && view.target(row.target)?.up == false
                    && view.target(row.target)?.error?.contains(reason) == true
            }
            // (c) up 0, the reason, and no scraped samples left for the target.
            #expect(during.up[row.target] == 0, comment)
            let error = during.target(row.target)?.error
            #expect(error?.contains(reason) == true, "\(row.name): error \(error ?? "nil"), expected \(reason)")
            #expect(
                during.series[row.target] == nil,
                "\(row.name): stale samples \(during.series[row.target]?.count ?? 0)"
            )
        case .stays(let observed, let check):
            during = try await waitForPodFaultView(clusters) { observed($0) }
            #expect(observed(during), "\(row.name): the fault was never observed")
            // (c) still up, the row's own checks.
            #expect(during.up[row.target] == 1, comment)
            #expect(during.target(row.target)?.up == true, comment)
            check(during)
        }
        // (b) everyone else untouched.
        for (key, value) in baseline.up where key != row.target {
            #expect(
                during.up[key] == value,
                "\(row.name): \(key) up \(String(describing: during.up[key])), was \(value)"
            )
            #expect(during.series[key] == baseline.series[key], "\(row.name): \(key) series changed")
        }
        // (e) nothing mislabelled while the fault lasts.
        #expect(during.mislabelled.isEmpty, "\(row.name): \(during.mislabelled.prefix(5))")
        // (d) recovery.
        row.heal()
        let healedAt = Date()
        // Waits for the whole world to be as before: a scrape of another pod that timed out on a loaded machine
        // recovers by itself; one the fault broke for good does not.
        let after = try await waitForPodFaultView(clusters) { view in
            view.up == baseline.up && view.series == baseline.series
        }
        #expect(after.up[row.target] == 1, "\(row.name): not up again after \(Date().timeIntervalSince(healedAt)) s")
        #expect(after.series[row.target] == baseline.series[row.target], "\(row.name): series not back")
        #expect(after.up == baseline.up, "\(row.name): up after recovery differs from the baseline")
        #expect(after.series == baseline.series, "\(row.name): series after recovery differ from the baseline")
        #expect(after.mislabelled.isEmpty, "\(row.name): \(after.mislabelled.prefix(5))")
    }
}

// MARK: - Process memory

enum ProcessMemory {
    /// The resident set size of this process (which hosts the gateway under test), bytes; 0 when unknown.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
