/// A problem in an exposition payload, with its position.
///
/// `description` renders `line:column: reason`, the format of `crowsnest check metrics`. The reason never embeds
/// more than a short excerpt of the payload.
public struct ExpositionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A bounded classification, safe to use as a metric label or on the health page.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The payload is not well-formed.
        public static let syntax = Code("syntax")
        /// The payload is well-formed but breaks a rule of the format (grouping, shapes, metadata).
        public static let semantics = Code("semantics")
        /// A sample, label or size limit was exceeded.
        public static let limit = Code("limit")

        /// The text shown in messages and logs.
        public var description: String { name }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The 1-based line number (0 when the problem concerns the whole payload).
    public var line: Int
    /// The 1-based byte column within the line (0 when not applicable).
    public var column: Int
    /// A plain-words reason.
    public var reason: String

    /// Creates an error.
    public init(_ code: Code, line: Int, column: Int, _ reason: String) {
        self.code = code
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// The text shown in messages and logs.
    public var description: String { "\(line):\(column): \(reason)" }
}
