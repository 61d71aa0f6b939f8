// A parser for RE2 syntax as Go's `regexp/syntax` reads it with the `Perl` flags Prometheus uses
// (`ClassNL | OneLine | PerlX | UnicodeGroups`). It produces a small tree that `RE2Machine.swift` compiles for its
// Pike VM and `RE2Translation.swift` turns into fast matchers. Parsing ourselves (instead of handing the text to
// Swift's `Regex`) is what makes the dialect exact: Swift would accept syntax RE2 rejects (look-around,
// backreferences, possessive quantifiers, `\Z`), read some syntax differently (`a{,3}`, `[a[b]]`, `[a&&b]`, Unicode
// `\d`/`\w`/`\s`, grapheme-cluster `.`), and fold case differently.

/// One node of a parsed RE2 expression.
///
/// Code points are `UInt32` because RE2 escapes can name surrogates.
indirect enum RE2Node: Sendable, Equatable {
    /// Matches the empty string.
    case empty
    /// One code point, compared exactly (case folding was resolved into a class at parse time).
    case literal(UInt32)
    /// `.`; `dotAll` when the `s` flag is on (Prometheus' default).
    case anyChar(dotAll: Bool)
    /// A character class (also used for folded literals and `\d`, `\pL`, ...).
    case charClass(RE2CharClass)
    /// `\A`, or `^` without the `m` flag.
    case beginText
    /// `\z`, or `$` without the `m` flag.
    case endText
    /// `^` with the `m` flag.
    case beginLine
    /// `$` with the `m` flag.
    case endLine
    /// `\b` (ASCII word boundary).
    case wordBoundary
    /// `\B`.
    case notWordBoundary
    /// A capturing group with its 1-based index.
    case capture(Int, RE2Node)
    /// A sequence.
    case concat([RE2Node])
    /// Alternatives, leftmost-first.
    case alternate([RE2Node])
    /// A repetition; `max == -1` means unbounded.
    case repetition(RE2Node, min: Int, max: Int, greedy: Bool)
}

/// A Unicode class RE2 names with `\p{...}`, kept symbolic because the standard library has no script tables.
struct RE2UnicodeProperty: Sendable, Equatable {
    /// A general category (`L`, `Lu`, ...) or a script (`Greek`, ...).
    enum Kind: Sendable, Equatable {
        case category(String)
        case script(String)
    }

    var kind: Kind
    /// `\P{...}` / `\p{^...}`.
    var negated: Bool
    /// Code points removed from a negated folded property (`(?i)\P{Lu}` excludes what folds into `Lu`).
    var excluding: [ClosedRange<UInt32>] = []
}

/// A character class: explicit ranges (already case-folded and complemented where RE2 does that) plus symbolic
/// Unicode properties, optionally negated as a whole.
struct RE2CharClass: Sendable, Equatable {
    var negated = false
    var ranges: [ClosedRange<UInt32>] = []
    var properties: [RE2UnicodeProperty] = []
}

/// The mode flags of RE2 (`i`, `m`, `s`, `U`).
struct RE2Flags: Sendable, Equatable {
    var foldCase = false
    var multiLine = false
    var dotAll = false
    var ungreedy = false
}

/// Parses RE2 syntax into `RE2Node`s, with Go's error codes and messages.
struct RE2Parser {
    /// The deepest group nesting accepted (Go's `maxHeight`).
    static let maximumDepth = 1000
    /// The largest repetition count accepted (Go's limit).
    static let maximumRepeat = 1000

    private let chars: [Unicode.Scalar]
    private var position = 0
    private var flags = RE2Flags()
    private var depth = 0
    /// The names of the capturing groups, in group order (`nil` for unnamed groups).
    private(set) var groupNames: [String?] = []

    private init(_ expression: String) {
        chars = Array(expression.unicodeScalars)
    }

    /// Parses a whole expression.
    static func parse(_ expression: String) throws(PrometheusRegexError) -> (node: RE2Node, groupNames: [String?]) {
        var parser = RE2Parser(expression)
        let node = try parser.parseAlternation()
        if parser.position < parser.chars.count {
            // Only an unmatched ')' stops the top-level alternation early.
            throw parser.error(.unexpectedParen, 0..<parser.chars.count)
        }
        return (node, parser.groupNames)
    }

    // MARK: - Errors and helpers

    private func text(_ range: Range<Int>) -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: chars[range.clamped(to: 0..<chars.count)])
        return result
    }

    private func error(_ code: PrometheusRegexError.Code, _ range: Range<Int>) -> PrometheusRegexError {
        PrometheusRegexError(code: code, expression: text(range))
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let index = position + offset
        return index < chars.count ? chars[index] : nil
    }

    private static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    private static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
    }

    /// Go's `isValidCaptureName`: one or more ASCII word characters.
    private static func isValidCaptureName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { isASCIIAlnum($0) || $0 == "_" }
    }

    /// A literal, folded into a class when the `i` flag is on and the code point has other cases.
    private func literal(_ value: UInt32) -> RE2Node {
        guard flags.foldCase, let orbit = RE2CaseFolding.orbit(of: value) else { return .literal(value) }
        return .charClass(RE2CharClass(ranges: RE2Ranges.normalized(orbit.map { $0...$0 })))
    }

    private static func concat(_ items: [RE2Node]) -> RE2Node {
        switch items.count {
        case 0: .empty
        case 1: items[0]
        default: .concat(items)
        }
    }

    // MARK: - Structure

    private mutating func parseAlternation() throws(PrometheusRegexError) -> RE2Node {
        var branches = [try parseConcatenation()]
        while peek() == "|" {
            position += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func parseConcatenation() throws(PrometheusRegexError) -> RE2Node {
        var items: [RE2Node] = []
        // Where the previous token started, when that token was a repetition operator (to refuse `a**`).
        var previousRepeatStart: Int?
        while position < chars.count {
            let c = chars[position]
            var repeatStart: Int?
            switch c {
            case "|", ")":
                return Self.concat(items)
            case "(":
                if let group = try parseGroup() { items.append(group) }
            case "[":
                items.append(.charClass(try parseClass()))
            case "^":
                items.append(flags.multiLine ? .beginLine : .beginText)
                position += 1
            case "$":
                items.append(flags.multiLine ? .endLine : .endText)
                position += 1
            case ".":
                items.append(.anyChar(dotAll: flags.dotAll))
                position += 1
            case "*", "+", "?":
                let start = position
                position += 1
                let (min, max) = c == "*" ? (0, -1) : c == "+" ? (1, -1) : (0, 1)
                try applyRepeat(&items, min: min, max: max, start: start, previousRepeatStart: previousRepeatStart)
                repeatStart = start
            case "{":
                let start = position
                if let (min, max, end) = parseRepeatBraces() {
                    if min < 0 || min > Self.maximumRepeat || max > Self.maximumRepeat || (max >= 0 && min > max) {
                        throw error(.invalidRepeatSize, start..<end)
                    }
                    position = end
                    try applyRepeat(&items, min: min, max: max, start: start, previousRepeatStart: previousRepeatStart)
                    repeatStart = start
                } else {
                    // A `{` that does not start a valid repetition is a literal.
                    items.append(literal(0x7B))
                    position += 1
                }
            case "\\":
                try parseBackslash(into: &items)
            default:
                items.append(literal(c.value))
                position += 1
            }
            previousRepeatStart = repeatStart
        }
        return Self.concat(items)
    }

    private mutating func applyRepeat(
        _ items: inout [RE2Node],
        min: Int,
        max: Int,
        start: Int,
        previousRepeatStart: Int?
    ) throws(PrometheusRegexError) {
        var greedy = true
        if peek() == "?" {
            position += 1
            greedy = false
        }
        if flags.ungreedy { greedy.toggle() }
        if let previousRepeatStart {
            throw error(.invalidRepeatOp, previousRepeatStart..<position)
        }
        guard let sub = items.popLast() else {
            throw error(.missingRepeatArgument, start..<position)
        }
        let node = RE2Node.repetition(sub, min: min, max: max, greedy: greedy)
        if (min >= 2 || max >= 2) && !Self.repeatIsValid(node, Self.maximumRepeat) {
            throw error(.invalidRepeatSize, start..<position)
        }
        items.append(node)
    }

    /// Go's `repeatIsValid`: nested repetitions must not multiply past 1000 copies of the innermost thing.
    private static func repeatIsValid(_ node: RE2Node, _ limit: Int) -> Bool {
        var limit = limit
        switch node {
        case .repetition(let sub, let min, let max, _):
            if max == 0 { return true }
            let m = max < 0 ? min : max
            if m > limit { return false }
            if m > 0 { limit /= m }
            return repeatIsValid(sub, limit)
        case .capture(_, let sub):
            return repeatIsValid(sub, limit)
        case .concat(let subs), .alternate(let subs):
            return subs.allSatisfy { repeatIsValid($0, limit) }
        default:
            return true
        }
    }

    /// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}`; `nil` when the text is not a repetition (then `{` is literal).
    private func parseRepeatBraces() -> (min: Int, max: Int, end: Int)? {
        var index = position + 1
        guard let (minimum, afterMin) = parseInt(at: index) else { return nil }
        var min = minimum
        var max = minimum
        index = afterMin
        guard index < chars.count else { return nil }
        if chars[index] == "," {
            index += 1
            guard index < chars.count else { return nil }
            if chars[index] == "}" {
                max = -1
            } else {
                guard let (maximum, afterMax) = parseInt(at: index) else { return nil }
                max = maximum
                index = afterMax
                if max < 0 { min = -1 }
            }
        }
        guard index < chars.count, chars[index] == "}" else { return nil }
        return (min, max, index + 1)
    }

    /// Go's `parseInt`: digits without a leading zero; -1 when too large.
    private func parseInt(at start: Int) -> (Int, Int)? {
        var index = start
        guard index < chars.count, Self.isASCIIDigit(chars[index]) else { return nil }
        if index + 1 < chars.count, chars[index] == "0", Self.isASCIIDigit(chars[index + 1]) { return nil }
        var value = 0
        while index < chars.count, Self.isASCIIDigit(chars[index]) {
            if value >= 100_000_000 {
                value = -1
            } else if value >= 0 {
                value = value * 10 + Int(chars[index].value - 0x30)
            }
            index += 1
        }
        return (value, index)
    }

    // MARK: - Groups

    /// Parses `(`...: returns the group, or `nil` for a bare flag group such as `(?i)`.
    private mutating func parseGroup() throws(PrometheusRegexError) -> RE2Node? {
        let start = position
        let remaining = chars.count - position
        guard remaining >= 2, chars[position + 1] == "?" else {
            position += 1
            return try parseCapture(name: nil)
        }
        let pythonStyle = remaining > 4 && chars[position + 2] == "P" && chars[position + 3] == "<"
        if pythonStyle || (remaining > 3 && chars[position + 2] == "<") {
            let nameStart = pythonStyle ? position + 4 : position + 3
            guard let close = chars[position...].firstIndex(of: ">") else {
                throw error(.invalidNamedCapture, start..<chars.count)
            }
            let name = text(nameStart..<close)
            guard Self.isValidCaptureName(name) else {
                throw error(.invalidNamedCapture, start..<(close + 1))
            }
            position = close + 1
            return try parseCapture(name: name)
        }
        // Flags: (?i) (?-s) (?im-sU:...)
        position += 2
        var newFlags = flags
        var negate = false
        var sawFlag = false
        while position < chars.count {
            let c = chars[position]
            position += 1
            switch c {
            case "i":
                newFlags.foldCase = !negate
                sawFlag = true
            case "m":
                newFlags.multiLine = !negate
                sawFlag = true
            case "s":
                newFlags.dotAll = !negate
                sawFlag = true
            case "U":
                newFlags.ungreedy = !negate
                sawFlag = true
            case "-":
                guard !negate else { throw error(.invalidPerlOp, start..<position) }
                negate = true
                sawFlag = false
            case ":", ")":
                if negate && !sawFlag { throw error(.invalidPerlOp, start..<position) }
                if c == ")" {
                    flags = newFlags
                    return nil
                }
                return try parseGroupContents(flags: newFlags)
            default:
                throw error(.invalidPerlOp, start..<position)
            }
        }
        throw error(.invalidPerlOp, start..<position)
    }

    private mutating func parseCapture(name: String?) throws(PrometheusRegexError) -> RE2Node {
        groupNames.append(name)
        let index = groupNames.count
        return .capture(index, try parseGroupContents(flags: flags))
    }

    /// Parses up to the closing `)`; flag changes inside the group end with it.
    private mutating func parseGroupContents(flags groupFlags: RE2Flags) throws(PrometheusRegexError) -> RE2Node {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error(.nestingDepth, 0..<chars.count) }
        let saved = flags
        flags = groupFlags
        let inner = try parseAlternation()
        guard peek() == ")" else { throw error(.missingParen, 0..<chars.count) }
        position += 1
        flags = saved
        depth -= 1
        return inner
    }

    // MARK: - Escapes

    private mutating func parseBackslash(into items: inout [RE2Node]) throws(PrometheusRegexError) {
        let start = position
        if let next = peek(1) {
            switch next {
            case "A":
                items.append(.beginText)
                position += 2
                return
            case "z":
                items.append(.endText)
                position += 2
                return
            case "b":
                items.append(.wordBoundary)
                position += 2
                return
            case "B":
                items.append(.notWordBoundary)
                position += 2
                return
            case "C":
                throw error(.invalidEscape, start..<(start + 2))
            case "Q":
                // \Q...\E: everything up to \E (or the end) is literal.
                position += 2
                while position < chars.count {
                    if chars[position] == "\\", peek(1) == "E" {
                        position += 2
                        return
                    }
                    items.append(literal(chars[position].value))
                    position += 1
                }
                return
            default:
                break
            }
        }
        if let property = try parseUnicodeClass() {
            var cls = RE2CharClass()
            add(property, to: &cls)
            items.append(.charClass(cls))
            return
        }
        if let perl = parsePerlClass() {
            items.append(.charClass(RE2CharClass(ranges: perl)))
            return
        }
        items.append(literal(try parseEscape()))
    }

    /// Go's `parseEscape` for one escaped code point.
    private mutating func parseEscape() throws(PrometheusRegexError) -> UInt32 {
        let start = position
        position += 1  // the backslash
        guard position < chars.count else { throw error(.trailingBackslash, position..<position) }
        let c = chars[position]
        position += 1
        func invalid(_ parser: RE2Parser) -> PrometheusRegexError {
            parser.error(.invalidEscape, start..<parser.position)
        }
        switch c {
        case "1"..."7", "0":
            // A single non-zero digit would be a backreference, which RE2 does not support.
            if c != "0" {
                guard let next = peek(), next >= "0", next <= "7" else { throw invalid(self) }
            }
            var value = c.value - 0x30
            for _ in 1..<3 {
                guard let next = peek(), next >= "0", next <= "7" else { break }
                value = value * 8 + (next.value - 0x30)
                position += 1
            }
            return value
        case "x":
            guard let first = peek() else { throw invalid(self) }
            position += 1
            if first == "{" {
                var value: UInt32 = 0
                var digits = 0
                while true {
                    guard let d = peek() else { throw invalid(self) }
                    position += 1
                    if d == "}" { break }
                    guard let v = Self.hexValue(d) else { throw invalid(self) }
                    value = value * 16 + v
                    guard value <= 0x10FFFF else { throw invalid(self) }
                    digits += 1
                }
                guard digits > 0 else { throw invalid(self) }
                return value
            }
            // Go reads both characters before checking either (which shows in the error text).
            guard let second = peek() else { throw invalid(self) }
            position += 1
            guard let high = Self.hexValue(first), let low = Self.hexValue(second) else { throw invalid(self) }
            return high * 16 + low
        case "a": return 0x07
        case "f": return 0x0C
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "v": return 0x0B
        default:
            // Escaped ASCII punctuation (including `\_`) is itself; anything else is refused.
            if c.isASCII && !Self.isASCIIAlnum(c) { return c.value }
            throw invalid(self)
        }
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x41...0x46: c.value - 0x41 + 10
        case 0x61...0x66: c.value - 0x61 + 10
        default: nil
        }
    }

    /// `\d \D \s \S \w \W` (ASCII-only, as in RE2), folded and complemented like Go's `appendGroup`.
    private mutating func parsePerlClass() -> [ClosedRange<UInt32>]? {
        guard peek() == "\\", let letter = peek(1) else { return nil }
        let base: [ClosedRange<UInt32>]
        switch letter {
        case "d", "D": base = RE2Ranges.digit
        case "s", "S": base = RE2Ranges.perlSpace
        case "w", "W": base = RE2Ranges.word
        default: return nil
        }
        position += 2
        let negated = letter == "D" || letter == "S" || letter == "W"
        return groupRanges(base, negated: negated)
    }

    /// Folds `base` under the `i` flag, then complements it when negated (Go folds first, then negates).
    private func groupRanges(_ base: [ClosedRange<UInt32>], negated: Bool) -> [ClosedRange<UInt32>] {
        let folded = flags.foldCase ? RE2CaseFolding.fold(base) : base
        return negated ? RE2Ranges.complement(folded) : folded
    }

    /// `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}`; `nil` when the text is not one.
    private mutating func parseUnicodeClass() throws(PrometheusRegexError) -> ParsedProperty? {
        guard peek() == "\\", let letter = peek(1), letter == "p" || letter == "P" else { return nil }
        let start = position
        var negated = letter == "P"
        var name: String
        position += 2
        if let c = peek(), c != "{" {
            name = String(Character(c))
            position += 1
        } else if peek() == "{" {
            guard let close = chars[position...].firstIndex(of: "}") else {
                throw error(.invalidCharRange, start..<chars.count)
            }
            name = text((position + 1)..<close)
            position = close + 1
        } else {
            name = ""
        }
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        guard let property = RE2UnicodeTables.lookup(name) else {
            throw error(.invalidCharRange, start..<position)
        }
        return ParsedProperty(property: property, negated: negated)
    }

    /// A parsed `\p` item before it is merged into a class.
    private struct ParsedProperty {
        var property: RE2UnicodeTables.Property
        var negated: Bool
    }

    /// Adds a `\p` item to a class, honouring the `i` flag as Go does (fold the table, then negate).
    private func add(_ parsed: ParsedProperty, to cls: inout RE2CharClass) {
        switch parsed.property {
        case .ranges(let ranges):
            cls.ranges += groupRanges(ranges, negated: parsed.negated)
        case .category, .script:
            let kind: RE2UnicodeProperty.Kind
            switch parsed.property {
            case .category(let name): kind = .category(name)
            case .script(let name): kind = .script(name)
            case .ranges: return
            }
            let extra = flags.foldCase ? RE2CaseFolding.foldExtras(of: kind) : []
            if parsed.negated {
                cls.properties.append(RE2UnicodeProperty(kind: kind, negated: true, excluding: extra))
            } else {
                cls.properties.append(RE2UnicodeProperty(kind: kind, negated: false))
                cls.ranges += extra
            }
        }
    }

    // MARK: - Classes

    /// Go's `parseClass`.
    private mutating func parseClass() throws(PrometheusRegexError) -> RE2CharClass {
        let start = position
        position += 1  // [
        var cls = RE2CharClass()
        if peek() == "^" {
            cls.negated = true
            position += 1
        }
        var first = true
        while position >= chars.count || chars[position] != "]" || first {
            first = false
            // POSIX [:alnum:] and friends.
            if chars.count - position > 2, chars[position] == "[", chars[position + 1] == ":" {
                if let named = try parseNamedClass() {
                    cls.ranges += named
                    continue
                }
            }
            if let property = try parseUnicodeClass() {
                add(property, to: &cls)
                continue
            }
            if let perl = parsePerlClass() {
                cls.ranges += perl
                continue
            }
            let rangeStart = position
            let low = try parseClassChar(classStart: start)
            var high = low
            if chars.count - position >= 2, chars[position] == "-", chars[position + 1] != "]" {
                position += 1
                high = try parseClassChar(classStart: start)
                guard high >= low else { throw error(.invalidCharRange, rangeStart..<position) }
            }
            let range = [low...high]
            cls.ranges += flags.foldCase ? RE2CaseFolding.fold(range) : range
        }
        position += 1  // ]
        cls.ranges = RE2Ranges.normalized(cls.ranges)
        return cls
    }

    private mutating func parseClassChar(classStart: Int) throws(PrometheusRegexError) -> UInt32 {
        guard position < chars.count else { throw error(.missingBracket, classStart..<chars.count) }
        if chars[position] == "\\" { return try parseEscape() }
        defer { position += 1 }
        return chars[position].value
    }

    /// `[:alpha:]`, `[:^alpha:]`; `nil` when there is no closing `:]` (then `[` is a literal).
    private mutating func parseNamedClass() throws(PrometheusRegexError) -> [ClosedRange<UInt32>]? {
        var index = position + 2
        var close: Int?
        while index + 1 < chars.count {
            if chars[index] == ":" && chars[index + 1] == "]" {
                close = index
                break
            }
            index += 1
        }
        guard let close else { return nil }
        let name = text(position..<(close + 2))
        guard let (ranges, negated) = RE2Ranges.posix(name) else {
            throw error(.invalidCharRange, position..<(close + 2))
        }
        position = close + 2
        return groupRanges(ranges, negated: negated)
    }
}
