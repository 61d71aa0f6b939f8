/// Why a Prometheus (RE2 syntax) regular expression was refused.
///
/// The codes and wording follow Go's `regexp/syntax` errors, which is what Prometheus prints for a bad
/// `regex:` field, so a message reads the same as Prometheus' own (`missing closing ): ...`).
public struct PrometheusRegexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of syntax problem; a bounded set, safe to use as a metric label.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A character class such as `[[:foo:]]` is unknown.
        case invalidCharClass = "invalid character class"
        /// A class range is reversed (`[z-a]`) or names an unknown Unicode class (`\p{Foo}`).
        case invalidCharRange = "invalid character class range"
        /// An escape RE2 does not know (`\Z`, `\1` backreferences, `\C`, ...).
        case invalidEscape = "invalid escape sequence"
        /// A `(?P<name>` / `(?<name>` group with a bad name.
        case invalidNamedCapture = "invalid named capture"
        /// A `(?...)` construct RE2 does not support (look-around, atomic groups, unknown flags, ...).
        case invalidPerlOp = "invalid or unsupported Perl syntax"
        /// Stacked repetition operators such as `a**` or possessive `a*+`.
        case invalidRepeatOp = "invalid nested repetition operator"
        /// A counted repetition over 1000 or with min > max.
        case invalidRepeatSize = "invalid repeat count"
        /// A `[` without its `]`.
        case missingBracket = "missing closing ]"
        /// A `(` without its `)`.
        case missingParen = "missing closing )"
        /// A repetition operator with nothing to repeat, as in `*a` or `(|*)`.
        case missingRepeatArgument = "missing argument to repetition operator"
        /// The expression ends with a lone `\`.
        case trailingBackslash = "trailing backslash at end of expression"
        /// A `)` without its `(`.
        case unexpectedParen = "unexpected )"
        /// Groups nest deeper than 1000 levels.
        case nestingDepth = "expression nests too deeply"
    }

    /// The kind of problem.
    public var code: Code
    /// The offending part of the expression, as Go's `regexp/syntax` reports it.
    ///
    /// Prometheus parses the anchored form `^(?s:REGEX)$`, so errors that quote the whole expression quote that
    /// form, exactly as Prometheus does.
    public var expression: String

    /// Creates an error.
    public init(code: Code, expression: String) {
        self.code = code
        self.expression = expression
    }

    /// `error parsing regexp: <reason>: `<expression>``, as Prometheus prints it.
    public var description: String {
        "error parsing regexp: \(code.rawValue): `\(expression)`"
    }
}
