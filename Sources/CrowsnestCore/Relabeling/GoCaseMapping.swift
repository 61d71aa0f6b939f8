/// Go's `strings.ToLower` / `strings.ToUpper`, which the `lowercase` and `uppercase` actions use.
///
/// Go maps code point by code point with Unicode's *simple* case mappings, so a character never becomes several
/// (`ß` stays `ß` in upper case, `İ` lower-cases to `i`), unlike Swift's `lowercased()`/`uppercased()`, which use
/// the full mappings (`ß` → `SS`). The standard library exposes the full mappings; where they expand to several
/// code points the simple mapping is taken from the short list of exceptions below.
enum GoCaseMapping {
    static func lowercased(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 && !($0 >= 0x41 && $0 <= 0x5A) }) { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            result.unicodeScalars.append(lower(scalar))
        }
        return result
    }

    static func uppercased(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 && !($0 >= 0x61 && $0 <= 0x7A) }) { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            result.unicodeScalars.append(upper(scalar))
        }
        return result
    }

    private static func single(_ mapping: String) -> Unicode.Scalar? {
        var iterator = mapping.unicodeScalars.makeIterator()
        guard let first = iterator.next(), iterator.next() == nil else { return nil }
        return first
    }

    static func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let v = scalar.value
            return v >= 0x41 && v <= 0x5A ? Unicode.Scalar(UInt8(v + 0x20)) : scalar
        }
        if let mapped = single(scalar.properties.lowercaseMapping) { return mapped }
        // The only full lower-case mapping with several code points: U+0130 İ → "i̇"; its simple mapping is "i".
        return scalar.value == 0x130 ? "i" : scalar
    }

    static func upper(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let v = scalar.value
            return v >= 0x61 && v <= 0x7A ? Unicode.Scalar(UInt8(v - 0x20)) : scalar
        }
        if let mapped = single(scalar.properties.uppercaseMapping) { return mapped }
        // Full upper-case mappings with several code points (ß, ŉ, ǰ, ΐ, ﬀ, ...) have no simple mapping,
        // except the Greek letters with ypogegrammeni, whose simple upper case is the prosgegrammeni capital.
        let v = scalar.value
        switch v {
        case 0x1F80...0x1F87, 0x1F90...0x1F97, 0x1FA0...0x1FA7:
            return Unicode.Scalar(v + 8) ?? scalar
        case 0x1FB3: return "\u{1FBC}"
        case 0x1FC3: return "\u{1FCC}"
        case 0x1FF3: return "\u{1FFC}"
        default: return scalar
        }
    }
}
