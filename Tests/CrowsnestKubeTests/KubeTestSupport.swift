import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOCore
import Synchronization
import Testing

@testable import CrowsnestKube

/// Helpers for the client, credential and discovery tests: simulated clusters, cluster configs pointing at them,
/// temporary folders, a log capture and bounded waiting.
enum KubeTestSupport {
    /// A scratch folder.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "crowsnest-kube-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ path: String, _ text: String, executable: Bool = false) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o600], ofItemAtPath: path)
    }

    /// A cluster config for `cluster` trusting its CA, with `auth`.
    static func config(
        _ cluster: SimulatedCluster,
        name: String? = nil,
        auth: ClusterAuth,
        tls: TLSSettings? = nil,
        discovery: DiscoveryConfig = DiscoveryConfig(),
        relabel: [RelabelRule] = [],
        labels: LabelSet = [:]
    ) throws -> ClusterConfig {
        ClusterConfig(
            name: name ?? cluster.name,
            apiServer: try APIServerURL(parsing: cluster.apiServerURL!),
            tls: tls ?? TLSSettings(certificateAuthority: .pem(cluster.caCertificatePEM)),
            auth: auth,
            labels: labels,
            discovery: discovery,
            relabelConfigs: relabel
        )
    }

    static func deadline(_ seconds: Int64 = 10) -> NIODeadline { .now() + .seconds(seconds) }

    /// Waits (at most `timeout`) until `condition` holds, polling every 50 ms.
    static func eventually(
        _ timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// A shared HTTP client for one test.
    static func withHTTPClient<Result: Sendable>(_ body: (HTTPClient) async throws -> Result) async throws -> Result {
        try await KubeHTTPClient.withClient(body)
    }

    /// Runs `discovery` while `body` runs, collecting its updates; cancels and waits for it afterwards.
    static func withDiscovery<Result: Sendable>(
        _ discovery: ClusterDiscovery,
        _ body: (UpdateCollector) async throws -> Result
    ) async throws -> Result {
        let collector = UpdateCollector()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await discovery.run() }
            group.addTask {
                for await update in discovery.targetUpdates() { collector.append(update) }
            }
            defer { group.cancelAll() }
            let result = try await body(collector)
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }
}

/// Keeps every update a discovery published.
final class UpdateCollector: Sendable {
    private let storage = Mutex<[TargetSetUpdate]>([])
    func append(_ update: TargetSetUpdate) { storage.withLock { $0.append(update) } }
    var updates: [TargetSetUpdate] { storage.withLock { $0 } }
    var latest: TargetSetUpdate? { storage.withLock { $0.last } }
    var latestPods: Set<String> { Set(latest?.targets.map { "\($0.key.namespace)/\($0.key.pod)" } ?? []) }
}

/// A log handler keeping every rendered line, to grep for secrets.
struct CapturingLogHandler: LogHandler {
    final class Store: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "test") { _ in CapturingLogHandler(store: store) }, store)
    }
}
