import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import NIOSSL
import PeerSupport

/// A response collected whole.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: String { String(buffer: body) }

    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

/// An HTTPS client for one simulated cluster: trusts its CA, sends a bearer token.
struct TestClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let tls: TLSConfiguration
    var token: String?

    init(http: HTTPClient, cluster: SimulatedCluster, token: String?) throws {
        self.http = http
        self.baseURL = cluster.apiServerURL!
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(cluster.caCertificatePEM.utf8), format: .pem)
        ])
        self.tls = tls
        self.token = token
    }

    func request(
        _ path: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        body: String? = nil
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.tlsConfiguration = tls
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        return request
    }

    /// Sends a request and collects the whole body (at most 256 MiB), within `timeout`.
    func send(
        _ path: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        body: String? = nil,
        timeout: TimeAmount = .seconds(20)
    ) async throws -> TestResponse {
        let response = try await http.execute(
            request(path, method: method, headers: headers, body: body),
            timeout: timeout
        )
        let collected = try await response.body.collect(upTo: 256 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: collected)
    }

    /// Opens a watch and collects newline-delimited events until `stop` returns true for the events so far,
    /// the stream ends, or `timeout` passes. Returns the events and whether the stream ended by itself.
    func watch(
        _ path: String,
        headers: [(String, String)] = [],
        timeout: Duration = .seconds(10),
        until stop: @escaping @Sendable ([[String: Any]]) -> Bool = { _ in false },
        whileOpen: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> WatchResult {
        let response = try await http.execute(
            request(path, headers: headers),
            timeout: .seconds(Int64(timeout.components.seconds) + 5)
        )
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = try await response.body.collect(upTo: 1 << 20)
            return WatchResult(
                status: status,
                events: [],
                chunks: 0,
                endedByServer: true,
                errorBody: String(buffer: body)
            )
        }
        return try await withThrowingTaskGroup(of: WatchResult?.self) { group in
            group.addTask {
                var events: [[String: Any]] = []
                var pending: [UInt8] = []
                var chunks = 0
                var unaligned = false
                for try await chunk in response.body {
                    chunks += 1
                    pending.append(contentsOf: chunk.readableBytesView)
                    if pending.last != UInt8(ascii: "\n") { unaligned = true }
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = Array(pending[..<newline])
                        pending.removeFirst(newline + 1)
                        if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
                            events.append(object)
                        }
                    }
                    if stop(events) {
                        return WatchResult(
                            status: 200,
                            events: events,
                            chunks: chunks,
                            endedByServer: false,
                            sawUnalignedChunk: unaligned
                        )
                    }
                }
                return WatchResult(
                    status: 200,
                    events: events,
                    chunks: chunks,
                    endedByServer: true,
                    sawUnalignedChunk: unaligned
                )
            }
            group.addTask {
                try await whileOpen()
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
                throw TestFailure("watch \(path) did not finish within \(timeout)")
            }
            throw TestFailure("watch \(path) produced no result")
        }
    }
}

/// What a watch produced.
struct WatchResult: @unchecked Sendable {
    var status: Int
    var events: [[String: Any]]
    var chunks: Int
    var endedByServer: Bool
    var errorBody: String = ""
    var sawUnalignedChunk = false

    var types: [String] { events.map { $0["type"] as? String ?? "?" } }

    func names(_ type: String) -> [String] {
        events.filter { $0["type"] as? String == type }.compactMap {
            (($0["object"] as? [String: Any])?["metadata"] as? [String: Any])?["name"] as? String
        }
    }
}

/// Runs `body` with a running cluster and an HTTP client for it.
@discardableResult
func withCluster<R: Sendable>(
    _ configuration: ClusterConfiguration = ClusterConfiguration(name: "test"),
    setup: (SimulatedCluster) throws -> Void = { _ in },
    _ body: (SimulatedCluster, TestClient) async throws -> R
) async throws -> R {
    let cluster = try SimulatedCluster(configuration)
    let token = cluster.issueToken(for: .admin())
    try setup(cluster)
    return try await cluster.withRunning { cluster in
        try await HTTPClient.withHTTPClient { http in
            try await body(cluster, TestClient(http: http, cluster: cluster, token: token))
        }
    }
}

extension HTTPClient {
    /// A client with no redirects followed and no decompression, shut down after `body`.
    static func withHTTPClient<R>(_ body: (HTTPClient) async throws -> R) async throws -> R {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// `self[a][b][c]` for nested objects.
    subscript(path path: String...) -> Any? {
        var current: Any? = self
        for key in path {
            current = (current as? [String: Any])?[key]
        }
        return current
    }
}
