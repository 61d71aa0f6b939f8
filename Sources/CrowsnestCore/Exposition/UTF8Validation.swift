/// UTF-8 checks on byte ranges, run only on ranges holding a byte ≥ 0x80 (the parser finds those while scanning).
enum UTF8Validation {
    /// Whether `bytes[start..<end]` is valid UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var iterator = UnsafeRawBufferPointer(rebasing: bytes[start..<end]).makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// The number of Unicode scalars in a valid UTF-8 range.
    static func countScalars(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        var scalars = 0
        for index in start..<end where bytes[index] & 0xC0 != 0x80 { scalars += 1 }
        return scalars
    }
}
