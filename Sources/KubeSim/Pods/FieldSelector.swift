/// A Kubernetes field selector, parsed as apimachinery's `fields.ParseSelector` does
/// (`k8s.io/apimachinery/pkg/fields/selector.go`): comma-separated `key=value`, `key==value`, `key!=value`,
/// with `\` escaping `,`, `=`, `!` and `\` in values.
///
/// Independent of `CrowsnestCore`'s `FieldSelector` on purpose: see ``LabelSelector``.
struct FieldSelector: Sendable, Equatable {
    /// One term of a field selector.
    struct Requirement: Sendable, Equatable {
        /// The field path (`status.phase`, …).
        var field: String
        /// Whether the term is `!=`.
        var negated: Bool
        /// The (unescaped) value.
        var value: String
    }

    /// The field paths the API server accepts for pods (`pod.GetAttrs` and the conversion functions).
    static let podFields: Set<String> = [
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    ]

    /// The terms, in the order written.
    var requirements: [Requirement]

    /// The selector that matches everything.
    static let everything = FieldSelector(requirements: [])

    /// Creates a selector from terms.
    init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses `text`; throws ``SelectorError`` with apimachinery's message on bad input.
    init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for term in FieldSelector.splitTerms(text) where !term.isEmpty {
            guard let (field, op, rawValue) = FieldSelector.splitTerm(term) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            let value = try FieldSelector.unescape(rawValue)
            requirements.append(Requirement(field: field, negated: op == "!=", value: value))
        }
        self.requirements = requirements
    }

    /// Whether the selector is empty (matches everything).
    var isEmpty: Bool { requirements.isEmpty }

    /// Throws `field label not supported: <key>` for a field pods do not have.
    func validateForPods() throws(SelectorError) {
        try validate(FieldSelector.podFields)
    }

    /// Throws `field label not supported: <key>` for a field outside `supported`.
    func validate(_ supported: Set<String>) throws(SelectorError) {
        for requirement in requirements where !supported.contains(requirement.field) {
            throw SelectorError("field label not supported: \(requirement.field)")
        }
    }

    /// Whether an object with these field values satisfies every term (a missing field reads as "").
    func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            let have = fields[requirement.field] ?? ""
            return requirement.negated ? have != requirement.value : have == requirement.value
        }
    }

    // MARK: - Grammar

    /// Splits on commas that are not escaped.
    static func splitTerms(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
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

    /// Finds the first unescaped operator (`!=`, `==`, `=`, tried in that order at each position).
    static func splitTerm(_ term: String) -> (String, String, String)? {
        let characters = Array(term)
        var index = 0
        var escaped = false
        while index < characters.count {
            if escaped {
                escaped = false
            } else if characters[index] == "\\" {
                escaped = true
            } else {
                for op in ["!=", "==", "="] {
                    let opCharacters = Array(op)
                    if index + opCharacters.count <= characters.count,
                        Array(characters[index..<index + opCharacters.count]) == opCharacters
                    {
                        let lhs = String(characters[0..<index])
                        let rhs = String(characters[(index + opCharacters.count)...])
                        return (lhs, op, rhs)
                    }
                }
            }
            index += 1
        }
        return nil
    }

    /// `fields.UnescapeValue`.
    static func unescape(_ text: String) throws(SelectorError) -> String {
        guard text.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) else { return text }
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "\\", ",", "=": out.append(character)
                default: throw SelectorError("invalid field selector: invalid escape sequence: \\\(character)")
                }
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case ",", "=":
                throw SelectorError(
                    "invalid field selector: unescaped character in value: \(character.unicodeScalars.first!.value)"
                )
            default: out.append(character)
            }
        }
        if escaped { throw SelectorError("invalid field selector: invalid escape sequence: \\") }
        return out
    }
}
