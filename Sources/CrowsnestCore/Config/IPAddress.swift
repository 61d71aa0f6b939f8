/// An IPv4 or IPv6 address as bytes, for `NO_PROXY`'s address and CIDR entries.
struct IPAddress: Sendable, Hashable {
    var bytes: [UInt8]

    /// Parses dotted IPv4 or IPv6 text (with `::`, and a dotted IPv4 tail); nil for anything else.
    init?(_ text: String) {
        if let v4 = Self.ipv4(Substring(text)) {
            bytes = v4
            return
        }
        guard text.contains(":") else { return nil }
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = Self.ipv4(piece) {
                    result += v4
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    result += [UInt8(value >> 8), UInt8(value & 0xff)]
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
            bytes = head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        } else {
            guard head.count == 16 else { return nil }
            bytes = head
        }
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// Whether `address` lies in the network of this address with `prefixLength` leading bits.
    func contains(_ address: IPAddress, prefixLength: Int) -> Bool {
        guard address.bytes.count == bytes.count, (0...bytes.count * 8).contains(prefixLength) else { return false }
        for bit in 0..<prefixLength {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if bytes[bit / 8] & mask != address.bytes[bit / 8] & mask { return false }
        }
        return true
    }
}
