/// A Kubernetes API server's base URL: `https://HOST[:PORT][/PREFIX]`.
///
/// Rules (checked by `init(parsing:)`):
/// - scheme `https`; `http` is accepted (for `kubectl proxy` on a loopback address) and warned about elsewhere;
/// - a host: a DNS name, an IPv4 address, or an IPv6 address in brackets; no user info (`user:pass@`);
/// - an optional port 1–65535 (default 443 for https, 80 for http);
/// - an optional path prefix for API servers behind a path-routing proxy (Rancher's
///   `https://rancher.example/k8s/clusters/c-m-abc12`), without `.`/`..` segments; a trailing `/` is dropped;
/// - no query and no fragment.
///
/// Request URLs are `baseURL + "/api/v1/…"`.
public struct APIServerURL: Sendable, Hashable, CustomStringConvertible {
    /// `https` or `http`, lowercase.
    public var scheme: String
    /// The host without brackets: `kube.example.com`, `203.0.113.10`, `::1`.
    public var host: String
    /// The port written in the URL, if any.
    public var explicitPort: Int?
    /// The path prefix without trailing `/` (usually empty).
    public var pathPrefix: String

    /// The port to connect to: the explicit one, else 443 (https) or 80 (http).
    public var port: Int { explicitPort ?? (scheme == "https" ? 443 : 80) }

    /// Whether the scheme is `https`.
    public var isTLS: Bool { scheme == "https" }

    /// Whether the host is a loopback address or `localhost` (where plain http is harmless).
    public var isLoopback: Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("127.")
    }

    /// `scheme://host[:port]prefix`, IPv6 hosts in brackets, no trailing `/`.
    public var baseURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let portPart = explicitPort.map { ":\($0)" } ?? ""
        return "\(scheme)://\(hostPart)\(portPart)\(pathPrefix)"
    }

    /// The base URL.
    public var description: String { baseURL }

    /// Creates a URL from its parts.
    public init(scheme: String = "https", host: String, port: Int? = nil, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.explicitPort = port
        self.pathPrefix = pathPrefix
    }

    /// Why a URL is rejected.
    ///
    /// The messages never quote user info (which may hold a password).
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// Parses and validates an API server URL.
    public init(parsing text: String) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(reason: reason) }
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw fail("must be an absolute URL like https://203.0.113.10:6443")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw fail(
                "scheme must be https (or http for kubectl proxy on a loopback address), got "
                    + ConfigText.quote(scheme)
            )
        }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { throw fail("must not have a query or fragment") }
        let authority: Substring
        var path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = ""
        }
        guard !authority.contains("@") else {
            throw fail("must not contain user info (user:password@); put credentials under auth")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("invalid IPv6 address")
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else { throw fail("has no host") }
            let allowed = host.utf8.allSatisfy {
                ConfigText.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "_")
            }
            guard allowed, !host.hasPrefix("."), !host.hasPrefix("-"), !host.contains("..") else {
                throw fail("invalid host \(ConfigText.quote(String(host)))")
            }
            host = Substring(host.lowercased())
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(value) else {
                throw fail("invalid port \(ConfigText.quote(String(portText))); expected 1–65535")
            }
            port = value
        }
        while path.hasSuffix("/") { path = path.dropLast() }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard !segment.isEmpty, segment != ".", segment != ".." else {
                throw fail("path prefix \(ConfigText.quote(String(path))) must not have empty, '.' or '..' segments")
            }
            let ok = segment.utf8.allSatisfy {
                ConfigText.isASCIIAlphanumeric($0) || "-._~".utf8.contains($0)
            }
            guard ok else {
                throw fail("path prefix \(ConfigText.quote(String(path))) may only use letters, digits and -._~")
            }
        }
        self.init(scheme: scheme, host: String(host), port: port, pathPrefix: String(path))
    }
}
