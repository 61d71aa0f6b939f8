import Foundation
import NIOCore

/// Writes the Prometheus text format (0.0.4) as client_golang does.
struct ExpositionText {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// `# HELP` and `# TYPE` lines.
    mutating func family(_ name: String, _ help: String, _ type: String) {
        buffer.writeString("# HELP \(name) \(ExpositionText.escapeHelp(help))\n# TYPE \(name) \(type)\n")
    }

    /// One sample line.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double, _ timestamp: Int64?) {
        buffer.writeString(name)
        if !labels.isEmpty {
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeString(label)
                buffer.writeStaticString("=\"")
                ExpositionText.writeEscaped(labelValue, into: &buffer)
                buffer.writeInteger(UInt8(ascii: "\""))
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(GoFloat.format(value))
        if let timestamp {
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(String(timestamp))
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// One sample line whose labels are already rendered (`a="1",b="2"`, escaped).
    mutating func sample(_ name: String, labelText: String, _ value: Double, _ timestamp: Int64?) {
        buffer.writeString(name)
        buffer.writeInteger(UInt8(ascii: "{"))
        buffer.writeString(labelText)
        buffer.writeInteger(UInt8(ascii: "}"))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(GoFloat.format(value))
        if let timestamp {
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(String(timestamp))
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// `name="value"` with the value escaped.
    static func pair(_ name: String, _ value: String) -> String {
        var buffer = ByteBuffer()
        writeEscaped(value, into: &buffer)
        return name + "=\"" + String(buffer: buffer) + "\""
    }

    /// Escapes `\`, `"` and newlines in a label value.
    static func writeEscaped(_ value: String, into buffer: inout ByteBuffer) {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else {
            buffer.writeString(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 0x5C: buffer.writeStaticString("\\\\")
            case 0x22: buffer.writeStaticString("\\\"")
            case 0x0A: buffer.writeStaticString("\\n")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// Escapes `\` and newlines in HELP text.
    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
