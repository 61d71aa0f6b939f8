import Foundation
import Synchronization
import Testing

/// A third-party program the tests drive (kubectl, vmagent, node_exporter, aws).
struct PeerBinary: Sendable {
    var path: String

    /// Finds `name` on PATH (or at one of `candidates`); records a failure naming the Debian package that
    /// provides it and throws when it is missing: a missing peer must never skip silently.
    static func require(_ name: String, debianPackage: String, candidates: [String] = []) throws -> PeerBinary {
        var paths = candidates
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            paths.append(String(directory) + "/" + name)
        }
        paths += ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/usr/sbin/\(name)"]
        for path in paths where FileManager.default.isExecutableFile(atPath: path) {
            return PeerBinary(path: path)
        }
        var message =
            "\(name) is not installed: install the Debian package '\(debianPackage)' (apt-get install -y \(debianPackage))"
        switch debianPackage {
        case "kubectl":
            message +=
                " from the Google Cloud SDK apt repository (its dispatcher picks kubectl 1.27-1.33), "
                + "not Debian's kubernetes-client"
        case "awscli":
            message += " or `pip install awscli`"
        default:
            break
        }
        Issue.record(Comment(rawValue: message))
        throw TestFailure(message)
    }
}

/// A running child process whose output is collected as it arrives.
final class PeerProcess: Sendable {
    let process: Process
    private let stdoutBuffer = OutputBuffer()
    private let stderrBuffer = OutputBuffer()
    let name: String

    /// Starts `binary` with `arguments`; `environment` is added to a minimal one (PATH, HOME).
    init(
        _ binary: PeerBinary,
        _ arguments: [String],
        environment: [String: String] = [:],
        home: String? = nil,
        input: [UInt8]? = nil
    ) throws {
        name = (binary.path as NSString).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary.path)
        process.arguments = arguments
        var env: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home ?? NSTemporaryDirectory(),
            "LANG": "C.UTF-8",
        ]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        self.process = process
        let stdoutBuffer = self.stdoutBuffer
        let stderrBuffer = self.stderrBuffer
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { stdoutBuffer.append(data) }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { stderrBuffer.append(data) }
        }
        try process.run()
        if let inputPipe, let input {
            inputPipe.fileHandleForWriting.write(Data(input))
            // Keep stdin open briefly so an interactive peer (openssl s_client) reads the answer before EOF.
            let writer = inputPipe.fileHandleForWriting
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) { try? writer.close() }
        }
    }

    var stdout: String { stdoutBuffer.text }
    var stderr: String { stderrBuffer.text }
    var isRunning: Bool { process.isRunning }

    /// Polls until `condition` holds, the process exits, or `timeout` passes. Returns whether it held.
    func wait(timeout: Duration, for condition: (PeerProcess) -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition(self) { return true }
            if !process.isRunning {
                try? await Task.sleep(for: .milliseconds(100))
                return condition(self)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(self)
    }

    /// Waits for exit within `timeout` (then kills); returns the exit status (nil when it had to be killed).
    func waitForExit(timeout: Duration) async -> Int32? {
        let exited = await wait(timeout: timeout) { !$0.process.isRunning }
        if !exited {
            terminate()
            return nil
        }
        // Let the pipes drain.
        try? await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }

    /// Sends SIGTERM, then SIGKILL if it lingers.
    func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { terminate() }

    /// Runs a command to completion within `timeout`.
    static func run(
        _ binary: PeerBinary,
        _ arguments: [String],
        environment: [String: String] = [:],
        home: String? = nil,
        input: [UInt8]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let process = try PeerProcess(binary, arguments, environment: environment, home: home, input: input)
        let status = await process.waitForExit(timeout: timeout)
        return (status, process.stdout, process.stderr)
    }
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(_ prefix: String = "kubesim") throws {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A loopback port that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Bytes collected from a pipe.
final class OutputBuffer: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    func append(_ data: Data) { bytes.withLock { $0.append(contentsOf: data) } }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
