/// A syntax error in a label or field selector, with the 0-based character offset where it was found.
public struct SelectorSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// The 0-based offset (in characters) of the offending token in the selector text.
    public var offset: Int

    /// Creates an error.
    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The reason with its offset.
    public var description: String { "\(reason) (at character \(offset + 1))" }
}

/// A Kubernetes label selector (`app=web,tier in (a, b),!legacy`), parsed and validated as the API server does
/// (apimachinery `labels.Parse`).
///
/// Grammar: requirements separated by `,` (AND); each is `key`, `!key`, `key=value`, `key==value`,
/// `key!=value`, `key in (v1, v2)`, `key notin (v1, v2)`, `key > N` or `key < N`. Keys are qualified names
/// (`[prefix/]name`), values are label values (at most 63 characters, alphanumeric at both ends, `-_.` inside,
/// or empty). The text is passed to the API server as written; parsing catches mistakes before that and lets the
/// simulator evaluate selectors (`matches`).
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// The operator of one requirement.
    public enum Operator: String, Sendable, Hashable {
        /// `key=value`.
        case equals = "="
        /// `key==value`.
        case doubleEquals = "=="
        /// `key!=value`: the label is absent or has another value.
        case notEquals = "!="
        /// `key in (…)`.
        case `in` = "in"
        /// `key notin (…)`: the label is absent or has none of the values.
        case notIn = "notin"
        /// `key`: the label is present.
        case exists = "exists"
        /// `!key`: the label is absent.
        case doesNotExist = "!"
        /// `key > N` (integer comparison; absent or non-integer values do not match).
        case greaterThan = "gt"
        /// `key < N`.
        case lessThan = "lt"
    }

    /// One requirement: all of a selector's requirements must hold.
    public struct Requirement: Sendable, Hashable {
        /// The label key.
        public var key: String
        /// The operator.
        public var op: Operator
        /// The values (one for `=`, `==`, `!=`, `gt`, `lt`; one or more for `in`/`notin`; none otherwise).
        public var values: [String]

        /// Whether `labels` satisfy this requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .equals, .doubleEquals, .in: return value.map(values.contains) ?? false
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan, .lessThan:
                guard let actual = value.flatMap({ Int64($0) }), let bound = values.first.flatMap({ Int64($0) }) else {
                    return false
                }
                return op == .greaterThan ? actual > bound : actual < bound
            }
        }
    }

    /// The requirements, in the order written.
    ///
    /// Empty selects everything.
    public var requirements: [Requirement]

    /// The selector text as written (trimmed); what is sent to the API server.
    public var text: String

    /// The selector that selects everything.
    public init() {
        requirements = []
        text = ""
    }

    /// Parses and validates a label selector.
    public init(parsing text: String) throws(SelectorSyntaxError) {
        self.text = ConfigText.trimmed(text)
        var parser = LabelSelectorParser(text)
        self.requirements = try parser.parse()
    }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }

    /// Whether the selector selects everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// The selector text.
    public var description: String { text }

    /// Whether `key` is a Kubernetes qualified name (`[prefix/]name`): name 1–63 characters, alphanumeric at both
    /// ends with `-_.` inside; prefix a DNS-1123 subdomain.
    public static func isQualifiedName(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isNamePart(String(parts[0]))
        case 2: return ConfigText.isDNS1123Subdomain(String(parts[0])) && isNamePart(String(parts[1]))
        default: return false
        }
    }

    /// Whether `value` is a valid label value: empty, or 1–63 characters, alphanumeric at both ends, `-_.` inside.
    public static func isLabelValue(_ value: String) -> Bool { value.isEmpty || isNamePart(value) }

    private static func isNamePart(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        guard ConfigText.isASCIIAlphanumeric(bytes.first!), ConfigText.isASCIIAlphanumeric(bytes.last!) else {
            return false
        }
        return bytes.allSatisfy {
            ConfigText.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".")
        }
    }
}

/// The recursive-descent parser of apimachinery's `labels.Parse`, token for token.
private struct LabelSelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case endOfString, openPar, closedPar, comma, doesNotExist, equals, doubleEquals, notEquals, greaterThan,
            lessThan, inKeyword, notInKeyword

        var literal: String {
            switch self {
            case .identifier(let text): text
            case .endOfString: "end of string"
            case .openPar: "("
            case .closedPar: ")"
            case .comma: ","
            case .doesNotExist: "!"
            case .equals: "="
            case .doubleEquals: "=="
            case .notEquals: "!="
            case .greaterThan: ">"
            case .lessThan: "<"
            case .inKeyword: "in"
            case .notInKeyword: "notin"
            }
        }
    }

    /// Tokens with their character offsets.
    private var tokens: [(token: Token, offset: Int)] = []
    private var position = 0

    init(_ text: String) {
        let characters = Array(text.unicodeScalars)
        var index = 0
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        let specials: Set<Unicode.Scalar> = ["=", "!", "(", ")", ",", ">", "<"]
        while index < characters.count {
            let scalar = characters[index]
            if isSpace(scalar) {
                index += 1
                continue
            }
            let start = index
            if specials.contains(scalar) {
                let next: Unicode.Scalar? = index + 1 < characters.count ? characters[index + 1] : nil
                let token: Token
                switch (scalar, next) {
                case ("!", "="):
                    token = .notEquals
                    index += 2
                case ("=", "="):
                    token = .doubleEquals
                    index += 2
                case ("=", _):
                    token = .equals
                    index += 1
                case ("!", _):
                    token = .doesNotExist
                    index += 1
                case ("(", _):
                    token = .openPar
                    index += 1
                case (")", _):
                    token = .closedPar
                    index += 1
                case (",", _):
                    token = .comma
                    index += 1
                case (">", _):
                    token = .greaterThan
                    index += 1
                default:
                    token = .lessThan
                    index += 1
                }
                tokens.append((token, start))
                continue
            }
            while index < characters.count, !isSpace(characters[index]), !specials.contains(characters[index]) {
                index += 1
            }
            var word = ""
            word.unicodeScalars.append(contentsOf: characters[start..<index])
            switch word {
            case "in": tokens.append((.inKeyword, start))
            case "notin": tokens.append((.notInKeyword, start))
            default: tokens.append((.identifier(word), start))
            }
        }
        tokens.append((.endOfString, characters.count))
    }

    /// In a value context the keywords are plain identifiers.
    private func lookahead(values: Bool = false) -> (token: Token, offset: Int) {
        let (token, offset) = tokens[position]
        if values, token == .inKeyword || token == .notInKeyword { return (.identifier(token.literal), offset) }
        return (token, offset)
    }

    private mutating func consume(values: Bool = false) -> (token: Token, offset: Int) {
        let result = lookahead(values: values)
        if position < tokens.count - 1 { position += 1 }
        return result
    }

    private func fail(_ reason: String, _ offset: Int) -> SelectorSyntaxError {
        SelectorSyntaxError(reason: reason, offset: offset)
    }

    mutating func parse() throws(SelectorSyntaxError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, offset) = lookahead(values: true)
            switch token {
            case .identifier, .doesNotExist:
                requirements.append(try parseRequirement())
                let (next, nextOffset) = consume(values: true)
                switch next {
                case .endOfString: return requirements
                case .comma:
                    let (after, afterOffset) = lookahead(values: true)
                    if case .identifier = after { continue }
                    if after == .doesNotExist { continue }
                    throw fail("found '\(after.literal)', expected: identifier after ','", afterOffset)
                default: throw fail("found '\(next.literal)', expected: ',' or 'end of string'", nextOffset)
                }
            case .endOfString: return requirements
            default: throw fail("found '\(token.literal)', expected: !, identifier, or 'end of string'", offset)
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorSyntaxError) -> LabelSelector.Requirement {
        var op: LabelSelector.Operator?
        if lookahead(values: true).token == .doesNotExist {
            _ = consume(values: true)
            op = .doesNotExist
        }
        let (keyToken, keyOffset) = consume(values: true)
        guard case .identifier(let key) = keyToken else {
            throw fail("found '\(keyToken.literal)', expected: identifier", keyOffset)
        }
        guard LabelSelector.isQualifiedName(key) else {
            throw fail(
                "invalid label key '\(key)': a name of at most 63 characters, alphanumeric at both ends, "
                    + "with an optional DNS subdomain prefix and '/'",
                keyOffset
            )
        }
        if op == .doesNotExist { return .init(key: key, op: .doesNotExist, values: []) }
        let (next, _) = lookahead(values: true)
        if next == .endOfString || next == .comma { return .init(key: key, op: .exists, values: []) }

        let (opToken, opOffset) = consume()
        let parsedOp: LabelSelector.Operator
        switch opToken {
        case .equals: parsedOp = .equals
        case .doubleEquals: parsedOp = .doubleEquals
        case .notEquals: parsedOp = .notEquals
        case .inKeyword: parsedOp = .in
        case .notInKeyword: parsedOp = .notIn
        case .greaterThan: parsedOp = .greaterThan
        case .lessThan: parsedOp = .lessThan
        default: throw fail("found '\(opToken.literal)', expected: in, notin, =, ==, !=, gt, lt", opOffset)
        }

        var values: [String]
        if parsedOp == .in || parsedOp == .notIn {
            values = try parseValueSet()
        } else {
            let (valueToken, valueOffset) = lookahead(values: true)
            switch valueToken {
            case .identifier(let value):
                _ = consume(values: true)
                values = [value]
            case .endOfString, .comma: values = [""]
            default: throw fail("found '\(valueToken.literal)', expected: identifier", valueOffset)
            }
        }
        for value in values where !LabelSelector.isLabelValue(value) {
            throw fail(
                "invalid label value '\(value)': at most 63 characters, alphanumeric at both ends, '-_.' inside",
                opOffset
            )
        }
        if parsedOp == .greaterThan || parsedOp == .lessThan, Int64(values[0]) == nil {
            throw fail("for 'gt', 'lt' operators, the value must be an integer", opOffset)
        }
        return .init(key: key, op: parsedOp, values: values)
    }

    /// `( v1, v2, … )`; `()` is the set holding the empty value, as in apimachinery.
    private mutating func parseValueSet() throws(SelectorSyntaxError) -> [String] {
        let (open, openOffset) = consume()
        guard open == .openPar else { throw fail("found '\(open.literal)', expected: '('", openOffset) }
        var values: [String] = []
        func insert(_ value: String) { if !values.contains(value) { values.append(value) } }
        let (first, _) = lookahead(values: true)
        switch first {
        case .closedPar:
            _ = consume()
            return [""]
        case .identifier, .comma:
            loop: while true {
                let (token, offset) = consume(values: true)
                switch token {
                case .identifier(let value):
                    insert(value)
                    let (next, nextOffset) = lookahead(values: true)
                    switch next {
                    case .comma: continue
                    case .closedPar: break loop
                    default: throw fail("found '\(next.literal)', expected: ',' or ')'", nextOffset)
                    }
                case .comma:
                    if values.isEmpty { insert("") }
                    let (next, _) = lookahead(values: true)
                    if next == .closedPar {
                        insert("")
                        break loop
                    }
                    if next == .comma {
                        _ = consume(values: true)
                        insert("")
                    }
                default: throw fail("found '\(token.literal)', expected: ',', or identifier", offset)
                }
            }
            let (close, closeOffset) = consume(values: true)
            guard close == .closedPar else { throw fail("found '\(close.literal)', expected: ')'", closeOffset) }
            return values
        default:
            let (_, offset) = lookahead(values: true)
            throw fail("found '\(first.literal)', expected: ',', ')' or identifier", offset)
        }
    }
}
