public import Foundation
import Synchronization

/// The static bearer tokens a simulated cluster accepts. Tokens can be added, removed and rotated while the
/// cluster runs, and each may expire (like a bound ServiceAccount token).
public final class BearerTokens: Sendable {
    struct Entry: Sendable {
        var identity: Identity
        var expiresAt: Date?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Creates an empty token set.
    public init() {}

    /// Accepts `token` for `identity` until `expiresAt` (nil = forever).
    public func add(_ token: String, for identity: Identity, expiresAt: Date? = nil) {
        entries.withLock { $0[token] = Entry(identity: identity, expiresAt: expiresAt) }
    }

    /// Stops accepting `token`.
    public func remove(_ token: String) {
        _ = entries.withLock { $0.removeValue(forKey: token) }
    }

    /// Replaces `old` by `new` for the same identity. With `graceUntil`, the old token keeps working until then
    /// (as a rotated bound token does until its own expiry).
    public func rotate(from old: String, to new: String, expiresAt: Date? = nil, graceUntil: Date? = nil) {
        entries.withLock { entries in
            guard let entry = entries[old] else { return }
            entries[new] = Entry(identity: entry.identity, expiresAt: expiresAt)
            if let graceUntil {
                entries[old]?.expiresAt = graceUntil
            } else {
                entries[old] = nil
            }
        }
    }

    /// Removes every token.
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// The identity `token` authenticates at `now`, or nil (unknown or expired).
    public func identity(for token: String, at now: Date = Date()) -> Identity? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            if let expiresAt = entry.expiresAt, expiresAt <= now { return nil }
            return entry.identity
        }
    }
}
