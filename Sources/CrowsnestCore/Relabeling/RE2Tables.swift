/// Code-point range helpers and RE2's ASCII class tables.
enum RE2Ranges {
    static let maxRune: UInt32 = 0x10FFFF

    /// `\d`, `[[:digit:]]`.
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    /// `\s`: `[\t\n\f\r ]` (RE2's Perl space has no `\v`).
    static let perlSpace: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
    /// `\w`, `[[:word:]]`.
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]

    /// The POSIX classes RE2 accepts inside brackets, `[:name:]` or `[:^name:]`.
    static func posix(_ text: String) -> (ranges: [ClosedRange<UInt32>], negated: Bool)? {
        guard text.hasPrefix("[:"), text.hasSuffix(":]") else { return nil }
        var name = String(text.dropFirst(2).dropLast(2))
        var negated = false
        if name.hasPrefix("^") {
            negated = true
            name.removeFirst()
        }
        let ranges: [ClosedRange<UInt32>]
        switch name {
        case "alnum": ranges = [0x30...0x39, 0x41...0x5A, 0x61...0x7A]
        case "alpha": ranges = [0x41...0x5A, 0x61...0x7A]
        case "ascii": ranges = [0x00...0x7F]
        case "blank": ranges = [0x09...0x09, 0x20...0x20]
        case "cntrl": ranges = [0x00...0x1F, 0x7F...0x7F]
        case "digit": ranges = digit
        case "graph": ranges = [0x21...0x7E]
        case "lower": ranges = [0x61...0x7A]
        case "print": ranges = [0x20...0x7E]
        case "punct": ranges = [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]
        case "space": ranges = [0x09...0x0D, 0x20...0x20]
        case "upper": ranges = [0x41...0x5A]
        case "word": ranges = word
        case "xdigit": ranges = [0x30...0x39, 0x41...0x46, 0x61...0x66]
        default: return nil
        }
        return (ranges, negated)
    }

    /// Sorts and merges overlapping or adjacent ranges.
    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        guard ranges.count > 1 else { return ranges }
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var result: [ClosedRange<UInt32>] = [sorted[0]]
        for range in sorted.dropFirst() {
            let last = result[result.count - 1]
            if range.lowerBound <= last.upperBound &+ 1 {
                if range.upperBound > last.upperBound {
                    result[result.count - 1] = last.lowerBound...range.upperBound
                }
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The complement over `0...0x10FFFF`.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        var done = false
        for range in normalized(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            if range.upperBound >= maxRune {
                done = true
                break
            }
            next = range.upperBound + 1
        }
        if !done { result.append(next...maxRune) }
        return result
    }
}

/// The Unicode class names RE2 accepts in `\p{...}`: `Any`, `ASCII`, the general categories and the scripts.
enum RE2UnicodeTables {
    /// What a `\p` name stands for.
    enum Property: Sendable, Equatable {
        case ranges([ClosedRange<UInt32>])
        case category(String)
        case script(String)
    }

    /// The general categories Go's `unicode.Categories` holds (plus `LC` and `Cn`, accepted since Go 1.25).
    static let categories: Set<String> = [
        "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd",
        "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
    ]

    /// The scripts of Go's `unicode.Scripts` (Unicode 15).
    static let scripts: Set<String> = [
        "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum", "Bassa_Vah",
        "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid", "Canadian_Aboriginal",
        "Carian", "Caucasian_Albanian", "Chakma", "Cham", "Cherokee", "Chorasmian", "Common", "Coptic", "Cuneiform",
        "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru", "Dogra", "Duployan",
        "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic", "Grantha",
        "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran",
        "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian",
        "Javanese", "Kaithi", "Kannada", "Katakana", "Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer",
        "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Lycian", "Lydian",
        "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin",
        "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive", "Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian",
        "Mro", "Multani", "Myanmar", "Nabataean", "Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu",
        "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic", "Old_North_Arabian",
        "Old_Permic", "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage",
        "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang",
        "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala", "Sogdian",
        "Sora_Sompeng", "Soyombo", "Sundanese", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham",
        "Tai_Viet", "Takri", "Tamil", "Tangsa", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta",
        "Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square",
    ]

    /// Resolves a `\p` name (case-sensitive, as in RE2).
    static func lookup(_ name: String) -> Property? {
        if name == "Any" { return .ranges([0...RE2Ranges.maxRune]) }
        if name == "ASCII" { return .ranges([0...0x7F]) }
        if categories.contains(name) { return .category(name) }
        if scripts.contains(name) { return .script(name) }
        return nil
    }

    /// The two-letter general category of a code point, as Go names it.
    static func categoryCode(_ scalar: Unicode.Scalar) -> String {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter: "Lu"
        case .lowercaseLetter: "Ll"
        case .titlecaseLetter: "Lt"
        case .modifierLetter: "Lm"
        case .otherLetter: "Lo"
        case .nonspacingMark: "Mn"
        case .spacingMark: "Mc"
        case .enclosingMark: "Me"
        case .decimalNumber: "Nd"
        case .letterNumber: "Nl"
        case .otherNumber: "No"
        case .connectorPunctuation: "Pc"
        case .dashPunctuation: "Pd"
        case .openPunctuation: "Ps"
        case .closePunctuation: "Pe"
        case .initialPunctuation: "Pi"
        case .finalPunctuation: "Pf"
        case .otherPunctuation: "Po"
        case .mathSymbol: "Sm"
        case .currencySymbol: "Sc"
        case .modifierSymbol: "Sk"
        case .otherSymbol: "So"
        case .spaceSeparator: "Zs"
        case .lineSeparator: "Zl"
        case .paragraphSeparator: "Zp"
        case .control: "Cc"
        case .format: "Cf"
        case .surrogate: "Cs"
        case .privateUse: "Co"
        case .unassigned: "Cn"
        @unknown default: "Cn"
        }
    }

    /// Whether `scalar` belongs to the category `name` (one- or two-letter, Go's grouping: `C` excludes `Cn`).
    static func category(_ name: String, contains scalar: Unicode.Scalar) -> Bool {
        let code = categoryCode(scalar)
        switch name {
        case "C": return code == "Cc" || code == "Cf" || code == "Co" || code == "Cs"
        case "LC": return code == "Lu" || code == "Ll" || code == "Lt"
        default: return name.count == 1 ? code.hasPrefix(name) : code == name
        }
    }
}

/// Simple case folding, as RE2 applies it under `(?i)`: every code point matches its whole fold orbit
/// (`k`, `K` and the Kelvin sign `K`; `s`, `S` and long `ſ`; `σ`, `ς`, `Σ`, ...).
///
/// Orbits are derived once, lazily, from the standard library's simple case mappings (single-code-point
/// mappings; the dotted/dotless Turkish `İ` and `ı` are left alone, as in Unicode's `CaseFolding.txt`).
enum RE2CaseFolding {
    /// The range RE2 scans for folds (Go's `minFold...maxFold`).
    static let foldRange: ClosedRange<UInt32> = 0x41...0x1E943

    private struct Table: Sendable {
        /// Orbit members (sorted) for every code point that has other cases.
        var orbits: [UInt32: [UInt32]]
        /// The keys of `orbits`, sorted, for range scans.
        var keys: [UInt32]
    }

    private static let table: Table = buildTable()

    private static func simpleMapping(_ mapping: String, of value: UInt32) -> UInt32? {
        var iterator = mapping.unicodeScalars.makeIterator()
        guard let first = iterator.next(), iterator.next() == nil, first.value != value else { return nil }
        return first.value
    }

    private static func buildTable() -> Table {
        var parent: [UInt32: UInt32] = [:]
        func find(_ x: UInt32) -> UInt32 {
            var x = x
            while let p = parent[x], p != x { x = p }
            return x
        }
        func union(_ a: UInt32, _ b: UInt32) {
            if parent[a] == nil { parent[a] = a }
            if parent[b] == nil { parent[b] = b }
            let ra = find(a)
            let rb = find(b)
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        for value in foldRange {
            guard value != 0x130, value != 0x131, let scalar = Unicode.Scalar(value) else { continue }
            let properties = scalar.properties
            guard properties.changesWhenCaseMapped else { continue }
            for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
                if let other = simpleMapping(mapping, of: value), other != 0x130, other != 0x131 {
                    union(value, other)
                }
            }
        }
        var groups: [UInt32: [UInt32]] = [:]
        for key in parent.keys { groups[find(key), default: []].append(key) }
        var orbits: [UInt32: [UInt32]] = [:]
        for members in groups.values where members.count > 1 {
            let sorted = members.sorted()
            for member in sorted { orbits[member] = sorted }
        }
        return Table(orbits: orbits, keys: orbits.keys.sorted())
    }

    /// The fold orbit of `value` (including itself), or `nil` when it has no other case.
    static func orbit(of value: UInt32) -> [UInt32]? {
        guard foldRange.contains(value) else { return nil }
        return table.orbits[value]
    }

    /// `ranges` plus every code point that folds to something in them (Go's `appendFoldedRange`).
    static func fold(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let keys = table.keys
        var result = ranges
        for range in ranges {
            // Binary search the first key >= lowerBound, then walk the keys inside the range.
            var low = 0
            var high = keys.count
            while low < high {
                let mid = (low + high) / 2
                if keys[mid] < range.lowerBound { low = mid + 1 } else { high = mid }
            }
            var index = low
            while index < keys.count, keys[index] <= range.upperBound {
                for member in table.orbits[keys[index]] ?? [] where !range.contains(member) {
                    result.append(member...member)
                }
                index += 1
            }
        }
        return RE2Ranges.normalized(result)
    }

    /// The code points that fold into a category or script, for `(?i)\p{...}`.
    static func foldExtras(of kind: RE2UnicodeProperty.Kind) -> [ClosedRange<UInt32>] {
        let membership: (Unicode.Scalar) -> Bool
        switch kind {
        case .category(let name):
            membership = { RE2UnicodeTables.category(name, contains: $0) }
        case .script(let name):
            membership = { RE2ScriptMembership.shared.script(name, contains: $0) }
        }
        var extras: [ClosedRange<UInt32>] = []
        for key in table.keys {
            guard let scalar = Unicode.Scalar(key), membership(scalar) else { continue }
            for member in table.orbits[key] ?? [] { extras.append(member...member) }
        }
        return RE2Ranges.normalized(extras)
    }
}
