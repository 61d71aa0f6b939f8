/// A Kubernetes label selector, parsed with the grammar and error messages of apimachinery's
/// `labels.Parse` (`k8s.io/apimachinery/pkg/labels/selector.go`).
///
/// `=`, `==`, `!=`, `in (…)`, `notin (…)`, `key`, `!key`, `key>N`, `key<N`; comma means AND.
///
/// Why KubeSim has its own selectors instead of `CrowsnestCore`'s (which validate `discovery.label_selector` and
/// `field_selector` in cluster files): KubeSim plays the API server that tests the gateway, and it must judge the
/// selectors the gateway sends the way apimachinery does, not the way the gateway thinks it does. Two independent
/// readings of the same grammar catch each other's mistakes (a shared parser would pass its own bugs as correct),
/// and KubeSim also evaluates selectors against pods, which the gateway never does.
struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    /// One requirement of a selector.
    struct Requirement: Sendable, Equatable {
        /// The operator of a requirement.
        enum Operator: String, Sendable {
            case equals = "="
            case doubleEquals = "=="
            case notEquals = "!="
            case `in` = "in"
            case notIn = "notin"
            case exists = "exists"
            case doesNotExist = "!"
            case greaterThan = "gt"
            case lessThan = "lt"
        }

        /// The label key.
        var key: String
        /// The operator.
        var op: Operator
        /// The values (sorted, as apimachinery keeps them in a set).
        var values: [String]

        /// Whether `labels` satisfy this requirement.
        func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .equals, .doubleEquals, .in:
                guard let value = labels[key] else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value = labels[key] else { return true }
                return !values.contains(value)
            case .exists: return labels[key] != nil
            case .doesNotExist: return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let raw = labels[key], let have = Int64(raw), let want = values.first.flatMap({ Int64($0) })
                else { return false }
                return op == .greaterThan ? have > want : have < want
            }
        }
    }

    /// The requirements, sorted by key as apimachinery sorts them.
    var requirements: [Requirement]

    /// The selector that matches everything.
    static let everything = LabelSelector(requirements: [])

    /// Creates a selector from requirements.
    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// Parses `text`; throws ``SelectorError`` with apimachinery's message on bad input.
    init(parsing text: String) throws(SelectorError) {
        var parser = LabelSelectorParser(text)
        self.requirements = try parser.parse().sorted { $0.key < $1.key }
    }

    /// Whether the selector is empty (matches everything).
    var isEmpty: Bool { requirements.isEmpty }

    /// Whether `labels` satisfy every requirement.
    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    var description: String {
        requirements.map { requirement in
            switch requirement.op {
            case .exists: return requirement.key
            case .doesNotExist: return "!" + requirement.key
            case .in, .notIn:
                return "\(requirement.key) \(requirement.op.rawValue) (\(requirement.values.joined(separator: ",")))"
            case .greaterThan: return "\(requirement.key)>\(requirement.values.first ?? "")"
            case .lessThan: return "\(requirement.key)<\(requirement.values.first ?? "")"
            default: return "\(requirement.key)\(requirement.op.rawValue)\(requirement.values.first ?? "")"
            }
        }.joined(separator: ",")
    }
}

/// A selector that does not parse; `message` is the text the API server puts in its 400 Status.
struct SelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message, as apimachinery words it.
    var message: String
    /// Creates an error with `message`.
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The lexer + recursive-descent parser of `labels.Parse`.
struct LabelSelectorParser {
    enum Token: Equatable {
        case error, endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier
        case `in`, lessThan, notEquals, notIn, openPar
    }

    enum Context { case keyAndOperator, values }

    private var items: [(Token, String)] = []
    private var position = 0

    init(_ text: String) {
        items = LabelSelectorParser.scan(Array(text.utf8))
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default: return false
        }
    }

    private static func scan(_ bytes: [UInt8]) -> [(Token, String)] {
        var out: [(Token, String)] = []
        var index = 0
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while true {
            while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
            guard index < bytes.count else {
                out.append((.endOfString, ""))
                return out
            }
            let byte = bytes[index]
            if isSpecial(byte) {
                index += 1
                let next: UInt8? = index < bytes.count ? bytes[index] : nil
                switch byte {
                case UInt8(ascii: ")"): out.append((.closedPar, ")"))
                case UInt8(ascii: ","): out.append((.comma, ","))
                case UInt8(ascii: "("): out.append((.openPar, "("))
                case UInt8(ascii: ">"): out.append((.greaterThan, ">"))
                case UInt8(ascii: "<"): out.append((.lessThan, "<"))
                case UInt8(ascii: "!"):
                    if next == UInt8(ascii: "=") {
                        index += 1
                        out.append((.notEquals, "!="))
                    } else {
                        out.append((.doesNotExist, "!"))
                    }
                default:  // "="
                    if next == UInt8(ascii: "=") {
                        index += 1
                        out.append((.doubleEquals, "=="))
                    } else {
                        out.append((.equals, "="))
                    }
                }
                continue
            }
            let start = index
            while index < bytes.count, !isSpecial(bytes[index]), !isWhitespace(bytes[index]) { index += 1 }
            let literal = text(start..<index)
            switch literal {
            case "in": out.append((.in, literal))
            case "notin": out.append((.notIn, literal))
            default: out.append((.identifier, literal))
            }
        }
    }

    private func lookahead(_ context: Context) -> (Token, String) {
        var (token, literal) = items[min(position, items.count - 1)]
        if context == .values, token == .in || token == .notIn { token = .identifier }
        return (token, literal)
    }

    private mutating func consume(_ context: Context) -> (Token, String) {
        let result = lookahead(context)
        position = min(position + 1, items.count - 1)
        return result
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw SelectorError("unable to parse requirement: \(error.message)")
                }
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .endOfString: return requirements
                case .comma:
                    let (after, afterLiteral) = lookahead(.values)
                    if after != .identifier, after != .doesNotExist {
                        throw SelectorError("found '\(afterLiteral)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString: return requirements
            default:
                throw SelectorError("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        var op: LabelSelector.Requirement.Operator? = nil
        var (token, literal) = consume(.values)
        if token == .doesNotExist {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        guard token == .identifier else { throw SelectorError("found '\(literal)', expected: identifier") }
        let key = literal
        try LabelValidation.validateKey(key)
        let (next, _) = lookahead(.values)
        if op == .doesNotExist || next == .endOfString || next == .comma {
            // `!key` is complete by itself; whatever follows is the caller's to reject.
            return LabelSelector.Requirement(key: key, op: op ?? .exists, values: [])
        }
        let (opToken, opLiteral) = consume(.keyAndOperator)
        let parsedOp: LabelSelector.Requirement.Operator
        switch opToken {
        case .in: parsedOp = .in
        case .equals: parsedOp = .equals
        case .doubleEquals: parsedOp = .doubleEquals
        case .greaterThan: parsedOp = .greaterThan
        case .lessThan: parsedOp = .lessThan
        case .notIn: parsedOp = .notIn
        case .notEquals: parsedOp = .notEquals
        default: throw SelectorError("found '\(opLiteral)', expected: '=', '!=', '==', 'in', notin'")
        }
        var values: Set<String>
        switch parsedOp {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        let sorted = values.sorted()
        try LabelValidation.validateRequirement(key: key, op: parsedOp, values: sorted)
        return LabelSelector.Requirement(key: key, op: parsedOp, values: sorted)
    }

    private mutating func parseValues() throws(SelectorError) -> Set<String> {
        let (token, literal) = consume(.values)
        guard token == .openPar else { throw SelectorError("found '\(literal)' expected: '('") }
        let (next, nextLiteral) = lookahead(.values)
        switch next {
        case .identifier, .comma:
            let values = try parseIdentifierList()
            let (close, _) = consume(.values)
            guard close == .closedPar else { throw SelectorError("found '\(nextLiteral)', expected: ')'") }
            return values
        case .closedPar:
            _ = consume(.values)
            return [""]
        default:
            throw SelectorError("found '\(nextLiteral)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifierList() throws(SelectorError) -> Set<String> {
        var values: Set<String> = []
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedPar: return values
                default: throw SelectorError("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closedPar {
                    values.insert("")
                    return values
                }
                if next == .comma {
                    _ = consume(.values)
                    values.insert("")
                }
            default:
                throw SelectorError("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(SelectorError) -> Set<String> {
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        guard token == .identifier else {
            throw SelectorError("found '\(literal)', expected: identifier")
        }
        return [literal]
    }
}

/// Label key and value validation with apimachinery's messages (`validation.IsQualifiedName`, `IsValidLabelValue`).
enum LabelValidation {
    static let qualifiedNameHint =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        + "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueHint =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
        + "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let subdomainHint =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    private static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    static func isDNSSubdomain(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last else { return false }
            func ok(_ byte: UInt8) -> Bool { (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) }
            return ok(first) && ok(last) && bytes.allSatisfy { ok($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// The error list of `IsQualifiedName`.
    static func qualifiedNameErrors(_ key: String) -> [String] {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        var errors: [String] = []
        switch parts.count {
        case 1: name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else if !isDNSSubdomain(prefix) {
                if prefix.utf8.count > 253 {
                    errors.append("prefix part must be no more than 253 characters")
                } else {
                    errors.append("prefix part " + subdomainHint)
                }
            }
        default:
            return [
                "a qualified name " + qualifiedNameHint
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errors.append("name part must be no more than 63 characters")
        }
        if !name.isEmpty, !isQualifiedNamePart(name) {
            errors.append("name part " + qualifiedNameHint)
        }
        return errors
    }

    /// The error list of `IsValidLabelValue`.
    static func labelValueErrors(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append("must be no more than 63 characters") }
        if !value.isEmpty, !isQualifiedNamePart(Substring(value)) { errors.append(labelValueHint) }
        return errors
    }

    static func validateKey(_ key: String) throws(SelectorError) {
        let errors = qualifiedNameErrors(key)
        if !errors.isEmpty {
            throw SelectorError("key: Invalid value: \"\(key)\": \(errors.joined(separator: "; "))")
        }
    }

    static func validateRequirement(
        key: String,
        op: LabelSelector.Requirement.Operator,
        values: [String]
    ) throws(SelectorError) {
        switch op {
        case .in, .notIn:
            if values.isEmpty {
                throw SelectorError(
                    "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
                )
            }
        case .equals, .doubleEquals, .notEquals:
            if values.count != 1 {
                throw SelectorError(
                    "values: Invalid value: \(values): exact-match compatibility requires one single value"
                )
            }
        case .greaterThan, .lessThan:
            if values.count != 1 {
                throw SelectorError(
                    "values: Invalid value: \(values): for 'Gt', 'Lt' operators, exactly one value is required"
                )
            }
            for (index, value) in values.enumerated() where Int64(value) == nil {
                throw SelectorError(
                    "values[\(index)]: Invalid value: \"\(value)\": for 'Gt', 'Lt' operators, the value must be an integer"
                )
            }
            return
        case .exists, .doesNotExist:
            return
        }
        for (index, value) in values.enumerated() {
            let errors = labelValueErrors(value)
            if !errors.isEmpty {
                throw SelectorError(
                    "values[\(index)][\(key)]: Invalid value: \"\(value)\": \(errors.joined(separator: "; "))"
                )
            }
        }
    }
}
