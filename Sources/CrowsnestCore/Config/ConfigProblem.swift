/// A position in a configuration file: the file's path and a 1-based line and column.
///
/// Line and column are `0` when the position is unknown (for example a problem with the file as a whole, such as a
/// file that cannot be read).
public struct ConfigSourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file's path, as the loader was given it (usually `DIR/NAME.yaml`).
    public var file: String
    /// The 1-based line, or `0` when unknown.
    public var line: Int
    /// The 1-based column (counted in Unicode scalars, as libyaml does), or `0` when unknown.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COL`, or just `FILE` when the position is unknown.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }

    /// Orders by file, then line, then column.
    public static func < (lhs: ConfigSourceLocation, rhs: ConfigSourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in a configuration file: where it is, which field, why, and how serious.
///
/// Rendered on one line as `FILE:LINE:COL: FIELD: reason` (warnings prefixed `warning: `). A reason never contains
/// a secret value (tokens, exec `env` values): the loader only quotes values of fields that are not secret.
public struct ConfigProblem: Sendable, Hashable, Comparable, CustomStringConvertible, Error {
    /// How serious a problem is.
    public enum Severity: String, Sendable, Hashable {
        /// The file (or the referenced file) cannot be used as it is.
        case error
        /// The file is used, but something is risky or probably not what was meant.
        case warning
    }

    /// A bounded classification of problems, safe to use as a metric label or on the health page.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name, such as `unknown_field`.
        public var rawValue: String
        /// Creates a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The file is not valid YAML, or is empty, or holds several documents.
        public static let syntax = Code(rawValue: "syntax")
        /// A key the format does not know.
        public static let unknownField = Code(rawValue: "unknown_field")
        /// A required field is missing.
        public static let missingField = Code(rawValue: "missing_field")
        /// A value of the wrong YAML type (a list where a string belongs, …).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A value of the right type that breaks a rule.
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// Fields that cannot be used together.
        public static let conflict = Code(rawValue: "conflict")
        /// Two cluster files claim one cluster name.
        public static let duplicateName = Code(rawValue: "duplicate_name")
        /// A file named by the configuration is missing, unreadable or unusable.
        public static let referencedFile = Code(rawValue: "referenced_file")
        /// A file with secrets is readable by group or others.
        public static let permissions = Code(rawValue: "permissions")
        /// A configuration that works but is insecure or discouraged.
        public static let insecure = Code(rawValue: "insecure")
        /// A file or directory could not be read.
        public static let io = Code(rawValue: "io")
    }

    /// Error or warning.
    public var severity: Severity
    /// Where the problem is.
    public var location: ConfigSourceLocation
    /// The field path, dot-separated with list indices, such as `scrape.timeout` or `relabel_configs[2].action`;
    /// empty for a problem with the file as a whole.
    public var field: String
    /// Why, in a few words; never contains a secret.
    public var reason: String
    /// The problem's bounded classification.
    public var code: Code

    /// Creates a problem.
    public init(
        _ severity: Severity = .error,
        code: Code,
        location: ConfigSourceLocation,
        field: String,
        reason: String
    ) {
        self.severity = severity
        self.code = code
        self.location = location
        self.field = field
        self.reason = reason
    }

    /// Whether this is an error (rather than a warning).
    public var isError: Bool { severity == .error }

    /// The one-line rendering `FILE:LINE:COL: FIELD: reason`, prefixed `warning: ` for warnings.
    public var description: String {
        severity == .warning ? "warning: " + summary : summary
    }

    /// `FILE:LINE:COL: FIELD: reason` without the severity: for a log line, whose level already says it (a
    /// warning logged with `description` would read `warning … problem=warning: …`).
    public var summary: String {
        var line = location.description + ": "
        if !field.isEmpty { line += field + ": " }
        line += reason
        return line
    }

    /// Orders by location, then field.
    public static func < (lhs: ConfigProblem, rhs: ConfigProblem) -> Bool {
        if lhs.location != rhs.location { return lhs.location < rhs.location }
        return (lhs.field, lhs.reason) < (rhs.field, rhs.reason)
    }
}

/// A configuration that cannot be used, with every problem found in it (errors and warnings).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every problem found, in file order; at least one is an error.
    public var problems: [ConfigProblem]

    /// Creates an error from its problems.
    public init(problems: [ConfigProblem]) { self.problems = problems }

    /// The problems, one per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension Sequence where Element == ConfigProblem {
    /// Whether any problem is an error.
    public var containsError: Bool { contains { $0.severity == .error } }
}
