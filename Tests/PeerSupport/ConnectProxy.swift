import Foundation

/// Debian's tinyproxy on loopback: a real HTTP `CONNECT` proxy in front of the simulated API servers, with its
/// connection log, optional basic authentication and an optional list of the ports it tunnels to (anything else it
/// refuses with 403, as corporate proxies that allow only 443 do).
public final class ConnectProxy: Sendable {
    /// Where it listens.
    public let port: Int
    /// `http://127.0.0.1:PORT`, without credentials.
    public var url: String { "http://127.0.0.1:\(port)" }
    private let process: PeerProcess
    private let scratch: TemporaryDirectory

    /// Starts it (failing the test, naming the Debian package, when tinyproxy is missing) and waits until it
    /// accepts connections.
    /// - Parameters:
    ///   - connectPorts: the only ports it tunnels to; empty: every port.
    ///   - basicAuth: the user and password it requires (407 without them).
    public init(connectPorts: [Int] = [], basicAuth: (user: String, password: String)? = nil) async throws {
        let binary = try PeerBinary.require("tinyproxy", debianPackage: "tinyproxy")
        port = try freeLoopbackPort()
        scratch = try TemporaryDirectory("tinyproxy")
        var config = [
            "Port \(port)", "Listen 127.0.0.1", "Timeout 60", "LogLevel Connect",
            "LogFile \"\(scratch.file("log"))\"", "MaxClients 200", "Allow 127.0.0.1", "DisableViaHeader Yes",
        ]
        config += connectPorts.map { "ConnectPort \($0)" }
        if let basicAuth { config.append("BasicAuth \(basicAuth.user) \(basicAuth.password)") }
        let file = try scratch.write("tinyproxy.conf", config.joined(separator: "\n") + "\n")
        process = try PeerProcess(binary, ["-d", "-c", file], home: scratch.path)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.accepts(port) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("tinyproxy did not start: \(process.stderr) \(process.stdout)")
    }

    /// Its connection log (one `CONNECT host:port` request line per tunnel).
    public var log: String { (try? String(contentsOfFile: scratch.file("log"), encoding: .utf8)) ?? "" }

    /// How many tunnels it was asked to open to `127.0.0.1:port`.
    public func connectRequests(toPort port: Int) -> Int {
        log.components(separatedBy: "\n").filter { $0.contains("CONNECT 127.0.0.1:\(port) ") }.count
    }

    /// Stops it.
    public func stop() {
        process.stop()
        scratch.remove()
    }

    private static func accepts(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
