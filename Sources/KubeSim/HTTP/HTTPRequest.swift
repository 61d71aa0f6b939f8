import NIOCore
import NIOHTTP1

/// A fully received HTTP request.
struct HTTPRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// The client's address (`127.0.0.1`).
    var remoteAddress: String
    /// The identity of a verified client certificate, when one was presented.
    var certificateIdentity: Identity?

    var method: String { head.method.rawValue }
    var uri: String { head.uri }

    /// The path part of the URI, still percent-encoded.
    var rawPath: String {
        if let index = head.uri.firstIndex(where: { $0 == "?" || $0 == "#" }) { return String(head.uri[..<index]) }
        return head.uri
    }

    /// The query part of the URI (after `?`, without it), still encoded.
    var rawQuery: String? {
        guard let index = head.uri.firstIndex(of: "?") else { return nil }
        var query = head.uri[head.uri.index(after: index)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return String(query)
    }

    /// The bearer token of the `Authorization` header, if it has one.
    var bearerToken: String? {
        guard let value = head.headers.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: " \t")
        return token.isEmpty ? nil : token
    }

    /// Whether the connection should stay open after the response.
    var keepAlive: Bool { head.isKeepAlive }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
