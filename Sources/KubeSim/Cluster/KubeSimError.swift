/// An error from the simulator's own API (not an HTTP answer): a bad mutation, a port that cannot be bound, a
/// certificate that cannot be made.
public struct KubeSimError: Error, Sendable, CustomStringConvertible {
    /// A bounded error code, safe to use as a label.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The object does not exist.
        public static let notFound = Code("notFound")
        /// The object exists already.
        public static let alreadyExists = Code("alreadyExists")
        /// The input is not valid.
        public static let invalid = Code("invalid")
        /// Certificate or key generation failed.
        public static let tls = Code("tls")
        /// A listener could not be bound or a file could not be written.
        public static let io = Code("io")
        /// The cluster is not running (or not listening).
        public static let notRunning = Code("notRunning")
        public var description: String { name }
    }

    /// The code.
    public var code: Code
    /// A message for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "KubeSimError.\(code): \(message)" }
}
