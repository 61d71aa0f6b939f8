/// What a receiver's answer to a write request means, as remote-write 1.0 specifies: 2xx accepted; 5xx and 429
/// (when retried) recoverable, after `Retry-After` when given; every other status rejected for good (the samples
/// are counted as failed, never retried).
public enum RemoteWriteResponse: Sendable, Hashable {
    /// Stored.
    case accepted
    /// Try again later; `retryAfter` when the receiver said how long to wait.
    case recoverable(retryAfter: Duration?)
    /// Refused for good with this status.
    case rejected(status: Int)

    /// Classifies an HTTP status and its `Retry-After` header.
    public static func classify(status: Int, retryAfter: String?, retryOnHTTP429: Bool) -> RemoteWriteResponse {
        switch status {
        case 200..<300: return .accepted
        case 500..<600: return .recoverable(retryAfter: parseRetryAfter(retryAfter))
        case 429 where retryOnHTTP429: return .recoverable(retryAfter: parseRetryAfter(retryAfter))
        default: return .rejected(status: status)
        }
    }

    /// A `Retry-After` of delay-seconds (the form receivers send); `nil` for an absent or unreadable value, and
    /// capped at 10 minutes so a confused receiver cannot park the queue for a day.
    public static func parseRetryAfter(_ text: String?) -> Duration? {
        guard let text, let seconds = Int(text.filter { $0 != " " && $0 != "\t" }), seconds >= 0 else {
            return nil
        }
        return .seconds(min(seconds, 600))
    }
}
