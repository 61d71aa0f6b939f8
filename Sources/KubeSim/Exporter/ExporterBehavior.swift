/// How a simulated exporter answers its next scrapes: normally, or with one of the faults real pods show.
public enum ExporterBehavior: Sendable, Equatable {
    /// Serves metrics.
    case normal
    /// Serves metrics after a delay (a slow pod).
    case delay(Duration)
    /// Never answers; the request hangs until the client gives up (a stuck pod).
    case hang
    /// Sends the head at once, then the body in `chunkBytes` pieces every `interval` (a slow body).
    case trickle(chunkBytes: Int, interval: Duration)
    /// Answers with the pod's own status and body (which the proxy returns verbatim, not as a Status).
    case status(Int, body: String)
    /// Redirects (the proxy does not follow it).
    case redirect(location: String, status: Int)
    /// 200 with bytes that are not an exposition format.
    case garbage
    /// 200 with `Content-Encoding: gzip`: a small body that inflates to `decompressedBytes`.
    case gzipBomb(decompressedBytes: Int)
    /// 200 with `Content-Encoding: gzip` whose stream is cut short.
    case truncatedGzip
    /// Closes the connection without answering.
    case resetConnection
    /// Sends the head and part of the body, then closes the connection.
    case truncatedBody
}

/// A request the exporter received (what the pod saw).
public struct ExporterRequest: Sendable {
    /// `GET`, …
    public var method: String
    /// The path (percent-encoded, as received).
    public var path: String
    /// The query string, if any.
    public var query: String?
    /// The headers, names as received.
    public var headers: [(String, String)]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
