import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The gateway under test: `crowsnest serve` as a child process, its stderr kept in a file.
final class GatewayProcess {
    let binary: String
    let arguments: [String]
    let stderrPath: String
    private var process: Process?

    init(binary: String, arguments: [String], stderrPath: String) {
        self.binary = binary
        self.arguments = arguments
        self.stderrPath = stderrPath
    }

    /// The child's pid (nil before ``start()``).
    var pid: Int32? { process?.processIdentifier }

    /// Whether the child still runs.
    var isRunning: Bool { process?.isRunning ?? false }

    /// How the child ended: `exit N` or `signal N`.
    var termination: String {
        guard let process, !process.isRunning else { return "running" }
        switch process.terminationReason {
        case .exit: return "exit \(process.terminationStatus)"
        case .uncaughtSignal: return "signal \(process.terminationStatus)"
        @unknown default: return "status \(process.terminationStatus)"
        }
    }

    /// Starts the child, appending its stderr (and stdout) to ``stderrPath``.
    func start() throws {
        if !FileManager.default.fileExists(atPath: stderrPath) {
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        log.seekToEndOfFile()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = arguments
        child.standardError = log
        child.standardOutput = log
        child.standardInput = FileHandle.nullDevice
        try child.run()
        process = child
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns how it ended.
    @discardableResult
    func stop(grace: TimeInterval = 10) -> String {
        guard let process else { return "never started" }
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        return termination
    }

    /// The last `lines` lines of the child's stderr.
    func stderrTail(lines: Int = 40) -> String {
        guard let text = try? String(contentsOfFile: stderrPath, encoding: .utf8) else { return "(no stderr file)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// A free TCP port on 127.0.0.1 (bound to port 0 once, then released).
    static func freeLoopbackPort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw PortError() }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else { throw PortError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct PortError: Error, CustomStringConvertible {
        var description: String { "cannot find a free loopback port" }
    }
}
