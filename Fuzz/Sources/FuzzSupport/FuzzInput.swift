/// A fuzz input read front to back: choice bytes first, then the payload, optionally split into parts.
///
/// Keeping the layout this simple lets libFuzzer's mutations map to meaningful changes and keeps seeds readable:
/// a seed file is one selector byte followed by the text under test.
public struct FuzzInput {
    /// The bytes not yet consumed.
    public private(set) var remaining: ArraySlice<UInt8>

    /// Wraps the bytes libFuzzer hands to `LLVMFuzzerTestOneInput`.
    public init(_ start: UnsafeRawPointer?, _ count: Int) {
        if let start, count > 0 {
            remaining = ArraySlice(UnsafeRawBufferPointer(start: start, count: count))
        } else {
            remaining = []
        }
    }

    /// Wraps bytes (for tests of the harness itself).
    public init(bytes: [UInt8]) { remaining = bytes[...] }

    /// Consumes one byte; 0 when the input is exhausted.
    public mutating func takeByte() -> UInt8 {
        remaining.popFirst() ?? 0
    }

    /// Consumes everything left.
    public mutating func takeRest() -> [UInt8] {
        defer { remaining = [] }
        return Array(remaining)
    }

    /// Splits what is left at every `separator` byte into at most `maximumParts` parts (the last part keeps any
    /// further separators) and consumes it.
    public mutating func takeParts(separator: UInt8, maximumParts: Int) -> [[UInt8]] {
        let parts = remaining.split(
            separator: separator,
            maxSplits: max(0, maximumParts - 1),
            omittingEmptySubsequences: false
        )
        remaining = []
        return parts.map { Array($0) }
    }
}

/// Stops the process with `message` when an invariant does not hold; libFuzzer records the input as a crash.
///
/// Uses `fatalError`, which traps with the message in every build mode (also `-Ounchecked`).
@inline(never)
public func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
}

/// A short, printable excerpt of `bytes` for invariant messages.
public func excerpt(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
    String(decoding: bytes.prefix(limit), as: UTF8.self).debugDescription
}
