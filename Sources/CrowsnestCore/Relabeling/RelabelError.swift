extension RelabelRule {
    /// A field of a relabel rule, named as in Prometheus' YAML.
    public enum Field: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `source_labels`
        case sourceLabels = "source_labels"
        /// `separator`
        case separator
        /// `target_label`
        case targetLabel = "target_label"
        /// `regex`
        case regex
        /// `modulus`
        case modulus
        /// `replacement`
        case replacement
        /// `action`
        case action

        /// The YAML key.
        public var description: String { rawValue }
    }
}

/// A relabel rule that Prometheus would refuse, with the rule's position and the field at fault.
///
/// `description` reads like Prometheus' own message, prefixed with the rule and field:
/// `relabel rule 2, field 'target_label': "0${3}" is invalid 'target_label' for replace action`.
public struct RelabelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; a bounded set, safe to use as a metric label.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A field the action requires is missing (`target_label`, a non-zero `modulus`).
        case missingField = "missing_field"
        /// A field holds a value that is not allowed (an invalid label name or template).
        case invalidValue = "invalid_value"
        /// A field is set although the action does not allow it (`replacement` for `lowercase`, ...).
        case fieldNotAllowed = "field_not_allowed"
        /// The `regex` does not compile.
        case invalidRegex = "invalid_regex"
    }

    /// The kind of problem.
    public var code: Code
    /// The 0-based position of the rule in its list.
    public var ruleIndex: Int
    /// The field at fault.
    public var field: RelabelRule.Field
    /// What is wrong, in Prometheus' wording.
    public var message: String
    /// The regex syntax error, for `invalidRegex`.
    public var regexError: PrometheusRegexError?

    /// Creates an error.
    public init(
        code: Code,
        ruleIndex: Int,
        field: RelabelRule.Field,
        message: String,
        regexError: PrometheusRegexError? = nil
    ) {
        self.code = code
        self.ruleIndex = ruleIndex
        self.field = field
        self.message = message
        self.regexError = regexError
    }

    /// `relabel rule <index>, field '<field>': <message>`.
    public var description: String {
        "relabel rule \(ruleIndex), field '\(field.rawValue)': \(message)"
    }

    /// A description without values from the configuration: `relabel rule: invalid_value in target_label`.
    public var shortDescription: String {
        "relabel rule: \(code.rawValue) in \(field.rawValue)"
    }
}
