import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import Hummingbird
import InMemoryLogging
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Runs simulated clusters and a real gateway (listening on 127.0.0.1, port chosen by the OS) for end-to-end tests.
struct GatewayHarness: Sendable {
    let port: Int
    let directory: String
    let httpClient: HTTPClient
    let gateway: Gateway

    static let gatewayIdentity = Identity.serviceAccount(namespace: "monitoring", name: "crowsnest")

    /// Writes a cluster file for `cluster` (token of a scraping service account) with a short scrape interval.
    /// `scrapeSettings` are more lines of the `scrape:` block, each indented by two spaces.
    static func writeClusterFile(
        _ cluster: SimulatedCluster,
        into directory: String,
        labels: [String: String] = [:],
        scrapeSettings: String = "",
        extra: String = ""
    ) throws {
        cluster.policy.allowScraping(.user(gatewayIdentity.user))
        let token = cluster.issueToken(for: gatewayIdentity)
        let files = try ClusterFiles.write(cluster: cluster, token: token, labels: labels, into: directory)
        let text = try String(contentsOfFile: files.clusterFile, encoding: .utf8)
        try (text + extra + "scrape:\n  interval: 1s\n  timeout: 800ms\n" + scrapeSettings).write(
            toFile: files.clusterFile,
            atomically: true,
            encoding: .utf8
        )
    }

    /// Starts `clusters`, writes their files, runs the gateway and calls `body`; everything stops afterwards.
    /// `web` protects the gateway's endpoints (and serves HTTPS with its TLS files); `remoteWrite` are
    /// `crowsnest.yaml`'s `remote_write` entries; `discoveryOptions` are the
    /// connector's (backoffs, list timeout); the gateway logs from `logLevel` up.
    static func run(
        _ clusters: [SimulatedCluster],
        writeFiles: Bool = true,
        scrapeSettings: String = "",
        web: WebConfig = WebConfig(),
        remoteWrite: [RemoteWriteConfig] = [],
        discoveryOptions: DiscoveryOptions = DiscoveryOptions(),
        logLevel: Logger.Level = .warning,
        logHandler: InMemoryLogHandler? = nil,
        globalConfigYAML: String? = nil,
        timestamps: Bool = true,
        clusterFileExtra: @Sendable (SimulatedCluster) -> String = { _ in "" },
        body: @Sendable (GatewayHarness, [SimulatedCluster]) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crowsnest-e2e-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory + "/clusters.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger =
            logHandler.map { handler in Logger(label: "e2e", factory: { _ in handler }) } ?? Logger(label: "e2e")
        logger.logLevel = logLevel
        // The simulated clusters stop before the HTTP client shuts down: the other way round, the client waits for
        // the clusters' open watches (about 5 s per test).
        try await KubeHTTPClient.withClient { httpClient in
            try await SimulatedCluster.withRunning(clusters) { running in
                if writeFiles {
                    for cluster in running {
                        try writeClusterFile(
                            cluster,
                            into: directory,
                            scrapeSettings: scrapeSettings,
                            extra: clusterFileExtra(cluster)
                        )
                    }
                }
                let port = Mutex<Int?>(nil)
                let metrics = GatewayMetrics()
                var options = GatewayOptions(
                    listen: ListenAddress(host: "127.0.0.1", port: 0),
                    configDirectory: directory + "/clusters.d",
                    globalConfig: GlobalConfig(web: web, remoteWrite: remoteWrite),
                    pollInterval: .milliseconds(200),
                    discoveryOptions: discoveryOptions
                )
                options.globalConfig.timestamps = timestamps
                if let globalConfigYAML {
                    // A crowsnest.yaml beside clusters.d, re-read on every requested reload (its `web` is not used).
                    options.globalConfigFile = directory + "/crowsnest.yaml"
                    try globalConfigYAML.write(toFile: directory + "/crowsnest.yaml", atomically: true, encoding: .utf8)
                }
                let gateway = buildGateway(
                    options: options,
                    httpClient: httpClient,
                    metrics: metrics,
                    server: try WebListener.serverBuilder(for: web),
                    logger: logger,
                    onServerRunning: { bound in port.withLock { $0 = bound } }
                )
                // Stopped by a graceful shutdown, not by cancelling it: a cancelled server can drop a connection it
                // accepted but has not served yet, and NIO traps on that ("Deinited NIOAsyncWriter without calling
                // finish()", apple/swift-nio#2637).
                let services = ServiceGroup(configuration: .init(services: [gateway.application], logger: logger))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    let deadline = ContinuousClock.now + .seconds(20)
                    while port.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    guard let bound = port.withLock({ $0 }) else {
                        throw HarnessError("gateway did not start listening")
                    }
                    let harness = GatewayHarness(
                        port: bound,
                        directory: directory,
                        httpClient: httpClient,
                        gateway: gateway
                    )
                    do {
                        try await body(harness, running)
                    } catch {
                        group.cancelAll()
                        throw error
                    }
                    await services.triggerGracefulShutdown()
                    // Cancellation only as a fallback, should the shutdown hang.
                    group.addTask {
                        guard (try? await Task.sleep(for: .seconds(15))) != nil else { return }
                        print("harness: the gateway's graceful shutdown took over 15 s; cancelling it")
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// GETs a gateway path; returns status and body text.
    func get(_ path: String, headers: [(String, String)] = []) async throws -> (Int, String, HTTPHeaders) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 512 << 20)
        return (Int(response.status.code), String(buffer: body), response.headers)
    }

    /// The parsed families of `/metrics`.
    func metrics(_ query: String = "") async throws -> [MetricFamily] {
        let (_, text, _) = try await get("/metrics" + query)
        return try MetricFamily.parse(text, format: .text, mode: .strict)
    }

    /// Polls `condition` on the parsed `/metrics` every 200 ms for at most `seconds`.
    func waitForMetrics(seconds: Double = 15, _ condition: ([MetricFamily]) -> Bool) async throws -> [MetricFamily] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last: [MetricFamily] = []
        while ContinuousClock.now < deadline {
            last = try await metrics()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        return last
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension [MetricFamily] {
    /// Every sample of every family.
    var allSamples: [Sample] { flatMap(\.samples) }

    /// The `up` value per pod of `cluster`.
    func up(cluster: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for sample in first(where: { $0.name == "up" })?.samples ?? [] where sample.label("cluster") == cluster {
            result[sample.label("pod_name") ?? ""] = sample.value
        }
        return result
    }
}
