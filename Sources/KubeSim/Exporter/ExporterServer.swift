import Foundation
import NIOCore
import NIOHTTP1

/// Serves a ``SimulatedExporter`` over plain HTTP on a loopback port, like a real exporter process (for
/// ``PodBackend/address(host:port:)`` backends and for scraping without the API server).
public final class ExporterServer: Sendable {
    /// The exporter served.
    public let exporter: SimulatedExporter
    private let listener: HTTPListener

    /// Creates a server for `exporter` on `host`:`port` (0 = any free port).
    public init(exporter: SimulatedExporter, host: String = "127.0.0.1", port: Int = 0) throws(KubeSimError) {
        guard PodBackend.isLoopback(host) else {
            throw KubeSimError(.invalid, "the simulator only listens on loopback addresses, not \(host)")
        }
        self.exporter = exporter
        listener = HTTPListener(host: host, port: port, tlsContext: nil)
    }

    /// The bound port, once listening.
    public var port: Int? { listener.port }

    /// Serves until cancelled.
    public func run() async throws {
        let exporter = self.exporter
        try await listener.run { connection in
            await ExporterServer.serve(connection, exporter: exporter)
        }
    }

    /// Waits until listening; returns the port.
    @discardableResult
    public func waitUntilListening() async throws -> Int {
        try await listener.waitUntilListening()
    }

    /// Runs the server for the duration of `body`.
    public func withRunning<Result: Sendable>(_ body: (ExporterServer) async throws -> Result) async throws -> Result {
        listener.prepareForRun()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                try await waitUntilListening()
                let result = try await body(self)
                group.cancelAll()
                try? await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    private static func serve(_ connection: HTTPConnectionChannel, exporter: SimulatedExporter) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead): head = requestHead
                    case .body: continue
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let uri = requestHead.uri
                        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
                        let query = uri.contains("?") ? String(uri.split(separator: "?", maxSplits: 1).last!) : nil
                        let request = ExporterRequest(
                            method: requestHead.method.rawValue,
                            path: path,
                            query: query,
                            headers: requestHead.headers.map { ($0.name, $0.value) }
                        )
                        let writer = ResponseWriter(
                            outbound: outbound,
                            channel: channel,
                            keepAlive: requestHead.isKeepAlive,
                            auditID: ""
                        ) { _ in }
                        try await exporter.respond(to: request).write(to: writer, method: request.method)
                        if writer.status == nil || !requestHead.isKeepAlive || !channel.isActive { return }
                    }
                }
            }
        } catch {
            // Client went away.
        }
    }
}
