/// A `replacement` / `target_label` template, pre-parsed with Go's `Regexp.Expand` rules.
///
/// - `$1`, `${1}`: group 1; `$name`, `${name}`: the named group; `$$`: a literal `$`.
/// - A reference takes the longest run of letters, digits and `_`: `$1x` names the group `1x`, not group 1
///   followed by `x` (write `${1}x`). A name that is all digits without a leading zero is a group number.
/// - A reference to a group that does not exist or did not take part in the match expands to nothing.
/// - A `$` that does not start a valid reference (`$`, `${`, `${}`, `$-`) is kept as a literal `$`.
struct ReplacementTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        /// Candidate group indices, in order; the first one that took part in the match is used.
        case groups([Int])
    }

    let parts: [Part]

    /// Whether the template contains `$` at all (Prometheus' `varInRegexTemplate`).
    let hasVariables: Bool

    /// Parses `template` for an expression with `groupNames` (index 0 is group 1).
    init(_ template: String, groupNames: [String?]) {
        hasVariables = template.utf8.contains(UInt8(ascii: "$"))
        var parts: [Part] = []
        var literal = ""
        let scalars = Array(template.unicodeScalars)
        var index = 0
        func flush() {
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal = ""
            }
        }
        while index < scalars.count {
            let c = scalars[index]
            guard c == "$" else {
                literal.unicodeScalars.append(c)
                index += 1
                continue
            }
            index += 1
            if index < scalars.count, scalars[index] == "$" {
                literal.unicodeScalars.append("$")
                index += 1
                continue
            }
            guard let (name, next) = Self.extract(scalars, from: index) else {
                // Malformed: the `$` is literal text and scanning resumes right after it.
                literal.unicodeScalars.append("$")
                continue
            }
            index = next
            flush()
            if let number = Self.groupNumber(name) {
                parts.append(.groups(number >= 1 && number <= groupNames.count || number == 0 ? [number] : []))
            } else {
                let matching = groupNames.indices.filter { groupNames[$0] == name }.map { $0 + 1 }
                parts.append(.groups(matching))
            }
        }
        flush()
        self.parts = parts
    }

    /// Go's `extract`: a name after `$`, braced or not; `nil` when malformed.
    private static func extract(_ scalars: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var index = start
        guard index < scalars.count else { return nil }
        let braced = scalars[index] == "{"
        if braced { index += 1 }
        let nameStart = index
        while index < scalars.count, isNameScalar(scalars[index]) { index += 1 }
        guard index > nameStart else { return nil }
        var name = ""
        name.unicodeScalars.append(contentsOf: scalars[nameStart..<index])
        if braced {
            guard index < scalars.count, scalars[index] == "}" else { return nil }
            index += 1
        }
        return (name, index)
    }

    /// Go's `unicode.IsLetter || unicode.IsDigit || c == '_'`.
    private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        if c == "_" { return true }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            return true
        default:
            return false
        }
    }

    /// A group number: ASCII digits, no leading zero (except `0` itself), below 10^8.
    private static func groupNumber(_ name: String) -> Int? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if bytes.count > 1 && bytes[0] == 0x30 { return nil }
        var value = 0
        for byte in bytes {
            if value >= 100_000_000 { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The template with group references replaced by `groups` (index 0 = whole match).
    func expand(_ groups: [Substring?]) -> String {
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text):
                result += text
            case .groups(let candidates):
                for index in candidates where index < groups.count {
                    if let group = groups[index] {
                        result += group
                        break
                    }
                }
            }
        }
        return result
    }
}
