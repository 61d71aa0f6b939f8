/// A URL query string decoded as Go's `url.ParseQuery` and browsers' form encoding do: pairs split on `&`, names and
/// values split at the first `=`, `+` read as a space, `%XX` decoded, in both names and values.
///
/// Why not the HTTP framework's parameter map: it decodes values but not names, so `match%5B%5D=up`, which is how
/// Prometheus sends a scrape job's `params: {match[]: [up]}`, would not be found under `match[]`, and the filter
/// would silently be ignored.
public struct QueryString: Sendable, Hashable {
    /// The decoded pairs, in query order (a name may repeat).
    public var pairs: [(name: String, value: String)] {
        zip(names, values).map { ($0, $1) }
    }
    private var names: [String] = []
    private var values: [String] = []

    /// Decodes `query` (without the leading `?`); `nil` is an empty query.
    ///
    /// A malformed escape (`%` not followed by
    /// two hex digits) is kept as written, as Go keeps the pair out and browsers keep the text: here kept, so a
    /// selector with a stray `%` fails loudly in its own parser rather than vanishing.
    public init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let name = Self.decode(piece[piece.startIndex..<(equals ?? piece.endIndex)])
            let value = equals.map { Self.decode(piece[piece.index(after: $0)...]) } ?? ""
            names.append(name)
            values.append(value)
        }
    }

    /// Every value of `name`, in query order.
    public func all(_ name: String) -> [String] {
        names.indices.filter { names[$0] == name }.map { values[$0] }
    }

    /// The first value of `name`.
    public func first(_ name: String) -> String? {
        names.firstIndex(of: name).map { values[$0] }
    }

    /// Every distinct name, in order of first appearance.
    public var distinctNames: [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    static func decode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), bytes.distance(from: index, to: bytes.endIndex) >= 3,
                let high = hex(bytes[bytes.index(index, offsetBy: 1)]),
                let low = hex(bytes[bytes.index(index, offsetBy: 2)])
            {
                out.append(high << 4 | low)
                index = bytes.index(index, offsetBy: 3)
                continue
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
