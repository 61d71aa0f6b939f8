// The Swift `Regex` spelling of a parsed RE2 tree: the tests' independent oracle for the Pike VM
// (`RE2Machine.swift`), the engine that actually matches. Test-only, so it lives in the test target.

@testable import CrowsnestCore

/// Writes Swift `Regex` syntax for an `RE2Node` (to be compiled with `.matchingSemantics(.unicodeScalar)`).
///
/// Everything that could be read differently is spelled out explicitly: every non-alphanumeric code point is
/// written as `\u{…}`, classes are written as explicit ranges (RE2's ASCII `\d`/`\s`/`\w`/POSIX classes, folded
/// case), `.` is `(?s:.)` or `[^\n]`, `$` is `\z`, captures are unnamed (names are resolved by us).
/// Two constructs have no exact Swift spelling: `\b`/`\B` (Swift's simple word boundaries treat digits and `_` as
/// non-word characters) and multi-line `^` (Swift has no look-behind; its `(?m:^)` also fires after `\r`).
enum RE2SwiftEmitter {
    static func pattern(for node: RE2Node) -> String {
        var out = ""
        emit(node, into: &out)
        return out
    }

    private static func emit(_ node: RE2Node, into out: inout String) {
        switch node {
        case .empty:
            out += "(?:)"
        case .literal(let value):
            emitLiteral(value, into: &out)
        case .anyChar(let dotAll):
            out += dotAll ? "(?s:.)" : "[^\\n]"
        case .charClass(let cls):
            emitClass(cls, into: &out)
        case .beginText:
            out += "\\A"
        case .endText:
            out += "\\z"
        case .beginLine:
            // Swift has no look-behind; its multi-line `^` also accepts \r, \v, \f, U+0085, U+2028, U+2029.
            out += "(?m:^)"
        case .endLine:
            out += "(?=\\n|\\z)"
        case .wordBoundary:
            out += "\\b"
        case .notWordBoundary:
            out += "\\B"
        case .capture(_, let sub):
            out += "("
            emit(sub, into: &out)
            out += ")"
        case .concat(let subs):
            for sub in subs { emit(sub, into: &out) }
        case .alternate(let subs):
            out += "(?:"
            for (index, sub) in subs.enumerated() {
                if index > 0 { out += "|" }
                emit(sub, into: &out)
            }
            out += ")"
        case .repetition(let sub, let min, let max, let greedy):
            out += "(?:"
            emit(sub, into: &out)
            out += ")"
            switch (min, max) {
            case (0, -1): out += "*"
            case (1, -1): out += "+"
            case (0, 1): out += "?"
            case (_, -1): out += "{\(min),}"
            default: out += min == max ? "{\(min)}" : "{\(min),\(max)}"
            }
            if !greedy { out += "?" }
        }
    }

    private static func isSurrogate(_ value: UInt32) -> Bool { (0xD800...0xDFFF).contains(value) }

    private static func escaped(_ value: UInt32) -> String {
        switch value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A:
            String(Character(Unicode.Scalar(UInt8(value))))
        default:
            "\\u{" + String(value, radix: 16, uppercase: true) + "}"
        }
    }

    private static func emitLiteral(_ value: UInt32, into out: inout String) {
        // A surrogate can never occur in valid UTF-8 text: such a literal never matches.
        out += isSurrogate(value) ? "(?!)" : escaped(value)
    }

    /// Whether Swift accepts `value` as the bound of a class range.
    ///
    /// Swift requires range bounds to be in NFC (`ConsumerInterface.swift`: "We must have NFC single scalar
    /// bounds"), i.e. not `Full_Composition_Exclusion` (U+0340, U+2000, U+212A K, U+212B Å, U+F900, ... —
    /// 1120 code points; checked against the parser for every code point). For a large class the check only runs
    /// when the program is lowered, inside a `try!`, so a bad bound would crash at the first match: such bounds
    /// are written as single members instead, which Swift compares by code point under scalar semantics.
    static func isValidRangeBound(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        return !scalar.properties.isFullCompositionExclusion
    }

    private static func rangeItems(_ ranges: [ClosedRange<UInt32>]) -> String {
        var items = ""
        for range in ranges {
            // Swift strings hold no surrogates; leave them out of ranges.
            var parts: [ClosedRange<UInt32>] = []
            if range.lowerBound < 0xD800 { parts.append(range.lowerBound...min(range.upperBound, 0xD7FF)) }
            if range.upperBound > 0xDFFF { parts.append(max(range.lowerBound, 0xE000)...range.upperBound) }
            for part in parts {
                var low = Int(part.lowerBound)
                var high = Int(part.upperBound)
                while low <= high && !isValidRangeBound(UInt32(low)) {
                    items += escaped(UInt32(low))
                    low += 1
                }
                while high > low && !isValidRangeBound(UInt32(high)) {
                    items += escaped(UInt32(high))
                    high -= 1
                }
                guard low <= high else { continue }
                items += escaped(UInt32(low))
                if high > low { items += "-" + escaped(UInt32(high)) }
            }
        }
        return items
    }

    private static func propertyItem(_ property: RE2UnicodeProperty) -> String {
        var item: String
        switch property.kind {
        case .category("C"):
            // Go's `C` is Cc|Cf|Co|Cs; it does not include unassigned code points (Cn).
            item = "[" + (property.negated ? "^" : "") + "\\p{gc=Cc}\\p{gc=Cf}\\p{gc=Co}]"
        case .category(let name):
            item = (property.negated ? "\\P" : "\\p") + "{gc=\(name)}"
        case .script(let name):
            item = (property.negated ? "\\P" : "\\p") + "{sc=\(name)}"
        }
        if !property.excluding.isEmpty {
            item = "[" + item + "--[" + rangeItems(property.excluding) + "]]"
        }
        return item
    }

    private static func emitClass(_ cls: RE2CharClass, into out: inout String) {
        if !cls.negated, cls.properties.isEmpty, cls.ranges.count == 1, cls.ranges[0].count == 1 {
            emitLiteral(cls.ranges[0].lowerBound, into: &out)
            return
        }
        let items = rangeItems(cls.ranges) + cls.properties.map(propertyItem).joined()
        if items.isEmpty {
            // [] matches nothing; [^] matches any one code point.
            out += cls.negated ? "(?s:.)" : "(?!)"
            return
        }
        out += "[" + (cls.negated ? "^" : "") + items + "]"
    }
}
