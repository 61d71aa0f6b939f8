extension RelabelAction {
    /// The action named by a configuration value, case-insensitively as Prometheus reads it (`Replace`, `keep`).
    public init?(configValue: String) {
        self.init(rawValue: configValue.lowercased())
    }
}

extension RelabelRule {
    /// Prometheus' default separator.
    public static let defaultSeparator = ";"
    /// Prometheus' default regex.
    public static let defaultRegex = "(.*)"
    /// Prometheus' default replacement.
    public static let defaultReplacement = "$1"

    /// Checks the rule the way Prometheus does when it loads a configuration, and compiles its regex.
    ///
    /// The checks, in Prometheus' order (`model/relabel/relabel.go`, `Config.Validate`):
    /// - every `source_labels` entry is a valid label name; the `regex` compiles;
    /// - `hashmod` needs a non-zero `modulus`;
    /// - `replace`, `hashmod`, `lowercase`, `uppercase`, `keepequal`, `dropequal` need a `target_label`;
    /// - for `replace` the `target_label` is a valid label name, or — when it contains `$` — a valid name once
    ///   `$1`/`${1}`/`$name`/`${name}` references are allowed in it;
    /// - `lowercase`, `uppercase`, `keepequal`, `dropequal`, `hashmod` need a valid literal `target_label`;
    ///   the first four forbid `replacement`;
    /// - `labelmap` needs a `replacement` that is a valid label name with `$` references allowed;
    /// - `keepequal`/`dropequal` allow only `source_labels` and `target_label`;
    /// - `labeldrop`/`labelkeep` allow only `regex`.
    ///
    /// A field "is set" when it differs from Prometheus' default (`;`, `(.*)`, `$1`, 0, empty).
    ///
    /// - Parameters:
    ///   - index: the rule's position, reported in errors.
    ///   - nameValidation: how label names are checked.
    /// - Returns: the compiled regex.
    /// - Throws: `RelabelError` for the first check that fails.
    func validated(
        index: Int,
        nameValidation: Relabeler.NameValidation
    ) throws(RelabelError) -> PrometheusRegex {
        func fail(_ code: RelabelError.Code, _ field: Field, _ message: String) -> RelabelError {
            RelabelError(code: code, ruleIndex: index, field: field, message: message)
        }
        let actionName = action.rawValue

        for name in sourceLabels where !nameValidation.isValidLabelName(name) {
            throw fail(.invalidValue, .sourceLabels, "\(quoted(name)) is not a valid label name")
        }
        let compiled: PrometheusRegex
        do {
            compiled = try PrometheusRegex(regex)
        } catch {
            throw RelabelError(
                code: .invalidRegex,
                ruleIndex: index,
                field: .regex,
                message: error.description,
                regexError: error
            )
        }

        if action == .hashmod && modulus == 0 {
            throw fail(.missingField, .modulus, "relabel configuration for hashmod requires non-zero modulus")
        }
        let needsTarget: Set<RelabelAction> = [.replace, .hashmod, .lowercase, .uppercase, .keepequal, .dropequal]
        if needsTarget.contains(action) && targetLabel.isEmpty {
            throw fail(
                .missingField,
                .targetLabel,
                "relabel configuration for \(actionName) action requires 'target_label' value"
            )
        }
        let invalidTarget = "\(quoted(targetLabel)) is invalid 'target_label' for \(actionName) action"
        if action == .replace {
            let valid =
                targetLabel.utf8.contains(UInt8(ascii: "$"))
                ? nameValidation.isValidLabelNameTemplate(targetLabel)
                : nameValidation.isValidLabelName(targetLabel)
            if !valid { throw fail(.invalidValue, .targetLabel, invalidTarget) }
        }
        let literalTarget: Set<RelabelAction> = [.lowercase, .uppercase, .keepequal, .dropequal]
        if literalTarget.contains(action) {
            if !nameValidation.isValidLabelName(targetLabel) {
                throw fail(.invalidValue, .targetLabel, invalidTarget)
            }
            if replacement != Self.defaultReplacement {
                throw fail(.fieldNotAllowed, .replacement, "'replacement' can not be set for \(actionName) action")
            }
        }
        if action == .labelmap && !nameValidation.isValidLabelNameTemplate(replacement) {
            throw fail(
                .invalidValue,
                .replacement,
                "\(quoted(replacement)) is invalid 'replacement' for \(actionName) action"
            )
        }
        if action == .hashmod && !nameValidation.isValidLabelName(targetLabel) {
            throw fail(.invalidValue, .targetLabel, invalidTarget)
        }
        if action == .keepequal || action == .dropequal {
            let message = "\(actionName) action requires only 'source_labels' and 'target_label', and no other fields"
            if regex != Self.defaultRegex { throw fail(.fieldNotAllowed, .regex, message) }
            if modulus != 0 { throw fail(.fieldNotAllowed, .modulus, message) }
            if separator != Self.defaultSeparator { throw fail(.fieldNotAllowed, .separator, message) }
            if replacement != Self.defaultReplacement { throw fail(.fieldNotAllowed, .replacement, message) }
        }
        if action == .labeldrop || action == .labelkeep {
            let message = "\(actionName) action requires only 'regex', and no other fields"
            if !sourceLabels.isEmpty { throw fail(.fieldNotAllowed, .sourceLabels, message) }
            if !targetLabel.isEmpty { throw fail(.fieldNotAllowed, .targetLabel, message) }
            if modulus != 0 { throw fail(.fieldNotAllowed, .modulus, message) }
            if separator != Self.defaultSeparator { throw fail(.fieldNotAllowed, .separator, message) }
            if replacement != Self.defaultReplacement { throw fail(.fieldNotAllowed, .replacement, message) }
        }
        return compiled
    }

    /// Checks the rule as `validated(index:nameValidation:)` does, reporting it as rule `index`.
    public func validate(
        index: Int = 0,
        nameValidation: Relabeler.NameValidation = .legacy
    ) throws(RelabelError) {
        _ = try validated(index: index, nameValidation: nameValidation)
    }
}

/// Go's `%q` for the strings that appear in messages (printable text stays as is, quotes and backslashes escaped).
private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

extension Relabeler.NameValidation {
    /// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*` (legacy) or any non-empty text (UTF-8).
    public func isValidLabelName(_ name: String) -> Bool {
        switch self {
        case .utf8:
            return !name.isEmpty
        case .legacy:
            var first = true
            for byte in name.utf8 {
                let isLetter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
                let isDigit = byte >= 0x30 && byte <= 0x39
                guard isLetter || (isDigit && !first) else { return false }
                first = false
            }
            return !first
        }
    }

    /// Whether `template` is a valid label name once `$` references are allowed in it.
    ///
    /// Legacy: Prometheus' `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$` — word characters and references, not
    /// starting with a digit. UTF-8: any non-empty text.
    func isValidLabelNameTemplate(_ template: String) -> Bool {
        if self == .utf8 { return !template.isEmpty }
        let bytes = Array(template.utf8)
        func isWord(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F
        }
        guard let first = bytes.first, !(first >= 0x30 && first <= 0x39) else { return false }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") {
                index += 1
                if index < bytes.count && bytes[index] == UInt8(ascii: "{") {
                    index += 1
                    let start = index
                    while index < bytes.count && isWord(bytes[index]) { index += 1 }
                    guard index > start, index < bytes.count, bytes[index] == UInt8(ascii: "}") else { return false }
                    index += 1
                } else {
                    let start = index
                    while index < bytes.count && isWord(bytes[index]) { index += 1 }
                    guard index > start else { return false }
                }
            } else if isWord(byte) {
                index += 1
            } else {
                return false
            }
        }
        return true
    }
}
