import NIOCore

/// A JSON document kept in memory with the key order it was built in.
///
/// The simulator renders every object it serves with this type (or with pre-rendered bytes spliced in through
/// ``raw(_:)``), so the output is byte-for-byte predictable and cheap to produce.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Bytes that are already valid JSON (a cached pod, say), copied verbatim.
    case raw([UInt8])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.encodedString() == rhs.encodedString()
    }

    /// Appends the compact encoding of this value to `bytes`.
    func encode(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): bytes.append(contentsOf: String(value).utf8)
        case .double(let value):
            if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
                bytes.append(contentsOf: String(Int(value)).utf8)
            } else if value.isFinite {
                bytes.append(contentsOf: String(value).utf8)
            } else {
                bytes.append(contentsOf: "null".utf8)
            }
        case .string(let value): JSONValue.encodeString(value, into: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.encode(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONValue.encodeString(member.0, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.1.encode(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case .raw(let raw): bytes.append(contentsOf: raw)
        }
    }

    /// The compact encoding as bytes.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        encode(into: &bytes)
        return bytes
    }

    /// The compact encoding as a `ByteBuffer`.
    func encodedBuffer() -> ByteBuffer {
        ByteBuffer(bytes: encoded())
    }

    /// The compact encoding as a `String`.
    func encodedString() -> String {
        String(decoding: encoded(), as: UTF8.self)
    }

    /// Writes `string` as a quoted JSON string, escaping as Go's encoding/json does for the characters that matter.
    static func encodeString(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue {
    /// A JSON object from a dictionary, keys sorted (as Go's encoding/json sorts map keys).
    static func sortedObject(_ dictionary: [String: String]) -> JSONValue {
        .object(dictionary.keys.sorted().map { ($0, .string(dictionary[$0]!)) })
    }

    /// `.string(value)` or `.null` when `value` is nil.
    static func optionalString(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }
}
