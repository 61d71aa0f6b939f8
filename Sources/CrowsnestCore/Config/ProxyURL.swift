/// The proxy a cluster's API traffic goes through: a cluster file's `proxy_url`, a kubeconfig cluster's
/// `proxy-url`, or `HTTPS_PROXY`/`HTTP_PROXY` (``ProxyEnvironment``), as client-go reads them.
///
/// `http://[user:password@]host[:port]` tunnels each connection with HTTP `CONNECT` (the API server's TLS runs
/// inside the tunnel, end to end); `socks5://host[:port]` goes through a SOCKS5 proxy. An `https://` proxy (TLS to
/// the proxy itself) is refused with a clear error: the HTTP client cannot speak it, and the traffic in the tunnel
/// is encrypted anyway.
public struct ProxyURL: Sendable, Hashable, CustomStringConvertible {
    /// How the proxy is spoken to.
    public enum Kind: String, Sendable, Hashable {
        /// HTTP `CONNECT`.
        case http
        /// SOCKS5, without authentication.
        case socks5
    }

    /// How the proxy is spoken to.
    public var kind: Kind
    /// The proxy's host (lowercase; IPv6 without brackets).
    public var host: String
    /// The proxy's port (default 80 for http, 1080 for socks5, as Go's `net/http` and client-go use).
    public var port: Int
    /// Basic credentials for the proxy (`Proxy-Authorization`), from the URL's user info.
    public var username: String?
    /// The password; never shown.
    public var password: Secret?

    /// Creates a proxy from its parts.
    public init(kind: Kind, host: String, port: Int, username: String? = nil, password: Secret? = nil) {
        self.kind = kind
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// `http://host:port`, without the user info: safe for logs, pages and errors.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(kind.rawValue)://\(host):\(port)"
    }

    /// Why a proxy URL is refused (never quoting its user info).
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// Parses a proxy URL as client-go accepts it; a URL without a scheme is taken as `http://` (as Go does for
    /// `HTTPS_PROXY=proxy:3128`).
    public init(parsing written: String) throws(ParseError) {
        var text = String(written.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if text.firstRange(of: "://") == nil { text = "http://" + text }
        let schemeEnd = text.firstRange(of: "://")!
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let kind: Kind
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        case "https":
            throw ParseError(
                reason: "an https:// proxy (TLS to the proxy) is not supported; use http:// — the API server's TLS "
                    + "still runs end to end inside the CONNECT tunnel"
            )
        default:
            throw ParseError(reason: "scheme must be http or socks5, got \(ConfigText.quote(scheme))")
        }
        var rest = text[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else {
                throw ParseError(reason: "must not have a path: a proxy URL is scheme://host:port")
            }
            rest = rest[..<slash]
        }
        var username: String?
        var password: Secret?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard kind == .http else {
                throw ParseError(reason: "socks5 proxy authentication is not supported; remove the user info")
            }
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = Self.percentDecoded(parts[0])
            if parts.count == 2 { password = Secret(Self.percentDecoded(parts[1]) ?? "") }
            guard username != nil, !(username ?? "").isEmpty else {
                throw ParseError(reason: "has an empty or badly escaped user name before @")
            }
        }
        let hostURL: APIServerURL
        do throws(APIServerURL.ParseError) {
            hostURL = try APIServerURL(parsing: "http://" + rest)
        } catch {
            throw ParseError(reason: error.reason)
        }
        self.init(
            kind: kind,
            host: hostURL.host,
            port: hostURL.explicitPort ?? (kind == .http ? 80 : 1080),
            username: username,
            password: password
        )
    }

    /// `%XX` escapes decoded (user info in URLs escapes `@`, `:` and `%`); nil when an escape is malformed.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        while index < text.utf8.endIndex {
            let byte = text.utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = text.utf8.index(after: index)
                guard first < text.utf8.endIndex, text.utf8.index(after: first) < text.utf8.endIndex,
                    let value = UInt8(String(text[first...text.utf8.index(after: first)]), radix: 16)
                else { return nil }
                bytes.append(value)
                index = text.utf8.index(first, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = text.utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
