import NIOCore

/// Splits a byte stream into newline-terminated lines; chunk boundaries are not event boundaries.
struct LineSplitter {
    private var pending: [UInt8] = []
    /// The longest line accepted (a pod object is far smaller).
    let maximumLineLength: Int

    init(maximumLineLength: Int = 16 << 20) { self.maximumLineLength = maximumLineLength }

    struct LineTooLong: Error {}

    /// Appends a chunk and returns the complete lines it finished (without the newline, empty lines skipped).
    mutating func append(_ buffer: ByteBuffer) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let view = buffer.readableBytesView
        var start = view.startIndex
        while let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                if newline > start { lines.append(Array(view[start..<newline])) }
            } else {
                pending.append(contentsOf: view[start..<newline])
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
            start = view.index(after: newline)
        }
        pending.append(contentsOf: view[start...])
        if pending.count > maximumLineLength { throw LineTooLong() }
        return lines
    }

    /// What is left after the stream ended (a last line without newline), if anything.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) ? pending : nil
    }
}
