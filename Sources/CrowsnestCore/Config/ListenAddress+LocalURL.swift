extension ListenAddress {
    /// The URL a process on the same machine reaches the listener at, for `path`: a wildcard address (`0.0.0.0`,
    /// `::`, empty) becomes the loopback of its family, an IPv6 host is bracketed, `port` is the bound port (the
    /// configured one may be 0).
    public func localURL(port: Int, tls: Bool, path: String) -> String {
        let reachable: String
        switch host {
        case "", "0.0.0.0", "*": reachable = "127.0.0.1"
        case "::", "[::]": reachable = "[::1]"
        default: reachable = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        return "\(tls ? "https" : "http")://\(reachable):\(port)\(path)"
    }
}
