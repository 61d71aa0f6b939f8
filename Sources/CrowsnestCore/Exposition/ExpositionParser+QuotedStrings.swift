// Quoted strings (label values, quoted names) scanned eight bytes at a time (`SWAR`), and the UTF-8 check of
// the non-ASCII ranges found on the way.

// The special bytes of the format this file reads (file-private in each parser file, so the module has no
// global `space` or `hash`).
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

extension ParserRun {
    /// Reads a quoted string's content from `start` (just after the opening quote); returns the index of the
    /// closing quote and whether the content holds escapes.
    ///
    /// Non-ASCII content is checked to be UTF-8 in the same
    /// pass's wake (only when a byte ≥ 0x80 was seen).
    @inline(__always)
    func readQuoted(_ start: Int, _ end: Int) throws(ExpositionError) -> (end: Int, escaped: Bool) {
        var index = start
        var escaped = false
        // Eight bytes at a time: the first quote, backslash or non-ASCII byte of a word is found by its bit
        // position (the lowest flag of the has-byte test is exact). A word may reach past the line's end, never
        // past the payload; a find past `end` means the string is unterminated.
        if let base = bytes.baseAddress {
            let wordsEnd = min(end, count - 7)  // a word read at an index before this stays inside the payload
            while index < wordsEnd {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let found = SWAR.hasByte(word, quote) | SWAR.hasByte(word, backslash) | word & SWAR.highBits
                if found == 0 {
                    index &+= 8
                    continue
                }
                let position = index + found.trailingZeroBitCount >> 3
                guard position < end else {
                    index = end
                    break
                }
                let byte = bytes[position]
                if byte == quote { return (position, escaped) }
                if byte == backslash && !(position + 1 < end && bytes[position + 1] >= 0x80) {
                    escaped = true
                    index = position + 2
                    continue
                }
                index = position  // non-ASCII (maybe escaped): the byte-wise loop below checks UTF-8
                break
            }
        }
        var highBits: UInt8 = 0
        while index < end {
            let byte = bytes[index]
            highBits |= byte
            if byte == quote {
                if highBits >= 0x80 { try checkUTF8(start, index) }
                return (index, escaped)
            }
            if byte == backslash {
                escaped = true
                index += 1
                guard index < end else { break }
                highBits |= bytes[index]  // an escaped byte must be UTF-8 too
            }
            index += 1
        }
        throw error(start - 1, "unterminated quoted string")
    }

    @inline(__always)
    func checkUTF8(_ start: Int, _ end: Int) throws(ExpositionError) {
        var index = start
        while index < end {
            if bytes[index] >= 0x80 {
                if !UTF8Validation.isValid(bytes, index, end) { throw error(index, "invalid UTF-8") }
                return
            }
            index += 1
        }
    }
}
