/// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` read as Go's `net/http` (`golang.org/x/net/http/httpproxy`) reads
/// them, so a gateway started beside kubectl goes through the same proxy for the same API servers.
///
/// - `https://` API servers use `HTTPS_PROXY` (or `https_proxy`), `http://` ones `HTTP_PROXY` (or `http_proxy`);
///   the upper-case name wins when both are set.
/// - `localhost` and loopback addresses are never proxied.
/// - `NO_PROXY` (or `no_proxy`) is a comma-separated list: `*` (no proxy at all), an IP address, a CIDR range, or a
///   host name, optionally with `:port`; `example.com` matches it and its subdomains, `.example.com` (or
///   `*.example.com`) only its subdomains.
///
/// A cluster's own `proxy_url` (cluster file) or `proxy-url` (kubeconfig) wins over the environment.
public struct ProxyEnvironment: Sendable, Hashable {
    /// The proxy for `https://` servers, as written.
    public var httpsProxy: String?
    /// The proxy for `http://` servers, as written.
    public var httpProxy: String?
    /// The `NO_PROXY` list, as written.
    public var noProxy: String

    /// Reads the variables from `environment`.
    public init(environment: [String: String]) {
        func first(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        httpsProxy = first("HTTPS_PROXY", "https_proxy")
        httpProxy = first("HTTP_PROXY", "http_proxy")
        noProxy = first("NO_PROXY", "no_proxy") ?? ""
    }

    /// The proxy for `server`, or nil: none set for its scheme, a loopback host, or excluded by `NO_PROXY`.
    /// - Throws: when the variable that applies does not parse (named in the message, its value never quoted).
    public func proxy(for server: APIServerURL) throws(ProxyURL.ParseError) -> ProxyURL? {
        let name = server.isTLS ? "HTTPS_PROXY" : "HTTP_PROXY"
        guard let written = server.isTLS ? httpsProxy : httpProxy else { return nil }
        guard !server.isLoopback, !excludes(host: server.host, port: server.port) else { return nil }
        do throws(ProxyURL.ParseError) {
            return try ProxyURL(parsing: written)
        } catch {
            throw ProxyURL.ParseError(reason: "\(name): \(error.reason)")
        }
    }

    /// Whether `NO_PROXY` excludes `host:port`.
    public func excludes(host: String, port: Int) -> Bool {
        let host = host.lowercased()
        let address = IPAddress(host)
        for written in noProxy.split(separator: ",") {
            let entry = written.filter { !$0.isWhitespace }.lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if let slash = entry.firstIndex(of: "/") {
                if let network = IPAddress(String(entry[..<slash])),
                    let bits = Int(entry[entry.index(after: slash)...]),
                    let address, network.contains(address, prefixLength: bits)
                {
                    return true
                }
                continue
            }
            let (entryHost, entryPort) = Self.splitPort(entry)
            if let entryPort, entryPort != port { continue }
            if let entryAddress = IPAddress(entryHost) {
                if entryAddress == address { return true }
                continue
            }
            var domain = Substring(entryHost)
            if domain.hasPrefix("*.") { domain = domain.dropFirst() }
            if domain.hasPrefix(".") {
                if host.hasSuffix(domain) { return true }
            } else if host == domain || host.hasSuffix("." + domain) {
                return true
            }
        }
        return false
    }

    /// `host:port` → (host, port); `[v6]:port` → (v6, port); anything else → (entry, nil).
    static func splitPort(_ entry: String) -> (String, Int?) {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let host = String(entry[entry.index(after: entry.startIndex)..<close])
            let rest = entry[entry.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = entry.lastIndex(of: ":"), entry.firstIndex(of: ":") == colon,
            let port = Int(entry[entry.index(after: colon)...])
        {
            return (String(entry[..<colon]), port)
        }
        return (entry, nil)
    }
}
