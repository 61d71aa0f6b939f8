/// A small standard-alphabet base64 decoder for `ca_data_base64` (CrowsnestCore stays free of Foundation).
enum ConfigBase64 {
    /// Decodes base64 (standard alphabet, `=` padding optional, whitespace and line breaks ignored); `nil` when the
    /// text is not base64 or is empty.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            case UInt8(ascii: "="): padding += 1
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }
        }
        guard !values.isEmpty, padding <= 2, values.count % 4 != 1 else { return nil }
        if padding > 0 && (values.count + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index + 4 <= values.count {
            let (a, b, c, d) = (values[index], values[index + 1], values[index + 2], values[index + 3])
            out.append(a << 2 | b >> 4)
            out.append((b & 0x0F) << 4 | c >> 2)
            out.append((c & 0x03) << 6 | d)
            index += 4
        }
        let rest = values.count - index
        if rest >= 2 { out.append(values[index] << 2 | values[index + 1] >> 4) }
        if rest == 3 { out.append((values[index + 1] & 0x0F) << 4 | values[index + 2] >> 2) }
        return out
    }
}
