public import Foundation
import Synchronization

/// One request as the simulator saw it.
public struct RequestLogEntry: Sendable, CustomStringConvertible {
    /// When the response head was sent (or the connection dropped).
    public var time: Date
    /// `GET`, `POST`, …
    public var method: String
    /// The path, as sent (percent-encoded).
    public var path: String
    /// The query string without `?`, as sent, or nil.
    public var query: String?
    /// The authenticated user, or nil when authentication failed or was not attempted.
    public var user: String?
    /// The authenticated user's groups.
    public var groups: [String]
    /// The HTTP status sent (0 when the connection was reset without a response).
    public var status: Int
    /// What kind of request it was.
    public var kind: RequestKinds
    /// The `User-Agent` header.
    public var userAgent: String?
    /// The request headers (with `Authorization` redacted).
    public var headers: [(String, String)]

    /// The value of query parameter `name`, decoded.
    public func queryValue(_ name: String) -> String? {
        QueryParameters(query).first(name)
    }

    public var description: String {
        "\(method) \(path)\(query.map { "?" + $0 } ?? "") user=\(user ?? "-") status=\(status)"
    }
}

/// A bounded, thread-safe log of the requests a simulated cluster served, for tests to assert on.
public final class RequestLog: Sendable {
    private let storage: Mutex<[RequestLogEntry]>
    /// How many entries are kept (the oldest are dropped first).
    public let capacity: Int

    /// Creates an empty log keeping at most `capacity` entries.
    public init(capacity: Int = 10_000) {
        self.capacity = max(capacity, 1)
        storage = Mutex([])
    }

    /// Every entry kept, oldest first.
    public var entries: [RequestLogEntry] { storage.withLock { $0 } }

    /// The entries matching `predicate`.
    public func entries(where predicate: (RequestLogEntry) -> Bool) -> [RequestLogEntry] {
        storage.withLock { $0.filter(predicate) }
    }

    /// How many entries match `predicate`.
    public func count(where predicate: (RequestLogEntry) -> Bool) -> Int {
        storage.withLock { $0.count(where: predicate) }
    }

    /// Forgets every entry.
    public func clear() {
        storage.withLock { $0.removeAll() }
    }

    func append(_ entry: RequestLogEntry) {
        storage.withLock { entries in
            if entries.count >= capacity { entries.removeFirst(max(1, capacity / 10)) }
            entries.append(entry)
        }
    }
}
