/// Go's `strconv.FormatFloat(v, 'g', -1, 64)`, how client_golang writes sample values (`1.2345678e+07`).
enum GoFloat {
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        if value == value.rounded(), abs(value) < 1e15 {
            // Integers (most kubelet values): the digits are the integer's, no round-trip search needed.
            let integer = Int64(value)
            if abs(integer) < 1_000_000 { return String(integer) }
            var digits = Array(String(abs(integer)))
            let exponent = digits.count - 1
            while digits.count > 1, digits.last == "0" { digits.removeLast() }
            var text = integer < 0 ? "-" : ""
            text.append(digits[0])
            if digits.count > 1 {
                text.append(".")
                text.append(contentsOf: digits[1...])
            }
            text += exponent < 10 ? "e+0\(exponent)" : "e+\(exponent)"
            return text
        }
        // Shortest round-trip digits and decimal exponent from Swift's own shortest representation.
        var text = "\(abs(value))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(pieces[0])
        let fraction = pieces.count > 1 ? String(pieces[1]) : ""
        var digits = Array(integer + fraction)
        var point = integer.count + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        let decimalExponent = point - 1
        // Go uses %e when the exponent is below -4 or at least the precision, which is 6 for the shortest form.
        if decimalExponent < -4 || decimalExponent >= 6 {
            var mantissa = String(digits[0])
            if digits.count > 1 { mantissa += "." + String(digits[1...]) }
            let magnitude = abs(decimalExponent)
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "")
                + String(magnitude)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
        if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }
}
