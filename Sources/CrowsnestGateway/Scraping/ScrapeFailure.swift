/// Why a scrape failed, with a bounded code (a metric label) and a plain message (the health page).
public struct ScrapeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Bounded classification.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case refused, timeout, transport
        case apiServer = "api_server"
        case podStatus = "pod_status"
        case bodyTooLarge = "body_too_large"
        case badEncoding = "bad_encoding"
        case parse, limit
    }

    /// The classification.
    public var code: Code
    /// Plain words; never contains credentials.
    public var message: String
    /// For API-server throttling (429/503 with Retry-After): how long the cluster should wait, seconds.
    public var retryAfterSeconds: Double?

    /// Creates a failure.
    public init(_ code: Code, _ message: String, retryAfterSeconds: Double? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }
}
