public import CrowsnestCore
import CrowsnestKube
import Foundation
public import Hummingbird
public import Logging
import Synchronization

/// Who may read the gateway's endpoints (`web.basic_auth`, `web.bearer_token_file` in `crowsnest.yaml`).
///
/// The secret files are re-read when they change (size, time or inode), so a rotated password or token takes
/// effect without a restart. A file that cannot be read denies every request (fail closed) and is logged once per
/// change, naming the file and never its content.
public final class WebCredentials: Sendable {
    private struct Secret {
        var stamp: FileStamp?
        var value: [UInt8]?
    }

    private let config: WebConfig
    private let logger: Logger
    private let secrets = Mutex<[String: Secret]>([:])

    /// Creates the checker for `config` (which must require authentication to ever allow anything).
    public init(config: WebConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Whether an `Authorization` header value carries a valid credential.
    public func allows(authorization: String?) -> Bool {
        guard let authorization else { return false }
        if let file = config.bearerTokenFile, authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        {
            let presented = Array(authorization.dropFirst(7).utf8)
            if let token = secret(file), Self.constantTimeEquals(presented, token) { return true }
        }
        if let basic = config.basicAuth, authorization.count > 6, authorization.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        {
            let bytes = [UInt8](decoded)
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
            let userMatches = Self.constantTimeEquals(Array(bytes[..<colon]), Array(basic.username.utf8))
            if let password = secret(basic.passwordFile),
                Self.constantTimeEquals(Array(bytes[(colon + 1)...]), password) && userMatches
            {
                return true
            }
        }
        return false
    }

    /// The `WWW-Authenticate` challenge for a 401.
    public var challenge: String {
        config.basicAuth != nil ? "Basic realm=\"crowsnest\", charset=\"UTF-8\"" : "Bearer realm=\"crowsnest\""
    }

    /// The file's content without trailing white space, re-read when the file changes; nil when unreadable/empty.
    ///
    /// The file is read and the failure logged outside the lock; the lock only guards the cache.
    private func secret(_ path: String) -> [UInt8]? {
        let stamp = FileStamp.of(path)
        let cached = secrets.withLock { $0[path] }
        if let cached, stamp != nil, cached.stamp == stamp { return cached.value }
        var value: [UInt8]?
        if let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        {
            value = Array(text.utf8)
        }
        if value == nil, cached == nil || cached?.stamp != stamp {
            logger.error("cannot read the web credential file; denying every request", metadata: ["file": "\(path)"])
        }
        secrets.withLock { $0[path] = Secret(stamp: stamp, value: value) }
        return value
    }

    /// Compares without returning early at the first difference (the length still shows).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// Requires the configured credential on every endpoint except `/-/healthy` and `/-/ready` (liveness and readiness
/// probes rarely carry credentials, and they reveal nothing).
public struct WebAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Paths served without a credential.
    public static var openPaths: Set<String> { ["/-/healthy", "/-/ready"] }

    let credentials: WebCredentials

    /// Creates the middleware.
    public init(credentials: WebCredentials) {
        self.credentials = credentials
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if Self.openPaths.contains(request.uri.path)
            || credentials.allows(authorization: request.headers[.authorization])
        {
            return try await next(request, context)
        }
        return Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: credentials.challenge, .contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "Unauthorized: this gateway requires a credential.\n"))
        )
    }
}
