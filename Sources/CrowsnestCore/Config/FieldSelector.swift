/// A Kubernetes field selector for pods (`status.phase=Running,spec.nodeName!=node-1`), parsed and validated as
/// the API server does (apimachinery `fields.ParseSelector` plus the pod field-label conversion).
///
/// Terms are separated by `,` (AND); each is `field=value`, `field==value` or `field!=value`. In values, `\,`,
/// `\=` and `\\` escape those characters. Only the fields the API server supports for pods are accepted
/// (`FieldSelector.podFields`); anything else is the API server's `400 field label not supported`.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// The operator of one term.
    public enum Operator: String, Sendable, Hashable {
        /// `field=value` or `field==value`.
        case equals = "="
        /// `field!=value`.
        case notEquals = "!="
    }

    /// One term.
    public struct Requirement: Sendable, Hashable {
        /// The field, such as `status.phase`.
        public var field: String
        /// The operator.
        public var op: Operator
        /// The unescaped value.
        public var value: String

        /// Whether the object's `fields` satisfy this term (an absent field counts as the empty string).
        public func matches(_ fields: [String: String]) -> Bool {
            let actual = fields[field] ?? ""
            return op == .equals ? actual == value : actual != value
        }
    }

    /// The pod fields the API server accepts in a field selector.
    public static let podFields: [String] = [
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    ]

    /// The terms, in the order written.
    ///
    /// Empty selects everything.
    public var requirements: [Requirement]

    /// The selector text as written; what is sent to the API server.
    public var text: String

    /// The selector that selects everything.
    public init() {
        requirements = []
        text = ""
    }

    /// Parses a pod field selector; unknown fields are errors.
    public init(parsing text: String) throws(SelectorSyntaxError) {
        self.text = text
        self.requirements = []
        var offset = 0
        for term in Self.splitTerms(text) {
            defer { offset += term.count + 1 }
            if term.isEmpty { continue }
            guard let (field, op, rawValue) = Self.splitTerm(term) else {
                throw SelectorSyntaxError(
                    reason: "can't understand '\(term)': expected field=value, field==value or field!=value",
                    offset: offset
                )
            }
            guard Self.podFields.contains(field) else {
                var reason = "field label not supported: \(field)"
                if let suggestion = ConfigText.suggestion(for: field, among: Self.podFields) {
                    reason += "; did you mean '\(suggestion)'?"
                } else {
                    reason += " (pods support \(Self.podFields.joined(separator: ", ")))"
                }
                throw SelectorSyntaxError(reason: reason, offset: offset)
            }
            let value = try Self.unescape(rawValue, offset: offset + field.count)
            requirements.append(Requirement(field: field, op: op, value: value))
        }
    }

    /// Whether an object's `fields` satisfy every term.
    public func matches(_ fields: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(fields) } }

    /// Whether the selector selects everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// The selector text.
    public var description: String { text }

    /// Splits on commas not escaped by a backslash.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        terms.append(current)
        return terms
    }

    /// The first `!=`, `==` or `=` splits the term.
    private static func splitTerm(_ term: String) -> (String, Operator, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            let rest = term[index...]
            for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] where rest.hasPrefix(token)
            {
                return (String(term[..<index]), op, String(rest.dropFirst(token.count)))
            }
            index = term.index(after: index)
        }
        return nil
    }

    private static func unescape(_ value: String, offset: Int) throws(SelectorSyntaxError) -> String {
        var out = ""
        var escaped = false
        for character in value {
            if escaped {
                guard character == "\\" || character == "," || character == "=" else {
                    throw SelectorSyntaxError(
                        reason: "invalid escape sequence '\\\(character)' (only \\\\, \\, and \\= are allowed)",
                        offset: offset
                    )
                }
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { throw SelectorSyntaxError(reason: "unterminated escape sequence", offset: offset) }
        return out
    }
}
