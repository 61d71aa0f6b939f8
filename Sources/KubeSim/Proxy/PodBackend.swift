/// What answers on one port of a simulated pod when the API server proxies to it.
public enum PodBackend: Sendable {
    /// An in-process simulated exporter (no socket involved).
    case exporter(SimulatedExporter)
    /// A real HTTP server on a loopback address (a real node_exporter, say). Only `127.0.0.1`, `::1` and
    /// `localhost` are allowed: the simulator never dials anything else.
    case address(host: String, port: Int)
    /// Nothing listens: the proxy answers 503 `connection refused`.
    case refused

    /// Whether `host` is a loopback address.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]"
            || host.hasPrefix("127.")
                && host.split(separator: ".").count == 4
                && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }
}
