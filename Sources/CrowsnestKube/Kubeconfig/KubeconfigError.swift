/// Why a kubeconfig could not be loaded or a context resolved.
///
/// The message names what is missing (file, context, cluster, user, field) and never includes a secret: no token,
/// key, `*-data` value or exec environment value is ever quoted.
public struct KubeconfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A bounded category, safe as a metric label.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The kubeconfig file cannot be read.
        public static let unreadableFile = Code("unreadable_file")
        /// The text is not YAML or not a kubeconfig.
        public static let syntax = Code("syntax")
        /// No context was asked for and `current-context` is empty.
        public static let noContext = Code("no_context")
        /// The named context does not exist.
        public static let missingContext = Code("missing_context")
        /// The context names a cluster that does not exist.
        public static let missingCluster = Code("missing_cluster")
        /// The context names a user that does not exist.
        public static let missingUser = Code("missing_user")
        /// A field has an invalid value (bad base64, no server, …).
        public static let invalidField = Code("invalid_field")
        /// The user uses something Crowsnest does not support (auth-provider, username/password).
        public static let unsupported = Code("unsupported")

        /// The code's name.
        public var description: String { name }
    }

    /// The category.
    public var code: Code
    /// Plain-words message, free of secrets.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
