/// The kinds of request a fault applies to.
public struct RequestKinds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `GET …/pods` without `watch`.
    public static let list = RequestKinds(rawValue: 1 << 0)
    /// `GET …/pods?watch=1`.
    public static let watch = RequestKinds(rawValue: 1 << 1)
    /// `GET …/pods/NAME` and other single-object reads.
    public static let get = RequestKinds(rawValue: 1 << 2)
    /// The pod proxy subresource.
    public static let proxy = RequestKinds(rawValue: 1 << 3)
    /// `/version`, `/api`, `/apis`, `/api/v1`, `/openapi/…`, health paths.
    public static let discovery = RequestKinds(rawValue: 1 << 4)
    /// SelfSubjectAccessReviews.
    public static let authorization = RequestKinds(rawValue: 1 << 5)
    /// Everything else.
    public static let other = RequestKinds(rawValue: 1 << 6)

    /// Every kind.
    public static let all: RequestKinds = [.list, .watch, .get, .proxy, .discovery, .authorization, .other]
    /// The API requests a discovery client makes (lists and watches).
    public static let listAndWatch: RequestKinds = [.list, .watch]
}

/// A failure the simulator answers with instead of serving a request.
public struct InjectedFailure: Sendable {
    /// What the client gets.
    public enum Kind: Sendable, Equatable {
        /// 429 Status `TooManyRequests` with `details.retryAfterSeconds` and `Retry-After`.
        case tooManyRequests(retryAfterSeconds: Int)
        /// 429 from API Priority and Fairness: plain text `Too many requests, please try again later.` and
        /// `Retry-After`.
        case priorityAndFairness(retryAfterSeconds: Int)
        /// 500 Status `InternalError`.
        case internalError
        /// 503 Status `ServiceUnavailable`.
        case serviceUnavailable
        /// 504 Status `Timeout` with `Retry-After: 1`.
        case timeout
        /// The connection is reset before any response.
        case resetConnection
    }

    /// What the client gets.
    public var kind: Kind
    /// Which requests it hits.
    public var requests: RequestKinds
    /// How many more requests it hits (nil = all of them, until removed).
    public var remaining: Int?

    /// Creates a failure hitting `requests`, `times` times (nil = until removed).
    public init(_ kind: Kind, for requests: RequestKinds = .all, times: Int? = nil) {
        self.kind = kind
        self.requests = requests
        self.remaining = times
    }
}

/// The faults a simulated cluster injects; change them at run time with
/// ``SimulatedCluster/updateFaults(_:)``.
public struct ClusterFaults: Sendable {
    /// Added before every API request is answered (not the pod proxy).
    public var latency: Duration = .zero
    /// Added before every pod-proxy request is forwarded.
    public var proxyLatency: Duration = .zero
    /// Failures checked in order; the first that matches a request answers it.
    public var failures: [InjectedFailure] = []
    /// The next this-many watches get HTTP 200 then an `ERROR` event with 410 Expired, whatever their
    /// resourceVersion.
    public var expireNextWatches = 0
    /// Every watch is dropped this long after it starts (nil = never).
    public var dropWatchesAfter: Duration?
    /// How a watch dropped by ``dropWatchesAfter`` ends.
    public var dropMode: WatchDropMode = .endStream

    /// No faults.
    public init() {}

    /// Takes the failure for a request of `kind`, decrementing its count.
    mutating func takeFailure(for kind: RequestKinds) -> InjectedFailure.Kind? {
        guard let index = failures.firstIndex(where: { $0.requests.contains(kind) }) else { return nil }
        let failure = failures[index]
        if let remaining = failure.remaining {
            if remaining <= 1 { failures.remove(at: index) } else { failures[index].remaining = remaining - 1 }
        }
        return failure.kind
    }

    /// Takes one forced expiry for a watch.
    mutating func takeWatchExpiry() -> Bool {
        guard expireNextWatches > 0 else { return false }
        expireNextWatches -= 1
        return true
    }
}
