#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Number grammar of the two formats, checked on bytes without building strings.
///
/// - Text 0.0.4 values follow Go's `strconv.ParseFloat` (what Prometheus uses): decimal, hex floats with a `p`
///   exponent, `_` between digits of prefixed (hex) numbers, and case-insensitive `inf`, `infinity`, `nan`.
/// - OpenMetrics values follow the reference parser: decimal only (no hex, no `_`), and case-insensitive
///   `inf`, `infinity`, `nan` with an optional sign.
/// - Text timestamps are base-10 int64 milliseconds; OpenMetrics timestamps are decimal seconds, never NaN/Inf.
enum NumberSyntax {
    /// 10^`exponent` for 0...15, exact (a literal table in a switch: no lazily initialised array to check).
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        byte &- 48 < 10 || (byte | 0x20) &- 97 < 6
    }

    /// Whether `bytes[range]` is a valid sample value in `format`.
    static func isValidValue(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, format: ExpositionFormat)
        -> Bool
    {
        var index = start
        guard index < end else { return false }
        // Fast path: plain decimal integers and fractions, the overwhelming majority.
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard index < end else { return false }
        if isDigit(bytes[index]) || bytes[index] == UInt8(ascii: ".") {
            if format == .text, bytes[index] == UInt8(ascii: "0"), index + 1 < end,
                bytes[index + 1] | 0x20 == UInt8(ascii: "x")
            {
                return isHexFloat(bytes, index + 2, end)
            }
            return isDecimal(bytes, index, end)
        }
        return isSpecial(bytes, index, end, allowNaN: true)
    }

    /// Whether `bytes[start..<end]` (after an optional sign) spells inf, infinity or nan, ignoring case.
    static func isSpecial(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, allowNaN: Bool) -> Bool {
        let length = end - start
        func matches(_ word: StaticString) -> Bool {
            guard length == word.utf8CodeUnitCount else { return false }
            let pointer = word.utf8Start
            for offset in 0..<length where bytes[start + offset] | 0x20 != pointer[offset] { return false }
            return true
        }
        return matches("inf") || matches("infinity") || (allowNaN && matches("nan"))
    }

    /// `digits [. digits] [e [sign] digits]` or `. digits …`, at least one mantissa digit.
    static func isDecimal(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var index = start
        var mantissaDigits = 0
        while index < end, isDigit(bytes[index]) {
            index += 1
            mantissaDigits += 1
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < end, isDigit(bytes[index]) {
                index += 1
                mantissaDigits += 1
            }
        }
        guard mantissaDigits > 0 else { return false }
        if index == end { return true }
        guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return false }
        index += 1
        if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        let exponentStart = index
        while index < end, isDigit(bytes[index]) { index += 1 }
        return index == end && index > exponentStart
    }

    /// Go hex float after `0x`: hex mantissa (with optional `.`), mandatory `p` exponent; `_` between digits.
    static func isHexFloat(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var index = start
        var digits = 0
        var previousWasDigit = true  // an `_` may directly follow the base prefix
        var sawDot = false
        while index < end {
            let byte = bytes[index]
            if isHexDigit(byte) {
                digits += 1
                previousWasDigit = true
            } else if byte == UInt8(ascii: "_") {
                guard previousWasDigit else { return false }
                previousWasDigit = false
            } else if byte == UInt8(ascii: "."), !sawDot {
                sawDot = true
                previousWasDigit = false
            } else {
                break
            }
            index += 1
        }
        guard digits > 0, index < end, bytes[index] | 0x20 == UInt8(ascii: "p") else { return false }
        index += 1
        if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        let exponentStart = index
        while index < end, isDigit(bytes[index]) { index += 1 }
        return index == end && index > exponentStart
    }

    /// The value of a number already checked by `isValidValue`.
    static func parseDouble(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double {
        // Small integers without sign or fraction: no libc call.
        if end - start <= 15 {
            var value: Int64 = 0
            var index = start
            while index < end, isDigit(bytes[index]) {
                value = value &* 10 &+ Int64(bytes[index] &- 48)
                index += 1
            }
            if index == end && index > start { return Double(value) }
        }
        // Short decimals `digits.digits` (≤ 15 digits): exact integer divided by an exact power of ten is correctly
        // rounded (Clinger's fast path).
        if end - start <= 16 {
            var mantissa: Int64 = 0
            var digits = 0
            var fractionDigits = -1
            var index = start
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            while index < end {
                let byte = bytes[index]
                if isDigit(byte) {
                    mantissa = mantissa &* 10 &+ Int64(byte &- 48)
                    digits += 1
                    if fractionDigits >= 0 { fractionDigits += 1 }
                } else if byte == UInt8(ascii: "."), fractionDigits < 0 {
                    fractionDigits = 0
                } else {
                    break
                }
                index += 1
            }
            if index == end && digits > 0 && digits <= 15 {
                let value = Double(mantissa) / powerOfTen(max(fractionDigits, 0))
                return negative ? -value : value
            }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { buffer in
            var count = 0
            for index in start..<end where bytes[index] != UInt8(ascii: "_") {
                buffer[count] = CChar(bitPattern: bytes[index])
                count += 1
            }
            buffer[count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// Parses a text-format timestamp (base-10 int64 milliseconds); `nil` when invalid or out of range.
    static func parseTextTimestamp(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < end else { return nil }
        var value: Int64 = 0
        while index < end {
            let byte = bytes[index]
            guard isDigit(byte) else { return nil }
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = multiplied.addingReportingOverflow(Int64(byte &- 48))
            guard !overflow1 && !overflow2 else { return nil }
            value = added
            index += 1
        }
        return negative ? -value : value
    }

    /// Parses an OpenMetrics timestamp (decimal seconds, no NaN/Inf, no `_`) into seconds.
    static func parseOpenMetricsTimestamp(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        var index = start
        if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard index < end, isDecimal(bytes, index, end) else { return nil }
        return parseDouble(bytes, start, end)
    }
}
