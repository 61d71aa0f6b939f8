/// A secret string (a bearer token, an exec plugin's environment value) that never prints.
///
/// `description`, `debugDescription`, string interpolation, `dump` and `Mirror` all show `<redacted>`, so a
/// configuration holding secrets can be logged or put in an error without leaking them. Read the value only where
/// it is used, through `revealed`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret value.
    ///
    /// Never log it, put it in an error, or show it.
    public let revealed: String

    /// Wraps a secret value.
    public init(_ value: String) { self.revealed = value }

    /// `<redacted>`.
    public var description: String { "<redacted>" }

    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }

    /// A mirror with no children, so reflection-based printing shows nothing of the value.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Whether the value is empty.
    public var isEmpty: Bool { revealed.isEmpty }
}
