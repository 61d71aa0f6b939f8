/// A parsed query string (`url.ParseQuery`): `+` is a space, `%XX` escapes are decoded, order is kept.
struct QueryParameters: Sendable {
    /// The pairs in order.
    var pairs: [(String, String)]
    /// Whether some part could not be decoded.
    var malformed = false

    /// Parses `raw` (the part after `?`, without it).
    init(_ raw: String?) {
        pairs = []
        guard let raw, !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentDecoding.decode(pieces[0], plusIsSpace: true)
            let value = pieces.count > 1 ? PercentDecoding.decode(pieces[1], plusIsSpace: true) : ""
            guard let key, let value else {
                malformed = true
                continue
            }
            pairs.append((key, value))
        }
    }

    /// The first value of `name`.
    func first(_ name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    /// Whether `name` is present.
    func has(_ name: String) -> Bool {
        pairs.contains { $0.0 == name }
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: return nil
        }
    }

    /// `watch=1`/`true` (an unparsable value other than false/0 also counts, as in `RequestInfoFactory`).
    var isWatch: Bool {
        guard let value = first("watch") else { return false }
        if let parsed = QueryParameters.parseBool(value) { return parsed }
        return value.lowercased() != "false" && value != "0"
    }
}

/// Percent-decoding of URL parts.
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` when `plusIsSpace`); nil on a bad escape or invalid UTF-8.
    static func decode(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        if !text.contains("%"), !(plusIsSpace && text.contains("+")) { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard iterator.count >= 2, let high = hex(iterator.popFirst()!), let low = hex(iterator.popFirst()!)
                else { return nil }
                bytes.append(high << 4 | low)
            } else if plusIsSpace, byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF")
                out.append("%")
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
