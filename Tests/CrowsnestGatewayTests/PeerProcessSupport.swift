import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

/// A third-party program a gateway test drives (prometheus, kubectl) or the built `crowsnest` executable.
struct PeerTool: Sendable {
    /// The executable's path.
    var path: String

    /// Finds `name` on PATH or in the usual system folders; records a failure naming the Debian package that
    /// provides it and throws when it is missing: a missing peer must never skip silently.
    static func require(_ name: String, debianPackage: String) throws -> PeerTool {
        var paths: [String] = []
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            paths.append(String(directory) + "/" + name)
        }
        paths += ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/usr/sbin/\(name)"]
        for path in paths where FileManager.default.isExecutableFile(atPath: path) {
            return PeerTool(path: path)
        }
        let message =
            "\(name) is not installed: install the Debian package '\(debianPackage)' (apt-get install -y \(debianPackage))"
        Issue.record(Comment(rawValue: message))
        throw PeerFailure(message)
    }

    /// The built `crowsnest` executable (see ``CrowsnestBinary``).
    static func crowsnest() throws -> PeerTool { PeerTool(path: try CrowsnestBinary.url().path) }
}

/// A running child process whose standard output and error go to files in `directory`, stopped by
/// ``stop()`` (call it in a `defer`) and at the latest when released.
final class PeerChild: Sendable {
    let process: Process
    /// Where its output goes.
    let outputPath: String
    let errorPath: String

    /// Starts `tool arguments…` with `environment` added to a minimal one (PATH, HOME, LANG).
    init(
        _ tool: PeerTool,
        _ arguments: [String],
        directory: ScratchDirectory,
        environment: [String: String] = [:]
    ) throws {
        let label = "\((tool.path as NSString).lastPathComponent)-\(UUID().uuidString.prefix(6))"
        outputPath = directory.file(label + ".out")
        errorPath = directory.file(label + ".err")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.path)
        process.arguments = arguments
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": directory.path,
            "LANG": "C.UTF-8",
        ]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        self.process = process
        try process.run()
    }

    /// Everything it wrote to standard output so far.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    /// Everything it wrote to standard error so far.
    var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// Polls `condition` every 50 ms until it holds, the process exits or `timeout` passes; returns whether it held.
    func wait(timeout: Duration, for condition: (PeerChild) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            if !process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(self)
    }

    /// Sends SIGTERM, then SIGKILL after 2 s; waits for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// Runs `tool arguments…` to completion within `timeout` (killed after it); returns status and output.
    static func run(
        _ tool: PeerTool,
        _ arguments: [String],
        directory: ScratchDirectory,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32?, output: String, errorOutput: String) {
        let child = try PeerChild(tool, arguments, directory: directory, environment: environment)
        let exited = await child.wait(timeout: timeout) { !$0.isRunning }
        if !exited { child.stop() }
        return (exited ? child.process.terminationStatus : nil, child.output, child.errorOutput)
    }
}

/// A fresh temporary directory, removed by ``remove()``.
struct ScratchDirectory: Sendable {
    let path: String

    init(_ prefix: String) throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` (creating folders), with `permissions`; returns the path.
    @discardableResult
    func write(_ name: String, _ text: String, permissions: Int = 0o600) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: target)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A loopback TCP port that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PeerFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw PeerFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw PeerFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A peer test's failure.
struct PeerFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Plain HTTP GETs to loopback peers (Prometheus' API, a gateway child process).
enum LoopbackHTTP {
    /// GETs `url`; returns status and body (nil status when the peer does not answer).
    static func get(_ client: HTTPClient, _ url: String, timeout: Int64 = 10) async -> (status: Int?, body: String) {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(timeout))
            let body = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return (nil, "\(error)")
        }
    }

    /// Percent-encodes a query parameter value.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? value
    }
}

/// The parts of `/api/v1/clusters/{name}` the peer tests read.
struct ClusterHealthJSON: Decodable {
    struct Target: Decodable {
        var namespace: String
        var pod: String
        var port: String
        var labels: [String: String]
        var up: Bool?
        var error: String?
    }

    struct Refused: Decodable {
        var namespace: String
        var pod: String
        var reason: String
    }

    var name: String
    var status: String
    var credentialKind: String?
    var auth: String?
    var lastError: String?
    var targetsUp: Int
    var targetsTotal: Int
    var targets: [Target]?
    var refusedPods: [Refused]?

    static func decode(_ text: String) throws -> ClusterHealthJSON {
        try JSONDecoder().decode(ClusterHealthJSON.self, from: Data(text.utf8))
    }
}

extension SimulatedCluster {
    /// Adds a Running pod whose port 9102 is served by an exporter with `series` series frozen in time (its values
    /// are those of the exporter's start, an hour from now), so two fetches at different times agree.
    @discardableResult
    func addFrozenExporterPod(
        namespace: String,
        name: String,
        series: Int = 20,
        annotations: [String: String] = ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"]
    ) throws -> SimulatedExporter {
        let exporter = SimulatedExporter(
            series: series,
            seed: (namespace + "/" + name).utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 },
            startedAt: Date().addingTimeInterval(3600)
        )
        try pods.add(
            SimulatedPod(
                namespace: namespace,
                name: name,
                labels: ["app": name],
                annotations: annotations,
                owner: .init(kind: "StatefulSet", name: name),
                nodeName: "node-1",
                containers: [.init(name: "app", ports: [.init(name: "metrics", containerPort: 9102)])],
                podIP: pods.allocatePodIP(),
                backends: [9102: .exporter(exporter)]
            )
        )
        return exporter
    }
}
