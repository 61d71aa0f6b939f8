/// An error talking to one cluster's API server: a bounded code (safe as a metric label), a plain message that
/// names the cluster, and the HTTP status when there was one. Never carries a secret.
public struct KubeClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A bounded category.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name, such as `tls`.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The cluster's configuration cannot be used (kubeconfig context missing, unsupported user, bad server).
        public static let configuration = Code("configuration")
        /// Credentials cannot be obtained (unreadable token file, exec plugin failed).
        public static let credentials = Code("credentials")
        /// TLS failed (certificate verification, bad CA or client certificate).
        public static let tls = Code("tls")
        /// The connection failed (refused, reset, DNS).
        public static let connection = Code("connection")
        /// The deadline passed.
        public static let timeout = Code("timeout")
        /// 401 even after refreshing the credential.
        public static let unauthorized = Code("unauthorized")
        /// 403.
        public static let forbidden = Code("forbidden")
        /// 404.
        public static let notFound = Code("not_found")
        /// 410 (a resourceVersion or continue token expired).
        public static let expired = Code("expired")
        /// 429 after the retries.
        public static let tooManyRequests = Code("too_many_requests")
        /// 5xx after the retries.
        public static let serverError = Code("server_error")
        /// Another unexpected status, or a response that cannot be decoded.
        public static let badResponse = Code("bad_response")
        /// The task was cancelled.
        public static let cancelled = Code("cancelled")

        /// The code's name.
        public var description: String { name }
    }

    /// The category.
    public var code: Code
    /// The cluster.
    public var cluster: String
    /// Plain-words message naming the cluster.
    public var message: String
    /// The HTTP status, when a response was received.
    public var status: Int?
    /// Seconds the server asked to wait (`Retry-After`), when it did.
    public var retryAfterSeconds: Int?

    /// Creates an error.
    public init(_ code: Code, cluster: String, _ message: String, status: Int? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.cluster = cluster
        self.message = message
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The message.
    public var description: String { message }
}
