/// Decoding of escaped text in exposition payloads.
///
/// Label values and quoted names decode `\\`, `\"` and `\n`; HELP text decodes `\\` and `\n` (and `\"` in
/// OpenMetrics). Any other escape is kept as written, as Prometheus' parsers do.
public enum Unescaping {
    /// Decodes `bytes[start..<end]`; `escaped` tells whether a backslash occurs (fast path when not).
    public static func string(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, escaped: Bool) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard escaped else { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: unescapedBytes(slice), as: UTF8.self)
    }

    /// Decodes escapes into bytes.
    public static func unescapedBytes(_ slice: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var index = 0
        while index < slice.count {
            let byte = slice[index]
            if byte == UInt8(ascii: "\\"), index + 1 < slice.count {
                let next = slice[index + 1]
                switch next {
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                default:
                    out.append(byte)
                    out.append(next)
                }
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    /// The decoded name of a label token.
    public static func labelName(_ bytes: UnsafeRawBufferPointer, _ token: LabelToken) -> String {
        string(bytes, token.nameStart, token.nameEnd, escaped: token.nameEscaped)
    }

    /// The decoded value of a label token.
    public static func labelValue(_ bytes: UnsafeRawBufferPointer, _ token: LabelToken) -> String {
        string(bytes, token.valueStart, token.valueEnd, escaped: token.valueEscaped)
    }
}
