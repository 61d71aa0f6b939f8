import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// Helpers for the onboarding tests (rbac, add-cluster, fetch-ca, docker files): the built executable, third-party
/// programs, temporary folders, and a minimal plain-HTTP Kubernetes discovery server for `kubectl --dry-run`.
enum Onboarding {
    /// The repository root, from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh temporary folder; remove it with `removeDirectory`.
    static func makeDirectory(_ prefix: String = "onboarding") throws -> String {
        let path = NSTemporaryDirectory() + "crowsnest-\(prefix)-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file with permissions.
    static func write(_ path: String, _ text: String, permissions: Int = 0o600) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
    }

    /// The permission bits of a file.
    static func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The names in a folder, sorted.
    static func listing(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    // MARK: - Processes

    struct Output: Sendable {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs a program to completion (bounded by `timeout` seconds), with optional standard input.
    static func run(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil,
        environment: [String: String]? = nil,
        timeout: TimeInterval = 60
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let directory = try makeDirectory("run")
        defer { removeDirectory(directory) }
        let outputPath = directory + "/stdout"
        let errorPath = directory + "/stderr"
        let inputPath = directory + "/stdin"
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inputPath))
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            standardOutput: (try? read(outputPath)) ?? "",
            standardError: (try? read(errorPath)) ?? ""
        )
    }

    /// Runs `crowsnest arguments…` — the executable built next to the test bundle (`swift build` / `swift test`
    /// build it), or `$CROWSNEST_BINARY`.
    static func crowsnest(
        _ arguments: [String],
        input: String? = nil,
        environment: [String: String]? = nil,
        timeout: TimeInterval = 60
    ) throws -> Output {
        try run(try crowsnestPath(), arguments, input: input, environment: environment, timeout: timeout)
    }

    static func crowsnestPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CROWSNEST_BINARY"] { return path }
        var candidates: [String] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append((bundle.bundlePath as NSString).deletingLastPathComponent + "/crowsnest")
        }
        candidates.append((CommandLine.arguments[0] as NSString).deletingLastPathComponent + "/crowsnest")
        candidates.append(repositoryRoot + "/.build/debug/crowsnest")
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        let message = "crowsnest executable not found (run `swift build` first); tried \(candidates)"
        Issue.record(Comment(rawValue: message))
        throw OnboardingFailure(message)
    }

    /// Finds a third-party program; a missing one is a recorded failure naming the package (never a skip).
    static func requirePeer(_ name: String, package: String) throws -> String {
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/bin", "/usr/local/bin", "/bin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        let message = "\(name) is not installed: install the package '\(package)'"
        Issue.record(Comment(rawValue: message))
        throw OnboardingFailure(message)
    }

    /// `openssl x509 -noout -fingerprint -sha256 -in FILE`'s fingerprint (`AA:BB:…`).
    static func opensslFingerprint(ofPEMFile path: String) throws -> String {
        let openssl = try requirePeer("openssl", package: "openssl")
        let result = try run(openssl, ["x509", "-noout", "-fingerprint", "-sha256", "-in", path])
        guard result.status == 0, let equals = result.standardOutput.firstIndex(of: "=") else {
            throw OnboardingFailure("openssl x509 failed: \(result.standardError)")
        }
        return result.standardOutput[result.standardOutput.index(after: equals)...]
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct OnboardingFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - A Kubernetes discovery server for kubectl's client-side dry run

/// A plain-HTTP server on 127.0.0.1 answering what `kubectl apply --dry-run=client` asks before it prints
/// `created (dry run)`: `/version`, `/api`, `/apis`, the core and RBAC resource lists; every object GET is a 404
/// Status (nothing exists yet). It records every request path.
final class DiscoveryServer: Sendable {
    let port: Int
    private let log: PathLog

    private init(port: Int, log: PathLog) {
        self.port = port
        self.log = log
    }

    /// Paths requested so far.
    var requestedPaths: [String] { log.paths }

    /// Starts the server, runs `body`, stops the server.
    static func withServer<Result>(_ body: (DiscoveryServer) async throws -> Result) async throws -> Result {
        let log = PathLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(DiscoveryHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = DiscoveryServer(port: channel.localAddress?.port ?? 0, log: log)
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// A kubeconfig pointing at this server (no credentials).
    func kubeconfig() -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: http://127.0.0.1:\(port)
        users:
        - name: fake
          user: {}
        contexts:
        - name: fake
          context:
            cluster: fake
            user: fake
        current-context: fake

        """
    }

    /// The status and JSON body for a request path (query removed).
    static func response(for uri: String) -> (HTTPResponseStatus, String) {
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        func resources(_ entries: [(name: String, kind: String, namespaced: Bool)]) -> String {
            let items = entries.map { entry in
                """
                {"name":"\(entry.name)","singularName":"","namespaced":\(entry.namespaced),"kind":"\(entry.kind)",\
                "verbs":["create","delete","get","list","patch","update","watch"]}
                """
            }
            return items.joined(separator: ",")
        }
        switch path {
        case "/version":
            return (
                .ok,
                #"{"major":"1","minor":"31","gitVersion":"v1.31.4","gitCommit":"0","gitTreeState":"clean","#
                    + #""buildDate":"2024-12-10T00:00:00Z","goVersion":"go1.22","compiler":"gc","platform":"linux/amd64"}"#
            )
        case "/api":
            return (.ok, #"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}"#)
        case "/apis":
            return (
                .ok,
                #"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"rbac.authorization.k8s.io","#
                    + #""versions":[{"groupVersion":"rbac.authorization.k8s.io/v1","version":"v1"}],"#
                    + #""preferredVersion":{"groupVersion":"rbac.authorization.k8s.io/v1","version":"v1"}}]}"#
            )
        case "/api/v1":
            let list = resources([
                ("namespaces", "Namespace", false), ("serviceaccounts", "ServiceAccount", true),
                ("secrets", "Secret", true), ("pods", "Pod", true),
            ])
            return (.ok, #"{"kind":"APIResourceList","groupVersion":"v1","resources":["# + list + "]}")
        case "/apis/rbac.authorization.k8s.io/v1":
            let list = resources([
                ("clusterroles", "ClusterRole", false), ("clusterrolebindings", "ClusterRoleBinding", false),
                ("roles", "Role", true), ("rolebindings", "RoleBinding", true),
            ])
            return (
                .ok,
                #"{"kind":"APIResourceList","groupVersion":"rbac.authorization.k8s.io/v1","resources":["# + list
                    + "]}"
            )
        default:
            return (
                .notFound,
                #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"not found","#
                    + #""reason":"NotFound","code":404}"#
            )
        }
    }
}

/// The request paths a discovery server saw.
final class PathLog: Sendable {
    private let storage = Mutex<[String]>([])

    func record(_ path: String) { storage.withLock { $0.append(path) } }

    var paths: [String] { storage.withLock { $0 } }
}

private final class DiscoveryHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: PathLog
    private var head: HTTPRequestHead?

    init(log: PathLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            log.record(head.uri)
            let (status, body) = DiscoveryServer.response(for: head.uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
