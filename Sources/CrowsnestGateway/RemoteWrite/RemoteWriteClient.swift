import AsyncHTTPClient
import CrowsnestCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Sends remote-write requests to one receiver: snappy-compressed `WriteRequest` bodies with the remote-write 1.0
/// headers, the configured headers (`{{cluster}}` filled in) and authentication (secrets read from their files on
/// every request, so rotated credentials are picked up; never logged).
struct RemoteWriteClient: Sendable {
    /// How one send ended.
    struct Result: Sendable {
        /// The classified answer; `nil` when there was none (refused, closed, timed out).
        var response: RemoteWriteResponse?
        /// Compressed body bytes.
        var bytes: Int
        /// What went wrong, in words safe for logs and the health page.
        var problem: String?
    }

    let config: RemoteWriteConfig
    let httpClient: HTTPClient
    let tlsConfiguration: TLSConfiguration?

    init(config: RemoteWriteConfig, httpClient: HTTPClient) {
        self.config = config
        self.httpClient = httpClient
        self.tlsConfiguration = Self.tlsConfiguration(config.tls, url: config.url)
    }

    /// The TLS settings of an `https` receiver with a `tls_config`; `nil` uses the client's defaults.
    static func tlsConfiguration(_ tls: RemoteWriteTLS, url: String) -> TLSConfiguration? {
        guard url.lowercased().hasPrefix("https://"), tls != RemoteWriteTLS() else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = tls.caFile { configuration.trustRoots = .file(caFile) }
        if let certFile = tls.certFile, let keyFile = tls.keyFile {
            if let chain = try? NIOSSLCertificate.fromPEMFile(certFile) {
                configuration.certificateChain = chain.map { .certificate($0) }
            }
            if let key = try? NIOSSLPrivateKey(file: keyFile, format: .pem) {
                configuration.privateKey = .privateKey(key)
            }
        }
        if tls.insecureSkipVerify { configuration.certificateVerification = .none }
        return configuration
    }

    /// Sends `payload` (uncompressed `WriteRequest` bytes) for samples of `cluster`.
    func send(_ payload: [UInt8], cluster: String) async -> Result {
        let body = SnappyBlock.compress(payload)
        var request = HTTPClientRequest(url: config.url)
        request.method = .POST
        request.headers.add(name: "Content-Encoding", value: "snappy")
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.headers.add(name: "User-Agent", value: "crowsnest")
        request.headers.add(name: "X-Prometheus-Remote-Write-Version", value: "0.1.0")
        for (name, value) in config.headers(cluster: cluster) { request.headers.add(name: name, value: value) }
        let authorization = authorizationHeader()
        if let problem = authorization.problem { return Result(response: nil, bytes: body.count, problem: problem) }
        if let value = authorization.value { request.headers.add(name: "Authorization", value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        request.tlsConfiguration = tlsConfiguration
        do {
            let response = try await httpClient.execute(
                request,
                timeout: .nanoseconds(Int64(config.remoteTimeout.inSeconds * 1e9))
            )
            // Read (a little of) the answer: it frees the connection, and a rejection's reason is worth a log line.
            let answer = try? await response.body.collect(upTo: 4096)
            let status = Int(response.status.code)
            let classified = RemoteWriteResponse.classify(
                status: status,
                retryAfter: response.headers.first(name: "Retry-After"),
                retryOnHTTP429: config.queue.retryOnHTTP429
            )
            guard classified != .accepted else { return Result(response: classified, bytes: body.count) }
            let text = answer.map { String(buffer: $0) } ?? ""
            let excerpt = String(text.prefix(200)).replacingOccurrences(of: "\n", with: " ")
            return Result(
                response: classified,
                bytes: body.count,
                problem: "receiver answered \(status)\(excerpt.isEmpty ? "" : ": \(excerpt)")"
            )
        } catch {
            return Result(
                response: nil,
                bytes: body.count,
                problem: Self.describe(error, timeout: config.remoteTimeout)
            )
        }
    }

    /// The `Authorization` header value, read from its file now, or why it cannot be.
    private func authorizationHeader() -> (value: String?, problem: String?) {
        switch config.authentication {
        case nil:
            return (nil, nil)
        case .authorization(let type, let file):
            guard let credentials = Self.readSecret(file) else {
                return (nil, "cannot read authorization.credentials_file \(file)")
            }
            return ("\(type) \(credentials)", nil)
        case .basic(let username, let file):
            guard let password = Self.readSecret(file) else {
                return (nil, "cannot read basic_auth.password_file \(file)")
            }
            return ("Basic " + Data("\(username):\(password)".utf8).base64EncodedString(), nil)
        }
    }

    private static func readSecret(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A transport failure in plain words (AsyncHTTPClient's and NIO's errors carry no secrets, but their
    /// descriptions vary; the short forms here are stable).
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return "no answer within remote_timeout (\(timeout))"
            case .remoteConnectionClosed:
                return "the receiver closed the connection mid-request"
            default:
                return "request failed: \(error)"
            }
        }
        if error is NIOConnectionError || error is ChannelError {
            return "cannot connect to the receiver"
        }
        if let error = error as? IOError { return "request failed: \(error.description)" }
        return "request failed: \(type(of: error))"
    }
}
