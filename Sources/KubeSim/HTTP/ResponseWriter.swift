import NIOCore
import NIOHTTP1
import Synchronization

/// Writes one response on a connection and reports its status to the request log once the head is out.
final class ResponseWriter: Sendable {
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    let channel: any Channel
    let keepAlive: Bool
    private let onHead: @Sendable (Int) -> Void
    private let headSent = Mutex<Int?>(nil)
    private let auditID: String

    init(
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel,
        keepAlive: Bool,
        auditID: String,
        onHead: @escaping @Sendable (Int) -> Void
    ) {
        self.outbound = outbound
        self.channel = channel
        self.keepAlive = keepAlive
        self.auditID = auditID
        self.onHead = onHead
    }

    /// The status sent, once the head is out.
    var status: Int? { headSent.withLock { $0 } }

    /// Sends the head. Adds `Audit-Id`, and `Connection: close` when the connection will not be reused.
    func head(_ status: Int, headers: HTTPHeaders = HTTPHeaders(), apiServerHeaders: Bool = true) async throws {
        var headers = headers
        if apiServerHeaders {
            headers.replaceOrAdd(name: "Audit-Id", value: auditID)
            if !headers.contains(name: "Cache-Control") {
                headers.add(name: "Cache-Control", value: "no-cache, private")
            }
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        headSent.withLock { $0 = status }
        onHead(status)
        try await outbound.write(
            .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))
        )
    }

    /// Sends one body chunk.
    func body(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await outbound.write(.body(.byteBuffer(buffer)))
    }

    /// Ends the response.
    func end() async throws {
        try await outbound.write(.end(nil))
    }

    /// A complete response with a known length.
    func respond(
        _ status: Int,
        headers: HTTPHeaders = HTTPHeaders(),
        body: ByteBuffer,
        apiServerHeaders: Bool = true
    )
        async throws
    {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        try await head(status, headers: headers, apiServerHeaders: apiServerHeaders)
        try await outbound.write(contentsOf: [.body(.byteBuffer(body)), .end(nil)])
    }

    /// A JSON response.
    func json(_ status: Int, _ value: JSONValue, extraHeaders: HTTPHeaders = HTTPHeaders()) async throws {
        var headers = extraHeaders
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        try await respond(status, headers: headers, body: value.encodedBuffer())
    }

    /// A Status failure (with `Retry-After` when the status carries `retryAfterSeconds`).
    func status(_ status: KubeStatus) async throws {
        var headers = HTTPHeaders()
        if let retryAfter = status.retryAfterSeconds { headers.add(name: "Retry-After", value: String(retryAfter)) }
        try await json(status.code, status.json, extraHeaders: headers)
    }

    /// A plain-text response.
    func text(_ status: Int, _ text: String, extraHeaders: HTTPHeaders = HTTPHeaders()) async throws {
        var headers = extraHeaders
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        try await respond(status, headers: headers, body: ByteBuffer(string: text))
    }
}
