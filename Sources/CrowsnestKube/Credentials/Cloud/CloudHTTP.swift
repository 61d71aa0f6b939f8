import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP calls of the built-in cloud credentials (STS, Entra ID, Google's token endpoints, metadata servers), on
/// the gateway's shared `HTTPClient` with a deadline, a size-limited body and errors that name the endpoint
/// (scheme, host and port only) and never a header or body sent.
///
/// `SSL_CERT_FILE`, when set, adds its PEM certificates to the system trust store, as OpenSSL-based clients do (how
/// tests and private endpoints are trusted).
struct CloudHTTP: Sendable {
    /// One answer.
    struct Response: Sendable {
        var status: Int
        var body: String
    }

    var client: HTTPClient
    var environment: [String: String]
    /// How long one call may take.
    var timeout: Duration = .seconds(10)

    /// Sends one request; any status is returned (the caller reads the cloud's error body).
    func send(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        step: String
    ) async throws(CloudCredentialError) -> Response {
        let endpoint = Self.endpoint(url)
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !request.headers.contains(name: "User-Agent") { request.headers.add(name: "User-Agent", value: "crowsnest") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if url.lowercased().hasPrefix("https://"), let bundle = environment["SSL_CERT_FILE"], !bundle.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(bundle)]
            request.tlsConfiguration = tls
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        do {
            let response = try await client.execute(request, deadline: deadline)
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return Response(status: Int(response.status.code), body: String(buffer: buffer))
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw CloudCredentialError(step, "\(endpoint) did not answer within \(timeout.components.seconds)s")
        } catch is CancellationError {
            throw CloudCredentialError(step, "cancelled")
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw CloudCredentialError(step, "\(endpoint) answered more than 1 MiB")
        } catch {
            let text = String(describing: error)
            let reason =
                text.contains("onnection refused") || text.contains("connectionRefused")
                ? "connection refused" : TLSFailure(error) != nil ? "TLS handshake failed" : "connection failed"
            throw CloudCredentialError(step, "cannot reach \(endpoint): \(reason)")
        }
    }

    /// `scheme://host[:port]` of `url`: what messages show of an endpoint (never a path or query).
    static func endpoint(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return "the configured endpoint" }
        return scheme + "://" + host + (components.port.map { ":\($0)" } ?? "")
    }

    /// `application/x-www-form-urlencoded` body of `pairs`.
    static func form(_ pairs: [(String, String)]) -> String { SigV4.formBody(pairs) }
}
