import Testing

@testable import CrowsnestCore

/// A pattern, an input, and the expected groups (`nil` = no match; inner `nil` = group took no part).
struct RegexCase: Sendable, CustomTestStringConvertible {
    var pattern: String
    var input: String
    var groups: [String?]?

    init(_ pattern: String, _ input: String, _ groups: [String?]?) {
        self.pattern = pattern
        self.input = input
        self.groups = groups
    }

    /// A case that only checks whether the input matches.
    static func match(_ pattern: String, _ input: String, _ matches: Bool) -> RegexCase {
        RegexCase(pattern, input, matches ? [input] : nil)
    }

    var testDescription: String { "\(pattern.debugDescription) ~ \(input.debugDescription)" }
}

/// RE2 semantics, one construct at a time; the comments say what Swift would have done with the raw text.
private let semanticsCases: [RegexCase] = [
    // Anchoring and (?s).
    .match("", "", true),
    .match("", "a", false),
    .match("foo", "foobar", false),
    .match("foo|bar", "foobar", false),
    .match("a|ab", "ab", true),
    RegexCase("(a|ab)(c|bcd)(d*)", "abcd", ["abcd", "a", "bcd", ""]),
    RegexCase("(.*)", "a\nb", ["a\nb", "a\nb"]),
    .match("a.c", "a\nc", true),
    .match("(?-s)a.c", "a\nc", false),
    .match("(?-s)a.c", "a\rc", true),
    .match("^foo$", "foo", true),
    .match("foo$", "foo\n", false),  // RE2's `$` is `\z`
    .match("(?m)a$\nb", "a\nb", true),
    .match("a\n(?m)^b", "a\nb", true),
    .match("(?m)a$.b", "a\rb", false),  // multi-line `$` only before \n
    // Code points, not grapheme clusters; bytes, not canonical equivalence.
    .match("a.", "a\u{301}", true),
    .match(".", "e\u{301}", false),
    .match("..", "e\u{301}", true),
    .match("\u{E9}", "e\u{301}", false),
    .match("(\u{E9}|x)", "e\u{301}", false),
    .match("\u{E9}.*", "e\u{301}", false),
    // ASCII-only Perl and POSIX classes (Swift's are Unicode-aware).
    .match("\\d+", "0123456789", true),
    .match("\\d", "\u{663}", false),
    .match("\\w+", "a_Z9", true),
    .match("\\w", "\u{E9}", false),
    .match("\\s", "\t", true),
    .match("\\s", "\u{0B}", false),  // RE2's \s has no \v
    .match("[[:space:]]", "\u{0B}", true),
    .match("\\S", "\u{0B}", true),
    .match("[[:alpha:]]+", "abcXYZ", true),
    .match("[[:alpha:]]", "\u{E9}", false),
    .match("[[:^alpha:]]", "\u{E9}", true),
    .match("[[:word:]]", "_", true),
    .match("[[:punct:]]", "~", true),
    .match("[\\d\\s]", " ", true),
    .match("[^\\d]", "a", true),
    .match("\\D", "5", false),
    // Classes: RE2 reads brackets literally where Swift nests or combines sets.
    .match("[a[b]", "[", true),
    .match("[a[b]", "b", true),
    .match("[a&&b]", "&", true),
    .match("[+--]", ",", true),  // RE2: the range + to - ; Swift: a set subtraction
    .match("[a~~b]", "~", true),
    .match("[a-]", "-", true),
    .match("[]a]", "]", true),
    .match("[^]a]", "]", false),
    .match("[^]a]", "b", true),
    .match("[^a]", "\n", true),
    .match("[\\]]", "]", true),
    .match("[\\x{1F600}-\\x{1F64F}]", "\u{1F642}", true),
    // Repetition; a `{` that is not a valid repetition is a literal.
    .match("a{,3}", "a{,3}", true),
    .match("a{,3}", "aa", false),
    .match("a{2}", "aa", true),
    .match("a{2,}", "aaaa", true),
    .match("a{1,2}", "aaa", false),
    .match("x{", "x{", true),
    .match("x{1", "x{1", true),
    .match("x{01}", "x{01}", true),
    .match("x}", "x}", true),
    RegexCase("(a+)(a*)", "aaa", ["aaa", "aaa", ""]),
    RegexCase("(a+?)(a*)", "aaa", ["aaa", "a", "aa"]),
    RegexCase("(?U)(a+)(a*)", "aaa", ["aaa", "a", "aa"]),
    RegexCase("(?U)(a+?)(a*)", "aaa", ["aaa", "aaa", ""]),
    RegexCase("(a){0}b", "b", ["b", nil]),
    // Escapes.
    .match("\\Qa.b\\E", "a.b", true),
    .match("\\Qa.b\\E", "axb", false),
    .match("\\x41\\x{1F600}", "A\u{1F600}", true),
    .match("\\101\\0", "A\u{0}", true),
    .match("\\a\\f\\t\\n\\r\\v", "\u{07}\u{0C}\t\n\r\u{0B}", true),
    .match("\\.\\_\\-\\ \\#", "._- #", true),
    .match("#x", "#x", true),
    .match(" a ", " a ", true),
    // Unicode classes.
    .match("\\pL+", "h\u{E9}llo", true),
    .match("\\p{Greek}+", "\u{3B1}\u{3B2}\u{3B3}", true),
    .match("\\p{Greek}", "a", false),
    .match("\\PL", "1", true),
    .match("\\p{^Greek}", "a", true),
    .match("\\p{Lu}", "A", true),
    .match("\\p{Lu}", "a", false),
    .match("\\pN", "\u{663}", true),
    .match("\\p{Any}", "\n", true),
    .match("\\p{C}", "\u{378}", false),  // Go's C excludes unassigned code points
    .match("\\p{C}", "\u{200B}", true),
    .match("[\\p{Greek}\\d]+", "\u{3B1}1", true),
    // Case folding is RE2's: whole fold orbits.
    .match("(?i)hello", "HeLLo", true),
    .match("(?i)k", "\u{212A}", true),  // Kelvin sign
    .match("(?i)\u{3C3}", "\u{3C2}", true),  // final sigma
    .match("(?i)\u{3C3}", "\u{3A3}", true),
    .match("(?i)s", "\u{17F}", true),  // long s
    .match("(?i)[a-z]+", "ABC", true),
    .match("(?i)\\w", "\u{17F}", true),
    .match("(?i)\\W", "\u{17F}", false),
    .match("(?i)[^k]", "\u{212A}", false),
    .match("(?i)\\p{Lu}", "a", true),
    .match("(?i)\\P{Lu}", "a", false),
    .match("(?i)\\P{Lu}", "1", true),
    .match("(?i:a)b", "Ab", true),
    .match("(?i:a)b", "AB", false),
    .match("a(?i)b|c", "aB", true),
    .match("a(?i)b|c", "C", true),  // a flag lasts to the end of the group, across `|`
    .match("(?i)\u{130}", "i", false),  // Turkish dotted I does not fold
    // Word boundaries are ASCII.
    .match("\\bfoo\\b", "foo", true),
    .match("a\\bb", "ab", false),
    .match("a\\Bb", "ab", true),
    .match("\u{E9}\\b", "\u{E9}", false),
    .match("\\b", "", false),
    .match("\\B", "", true),
    .match("a\\b-", "a-", true),
    .match("a\\b1", "a1", false),  // digits and `_` are word characters (Swift's simple \b disagrees)
    .match("2\\b", "2", true),
    .match("_\\B1", "_1", true),
    .match("a\r(?m)^b", "a\rb", false),  // multi-line `^` only after \n (Swift's also after \r)
    .match("a\u{2028}(?m)^b", "a\u{2028}b", false),
    .match("(?m)^a$\n^b$", "a\nb", true),
    // Named groups.
    RegexCase("(?P<first>\\w+)-(?<second>\\w+)", "ab-cd", ["ab-cd", "ab", "cd"]),
    // An expression Prometheus compiles as `^(?s:a)|(b)$`: unanchored halves, as in Prometheus.
    RegexCase("a)|(b", "ax", ["a", nil]),
    RegexCase("a)|(b", "xb", ["b", "b"]),
    RegexCase("a)|(b", "x", nil),
]

/// Expressions RE2 refuses, with the code Go reports.
private let syntaxErrorCases: [(String, PrometheusRegexError.Code)] = [
    ("(a", .missingParen),
    ("a)", .unexpectedParen),
    ("[a", .missingBracket),
    ("[", .missingBracket),
    ("a**", .invalidRepeatOp),
    ("a*+", .invalidRepeatOp),
    ("a++", .invalidRepeatOp),
    ("a??+", .invalidRepeatOp),
    ("a{2}{3}", .invalidRepeatOp),
    ("a{2}*", .invalidRepeatOp),
    ("*a", .missingRepeatArgument),
    ("a|*", .missingRepeatArgument),
    ("(*)", .missingRepeatArgument),
    ("(?=a)", .invalidPerlOp),
    ("(?!a)", .invalidPerlOp),
    ("(?>a)", .invalidPerlOp),
    ("(?#comment)", .invalidPerlOp),
    ("(?x)a", .invalidPerlOp),
    ("(?-)a", .invalidPerlOp),
    ("(?i-)a", .invalidPerlOp),
    ("(?i--s)a", .invalidPerlOp),
    ("(?P=name)", .invalidPerlOp),
    ("(?<=a)b", .invalidNamedCapture),
    ("(?<!a)b", .invalidNamedCapture),
    ("(?P<a-b>x)", .invalidNamedCapture),
    ("(?P<>x)", .invalidNamedCapture),
    ("(?P<name", .invalidNamedCapture),
    ("\\1", .invalidEscape),
    ("(a)\\1", .invalidEscape),
    ("\\8", .invalidEscape),
    ("\\Z", .invalidEscape),
    ("\\G", .invalidEscape),
    ("\\C", .invalidEscape),
    ("\\e", .invalidEscape),
    ("\\h", .invalidEscape),
    ("\\k<a>", .invalidEscape),
    ("\\\u{E9}", .invalidEscape),
    ("\\x", .invalidEscape),
    ("\\xZZ", .invalidEscape),
    ("\\x{}", .invalidEscape),
    ("\\x{110000}", .invalidEscape),
    ("[\\b]", .invalidEscape),
    ("a{1001}", .invalidRepeatSize),
    ("a{2,1}", .invalidRepeatSize),
    ("a{0,1001}", .invalidRepeatSize),
    ("(a{100}){100}", .invalidRepeatSize),
    ("((a{10}){10}){11}", .invalidRepeatSize),
    ("[z-a]", .invalidCharRange),
    ("[[:foo:]]", .invalidCharRange),
    ("\\p{Foo}", .invalidCharRange),
    ("\\p{greek}", .invalidCharRange),
    ("\\p{Greek", .invalidCharRange),
    ("\\pX", .invalidCharRange),
    // A trailing backslash escapes the `)` of Prometheus' `^(?s:…)$` wrapper, exactly as in Prometheus.
    ("a\\", .missingParen),
    // \Q without \E runs to the end, swallowing the wrapper's `)$`.
    ("\\Qa.b", .missingParen),
    ("[a--b]", .invalidCharRange),
    (String(repeating: "(", count: 1001) + String(repeating: ")", count: 1001), .nestingDepth),
]

@Suite("Relabeling: RE2 regular expressions")
struct RelabelRegexTests {
    @Test("RE2 semantics", arguments: semanticsCases)
    func semantics(_ testCase: RegexCase) throws {
        let regex = try PrometheusRegex(testCase.pattern)
        for candidate in [regex, try regex.engineOnly()] {
            let groups = candidate.captures(in: testCase.input)?.map { $0.map(String.init) }
            #expect(groups == testCase.groups, "fast path: \(candidate.usesFastPathForTesting)")
            #expect(candidate.matches(testCase.input) == (testCase.groups != nil))
        }
        if regex.hasSwiftOracle {
            #expect(try regex.swiftOracleCaptures(in: testCase.input) == testCase.groups, "Swift Regex oracle")
        }
    }

    @Test("matching takes linear time: no catastrophic backtracking")
    func linearTime() throws {
        let long = String(repeating: "a", count: 5_000)
        let nested = try PrometheusRegex("(a*)*b")
        let alternation = try PrometheusRegex("(a|aa)+c")
        let overlapping = try PrometheusRegex("(?:a+a+)+b")
        let capturing = try PrometheusRegex("(a*)*")
        let elapsed = ContinuousClock().measure {
            #expect(!nested.matches(long))
            #expect(!alternation.matches(long))
            #expect(!overlapping.matches(long))
            #expect(capturing.captures(in: long)?.count == 2)
        }
        // A backtracking engine needs longer than the age of the universe here; the Pike VM, milliseconds.
        #expect(elapsed < .seconds(30))
    }

    @Test("syntax RE2 refuses is refused with Go's error code")
    func syntaxErrors() {
        for (pattern, code) in syntaxErrorCases {
            let error = #expect(throws: PrometheusRegexError.self, "\(pattern)") {
                try PrometheusRegex(pattern)
            }
            #expect(error?.code == code, "\(pattern): \(String(describing: error))")
        }
    }

    @Test("error messages read like Prometheus'")
    func errorMessages() {
        #expect(throws: PrometheusRegexError(code: .missingParen, expression: "^(?s:(a)$")) {
            try PrometheusRegex("(a")
        }
        #expect(throws: PrometheusRegexError(code: .invalidRepeatOp, expression: "**")) {
            try PrometheusRegex("a**")
        }
        #expect(throws: PrometheusRegexError(code: .invalidPerlOp, expression: "(?=")) {
            try PrometheusRegex("(?=a)")
        }
        #expect(throws: PrometheusRegexError(code: .invalidEscape, expression: "\\1")) {
            try PrometheusRegex("\\1")
        }
        #expect(throws: PrometheusRegexError(code: .invalidCharRange, expression: "z-a")) {
            try PrometheusRegex("[z-a]")
        }
        #expect(
            PrometheusRegexError(code: .missingParen, expression: "^(?s:(a)$").description
                == "error parsing regexp: missing closing ): `^(?s:(a)$`"
        )
    }

    @Test("valid syntax Swift would reject or misread compiles")
    func acceptedSyntax() throws {
        for pattern in [
            "(?P<1x>a)", "(?<name>a)(?P<name>b)", "^*a", "a(?i)*", "(?i)", "(?)", "(?:)", "()", "|", "a|",
            "[^\\x{0}-\\x{10FFFF}]",
            "\\x{D800}", "[\\x{D000}-\\x{E000}]", "\\p{Old_Italic}", "\\p{Zanabazar_Square}", "(?i)\\p{Greek}",
            "(?i)\\P{Greek}", "(?i)\\p{C}", "(?i)\\P{C}", "(?smiU-smiU:x)",
        ] {
            _ = try PrometheusRegex(pattern)
        }
        #expect(try PrometheusRegex("\\x{D800}").matches("") == false)
        #expect(try PrometheusRegex("[^\\x{0}-\\x{10FFFF}]").matches("a") == false)
        #expect(try PrometheusRegex("(?)a").matches("a"))
    }

    @Test("deeply nested and group-heavy expressions compile and match")
    func deepAndWide() throws {
        // 999 levels (Prometheus' wrapper adds the thousandth).
        let deep = try PrometheusRegex(String(repeating: "(", count: 999) + "a" + String(repeating: ")", count: 999))
        #expect(deep.captureGroupCount == 999)
        let groups = try #require(deep.captures(in: "a"))
        #expect(groups.count == 1000)
        #expect(groups.allSatisfy { $0 == "a" })
        #expect(!deep.matches("b"))
        // Many groups over a long input: slots are kept per live thread, not per instruction.
        let wide = try PrometheusRegex(String(repeating: "(a)", count: 800) + "(b)?")
        let input = String(repeating: "a", count: 800)
        #expect(wide.captures(in: input)?.count == 802)
        #expect(wide.captures(in: input)?.last == .some(nil))
    }

    @Test("every script name RE2 knows is understood by the Swift back end")
    func everyScript() throws {
        for script in RE2UnicodeTables.scripts {
            _ = try PrometheusRegex("\\p{\(script)}\\P{\(script)}")
        }
        for category in RE2UnicodeTables.categories {
            _ = try PrometheusRegex("\\p{\(category)}[\\P{\(category)}]")
        }
        #expect(try PrometheusRegex("\\p{Cyrillic}").matches("\u{416}"))
        #expect(try PrometheusRegex("\\p{Han}").matches("\u{6F22}"))
    }

    @Test("group names and counts")
    func groups() throws {
        let regex = try PrometheusRegex("(?P<host>[^:]+)(:(?<port>\\d+))?")
        #expect(regex.captureGroupCount == 3)
        #expect(regex.captureGroupNames == ["host", nil, "port"])
        #expect(regex.captures(in: "example")?.map { $0.map(String.init) } == ["example", "example", nil, nil])
        #expect(regex.expand("${port}@$host", matching: "h:80") == "80@h")
        #expect(regex.expand("$1", matching: "::") == nil)
    }

    @Test("duplicate group names expand to the first one that took part, as Go's Expand does")
    func duplicateNames() throws {
        let regex = try PrometheusRegex("(?P<v>a)|(?P<v>b)")
        #expect(regex.expand("[$v]", matching: "a") == "[a]")
        #expect(regex.expand("[$v]", matching: "b") == "[b]")
    }

    @Test("replacement templates follow Go's Expand")
    func templates() throws {
        let regex = try PrometheusRegex("(?P<x>a)(b)(c)?")
        let cases: [(String, String)] = [
            ("$1", "a"), ("${1}", "a"), ("$2$1", "ba"), ("$1x", ""), ("${1}x", "ax"), ("$x", "a"), ("${x}", "a"),
            ("$0", "ab"), ("$3", ""), ("$4", ""), ("$01", ""), ("$$1", "$1"), ("$", "$"), ("a$", "a$"), ("${", "${"),
            ("${}", "${}"), ("${1", "${1"), ("$-1", "$-1"), ("$ 1", "$ 1"), ("$é", ""), ("${x}${2}", "ab"),
            ("no refs", "no refs"), ("$100000000000", ""),
        ]
        for (template, expected) in cases {
            #expect(regex.expand(template, matching: "ab") == expected, "\(template)")
        }
    }

    @Test("fast paths are taken for the common shapes")
    func fastPathShapes() throws {
        let fast = [
            "(.*)", ".*", ".+", "(.+)", "", "foo", "a|b|c", "(a|b|c)", "(?:a|b)", "go_.*|process_.*",
            "__meta_kubernetes_pod_label_(.+)", "__meta_kubernetes_pod_label_(service|tier|type)",
            "monitoring;prometheus-.*;web", ".*_total", "(.*)_total", "prefix(.*?)suffix", "a(b)c|d", "(?-s).*",
            "\\.\\*",
        ]
        for pattern in fast {
            #expect(try PrometheusRegex(pattern).usesFastPathForTesting, "\(pattern)")
        }
        let slow = [
            "(a)(b)", "a*", "[ab]", "(?i)a", "a.b", "(.*)-(.*)", "\\d+", "a(.*)|b(.*)", "(a|b)*", "^a", "a$",
        ]
        for pattern in slow {
            #expect(try !PrometheusRegex(pattern).usesFastPathForTesting, "\(pattern)")
        }
    }

    @Test("the Pike VM and the Swift Regex translation agree on random expressions")
    func oracle() throws {
        var generator = SplitMix64(state: 7)
        let pieces = [
            "a", "b", ".", "*", "+", "?", "|", "(", ")", "[", "]", "^", "$", "{", "}", "1", "2", ",", "\\", "d", "w",
            "s", "A", "z", "Q", "E", "p", "L", "{Greek}", "(?i)", "(?s)", "(?U)", "(?-s)", "(?:", "(?P<n>", "-", ":",
            "x", "\u{212A}", "\u{E9}", "\u{301}", "\n", "[:alpha:]", "\\x{212B}", "\\pL", "\\W", "{2}", "{1,}",
        ]
        let inputs = [
            "", "a", "ab", "aab", "ba", "\n", "a\nb", "K", "\u{212A}", "\u{E9}", "e\u{301}", "1,2", "{1}", "x",
        ]
        var compared = 0
        for _ in 0..<3_000 {
            let count = Int.random(in: 1...6, using: &generator)
            let pattern = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            guard let regex = try? PrometheusRegex(pattern), regex.hasSwiftOracle else { continue }
            let engine = try regex.engineOnly()
            for input in inputs {
                let expected = try regex.swiftOracleCaptures(in: input)
                #expect(
                    engine.captures(in: input)?.map { $0.map(String.init) } == expected,
                    "\(pattern.debugDescription) ~ \(input.debugDescription)"
                )
                #expect(
                    regex.captures(in: input)?.map { $0.map(String.init) } == expected,
                    "\(pattern.debugDescription) ~ \(input.debugDescription)"
                )
                compared += 1
            }
        }
        #expect(compared > 10_000)
    }

    @Test("fast paths and the regex engine agree")
    func differential() throws {
        let patterns = [
            "(.*)", ".*", ".+", "(.+)", "", "foo", "a|b|c", "(a|b|c)", "(?:a|b)", "go_.*|process_.*",
            "__meta_(.+)", "__meta_(service|tier|type)", "monitoring;prometheus-.*;web", ".*_total", "(.*)_total",
            "x(.*?)y", "a(b)c|d", "(?-s).*", "(?-s)a(.+)b", "a(b)c|abc", "abc|a(b)c", "caf\u{E9}|caf(e)\u{301}",
            "(\u{E9})", "(|a)", "a()b", "(?:)", "ab|ab", "(a|ab|abc)", ".*é",
        ]
        let inputs = [
            "", "a", "b", "c", "d", "ab", "abc", "abd", "foo", "foobar", "go_gc", "go_", "process_x", "__meta_",
            "__meta_x",
            "__meta_service", "__meta_tier", "__meta_types", "monitoring;prometheus-0;web",
            "monitoring;prometheus-;web",
            "monitoring;prometheus;web", "x_total", "_total", "total", "xy", "xay", "x\ny", "a\nb", "\n", "caf\u{E9}",
            "cafe\u{301}", "\u{E9}", "e\u{301}", "a\u{E9}b", "é", "xé", "\u{1F600}",
        ]
        for pattern in patterns {
            let fast = try PrometheusRegex(pattern)
            #expect(fast.usesFastPathForTesting, "\(pattern)")
            let engine = try fast.engineOnly()
            for input in inputs {
                let expected = engine.captures(in: input)?.map { $0.map(String.init) }
                let actual = fast.captures(in: input)?.map { $0.map(String.init) }
                #expect(actual == expected, "\(pattern.debugDescription) on \(input.debugDescription)")
            }
        }
    }

    @Test("the translation spells out everything Swift could read differently")
    func translation() throws {
        #expect(try PrometheusRegex("a.b").swiftPattern == "\\Aa(?s:.)b\\z")
        #expect(try PrometheusRegex("(?-s)a.b").swiftPattern == "\\Aa[^\\n]b\\z")
        #expect(try PrometheusRegex("\\d").swiftPattern == "\\A[0-9]\\z")
        #expect(try PrometheusRegex("[a[&]").swiftPattern == "\\A[\\u{26}\\u{5B}a]\\z")
        #expect(try PrometheusRegex("(?P<n>x)").swiftPattern == "\\A(x)\\z")
        #expect(try PrometheusRegex("a{,2}").swiftPattern == "\\Aa\\u{7B}\\u{2C}2\\u{7D}\\z")
        #expect(try PrometheusRegex("(?i)k").swiftPattern == "\\A[Kk\\u{212A}]\\z")
    }
}
