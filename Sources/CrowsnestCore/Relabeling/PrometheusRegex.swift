/// A regular expression with Prometheus' semantics: RE2 syntax, fully anchored as `^(?s:REGEX)$` (so `.` also
/// matches a newline and the whole input must match), matched on Unicode code points and compared byte for byte.
///
/// This is the regex of `relabel_config.regex` and of PromQL `=~` / `!~` matchers.
///
/// ## Engine
///
/// The expression is parsed with Go's `regexp/syntax` rules (Perl flags, as Prometheus compiles it) into a small
/// tree, which is matched in one of two ways:
/// - common shapes (`(.*)`, `.+`, literals, `a|b|c`, `prefix.*suffix`, `prefix(a|b|c)`, `prefix(.*)`) are matched
///   directly on the UTF-8 bytes, with no engine at all;
/// - everything else runs on a Pike VM (a Thompson NFA simulation with capture slots, as in Go and RE2): linear
///   time in the input whatever the expression — no catastrophic backtracking on hostile label values — and
///   leftmost-first submatches through thread priority, exactly as Go reports them.
///
/// Swift's `Regex` is deliberately not used to match: it reads RE2 text differently (`[a[b]]`, `[a&&b]`,
/// `a{,3}`, Unicode `\d`/`\w`/`\s`, grapheme-cluster `.`, canonical equivalence), its simple `\b` treats digits
/// and `_` as non-word characters, it has no look-behind for multi-line `^`, it refuses non-NFC class range bounds
/// (and, inside large classes, traps on them at the first match instead of throwing), and it backtracks.
///
/// ## RE2 syntax
///
/// | RE2 | meaning here |
/// |---|---|
/// | `.` (with `s`, Prometheus' default) / `(?-s).` | any code point / any but `\n` — never a grapheme cluster |
/// | `\d` `\s` `\w` `\D` `\S` `\W`, `[[:alpha:]]` … `[[:word:]]`, `[[:^alpha:]]` | ASCII only, as in RE2 (`\s` has no `\v`) |
/// | `\pL`, `\p{Lu}`, `\p{Greek}`, `\PL`, `\p{^Greek}`, `\p{Any}`, `\p{ASCII}` | general categories and scripts; `C` excludes unassigned code points |
/// | `[a-z]`, `[^…]`, `[]a]`, `[a-]`, `[a[b]` | RE2 classes: `[` inside a class is literal; `&&`, `--`, `~~` are not operators |
/// | `(?i)` | RE2 simple case folding on whole orbits (`k`, `K`, Kelvin sign; `s`, `S`, `ſ`; `σ`, `ς`, `Σ`) |
/// | `(?m)`, `(?s)`, `(?U)`, `(?i-s:…)` | flags, scoped to the enclosing group |
/// | `^` `$` / `\A` `\z` | text start and end (`$` never matches before a final newline); with `(?m)` line start/end at `\n` |
/// | `\b` `\B` | ASCII word boundary |
/// | `(…)`, `(?P<name>…)`, `(?<name>…)`, `(?:…)` | groups; duplicate names allowed as in Go |
/// | `*` `+` `?` `{n}` `{n,}` `{n,m}` and lazy `*?` … | repetition (counts up to 1000, nested products too) |
/// | `\Q…\E`, `\x7F`, `\x{10FFFF}`, `\123`, `\a \f \t \n \r \v`, `\` + punctuation | literals |
///
/// Refused, with Go's own error messages: look-around `(?=`, `(?!`, `(?<=`, atomic groups `(?>`, backreferences
/// `\1`, `\k<…>`, possessive or stacked quantifiers `a*+`, `a**`, `\Z`, `\G`, `\C`, `\e`, `\h`, counted
/// repetitions over 1000, unknown classes. A `{` that does not start a valid `{n}`, `{n,}`, `{n,m}` is a literal
/// (so `a{,3}` means the text `a{,3}`, as in RE2).
///
/// Unicode tables (case mappings, categories, scripts) are the standard library's, which may be a newer Unicode
/// version than the Go release a given Prometheus was built with: only code points assigned in between differ.
public struct PrometheusRegex: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written (without Prometheus' implicit `^(?s:` … `)$`).
    public let pattern: String
    let program: Program

    /// Compiles `pattern` with RE2 syntax, anchored at both ends.
    public init(_ pattern: String) throws(PrometheusRegexError) {
        try self.init(pattern, forceRegexEngine: false)
    }

    /// Compiles `pattern`; `forceRegexEngine` disables the fast paths (for differential tests).
    init(_ pattern: String, forceRegexEngine: Bool) throws(PrometheusRegexError) {
        self.pattern = pattern
        self.program = try Program(pattern: pattern, forceRegexEngine: forceRegexEngine)
    }

    /// The number of capturing groups.
    public var captureGroupCount: Int { program.groupNames.count }

    /// The name of every capturing group, in order (`nil` for an unnamed group).
    public var captureGroupNames: [String?] { program.groupNames }

    /// Whether the whole of `input` matches.
    public func matches(_ input: String) -> Bool {
        program.matches(input)
    }

    /// The groups of the match, index 0 being the whole input and `nil` for a group that took no part; `nil` when
    /// `input` does not match.
    public func captures(in input: String) -> [Substring?]? {
        program.captures(in: input)
    }

    /// `template` expanded with the groups of the match (`$1`, `${1}`, `${name}`, `$$`, Go's `Regexp.Expand`
    /// rules), or `nil` when `input` does not match.
    public func expand(_ template: String, matching input: String) -> String? {
        guard let groups = program.captures(in: input) else { return nil }
        return ReplacementTemplate(template, groupNames: program.groupNames).expand(groups)
    }

    /// The expression as written.
    public var description: String { pattern }

    /// Two regexes are equal when their patterns are byte-for-byte equal.
    public static func == (lhs: PrometheusRegex, rhs: PrometheusRegex) -> Bool {
        lhs.pattern.utf8.elementsEqual(rhs.pattern.utf8)
    }

    /// Hashes the pattern's bytes.
    public func hash(into hasher: inout Hasher) {
        for byte in pattern.utf8 { hasher.combine(byte) }
    }

    /// Whether matching avoids the regex engine.
    var usesFastPath: Bool { program.fast != nil }
}

extension PrometheusRegex {
    /// The compiled form, shared by copies.
    final class Program: Sendable {
        let groupNames: [String?]
        /// The parsed tree (the tests spell it in Swift `Regex` syntax as an oracle).
        let node: RE2Node
        let fast: RE2FastMatcher?
        let machine: RE2Program

        init(pattern: String, forceRegexEngine: Bool) throws(PrometheusRegexError) {
            // Prometheus compiles "^(?s:" + regex + ")$"; parsing that very text reproduces its behaviour,
            // including for unbalanced input such as `a)|(b`.
            let (node, names) = try RE2Parser.parse("^(?s:" + pattern + ")$")
            self.node = node
            groupNames = names
            machine = RE2Program(node, groupCount: names.count)
            fast = forceRegexEngine ? nil : RE2FastMatcher(anchored: node, groupCount: names.count)
        }

        private func withBytes<R>(_ input: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            var input = input
            return input.withUTF8(body)
        }

        private static func substring(_ input: String, _ range: Range<Int>) -> Substring {
            let utf8 = input.utf8
            let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            let end = utf8.index(start, offsetBy: range.count)
            return input[start..<end]
        }

        func matches(_ input: String) -> Bool {
            withBytes(input) { bytes in
                if let fast {
                    if case .match = fast.match(bytes) { return true }
                    return false
                }
                return machine.run(bytes, captures: false) != nil
            }
        }

        func captures(in input: String) -> [Substring?]? {
            if let fast {
                let outcome = withBytes(input) { fast.match($0) }
                guard case .match(let group) = outcome else { return nil }
                var groups: [Substring?] = [input[...]]
                if !groupNames.isEmpty { groups.append(group.map { Self.substring(input, $0) }) }
                return groups
            }
            guard let slots = withBytes(input, { machine.run($0, captures: true) }) else { return nil }
            var groups: [Substring?] = []
            groups.reserveCapacity(slots.count / 2)
            for group in 0..<(slots.count / 2) {
                let start = slots[2 * group]
                let end = slots[2 * group + 1]
                groups.append(start >= 0 && end >= start ? Self.substring(input, start..<end) : nil)
            }
            return groups
        }
    }
}
