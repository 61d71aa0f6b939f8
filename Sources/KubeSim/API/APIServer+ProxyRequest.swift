import NIOCore
import NIOHTTP1

extension APIServer {
    /// `[SCHEME:]NAME[:PORT]`, as `utilnet.SplitSchemeNamePort` splits a proxy subresource's name; nil when the name
    /// is empty or the scheme is not `http`/`https` (the caller answers 400).
    static func splitSchemeNamePort(_ id: String) -> (scheme: String, name: String, port: String)? {
        let pieces = id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var scheme = ""
        var name = ""
        var port = ""
        switch pieces.count {
        case 1: name = pieces[0]
        case 2: (name, port) = (pieces[0], pieces[1])
        case 3: (scheme, name, port) = (pieces[0], pieces[1], pieces[2])
        default: break
        }
        guard !name.isEmpty, ["", "http", "https"].contains(scheme) else { return nil }
        return (scheme, name, port)
    }

    /// The path a proxy forwards, still encoded: what follows the `proxy` segment at `proxyIndex`, with the
    /// request's trailing slash kept. A bare `…/proxy` GET or HEAD is redirected to `…/proxy/` (as the API server's
    /// proxy handler does) and a path without the `proxy` segment is a 404; both are answered here, returning nil.
    func forwardedPath(
        _ request: HTTPRequest,
        context: RequestContext,
        proxyIndex: Int,
        writer: ResponseWriter
    ) async throws -> String? {
        guard context.rawSegments.count > proxyIndex, context.rawSegments[proxyIndex] == "proxy" else {
            try await writer.status(.pathNotFound)
            return nil
        }
        let endsWithSlash = request.rawPath.hasSuffix("/")
        guard proxyIndex + 1 < context.rawSegments.count else {
            if !endsWithSlash, request.method == "GET" || request.method == "HEAD" {
                var headers = HTTPHeaders()
                headers.add(name: "Location", value: request.rawPath + "/" + (request.rawQuery.map { "?" + $0 } ?? ""))
                try await writer.respond(301, headers: headers, body: ByteBuffer())
                return nil
            }
            return "/"
        }
        let path = "/" + context.rawSegments[(proxyIndex + 1)...].joined(separator: "/")
        return endsWithSlash ? path + "/" : path
    }

    /// The request headers a proxy passes on: never `Authorization`, `Host`, hop-by-hop, `X-Forwarded-*` or
    /// `Impersonate-*` from the client; `X-Forwarded-For` set to the client's address.
    static func forwardedHeaders(_ request: HTTPRequest) -> [(String, String)] {
        var forwarded: [(String, String)] = []
        for (headerName, value) in request.head.headers {
            let lower = headerName.lowercased()
            if lower == "authorization" || lower == "host" || hopByHopHeaders.contains(lower) { continue }
            if lower.hasPrefix("x-forwarded-") || lower.hasPrefix("impersonate-") { continue }
            forwarded.append((headerName, value))
        }
        forwarded.append(("X-Forwarded-For", request.remoteAddress))
        return forwarded
    }
}
