import Testing

@testable import CrowsnestCore

@Suite("Strict validator: cached le/quantile bounds")
struct BoundCacheTests {
    /// Bounds that share long prefixes, straddle the 8- and 16-byte words, are not numbers, or are escaped.
    static let values: [String] = {
        var values = [
            "0", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf", "-Inf", "Inf",
            "NaN", "1e-05", "1E3", "0x1p3", "", "abc", "1_0", " 1", "1 ", "0.1234567", "0.1234568", "0.12345678",
            "0.12345679", "0.123456789012345", "0.1234567890123456", "0.1234567890123457", "0.12345678901234567",
            "0.12345678901234568", "1\\\\", "\\\"1\\\"", "1\\n",
        ]
        values += (0..<100).map { "\(Double($0) * 0.37)" }  // more distinct values than the cache has slots
        return values
    }()

    @Test("every bound, repeated in any order, parses as without the cache, in both formats")
    func sameAsParsing() {
        var random = SplitMix64(state: 5)
        for format in ExpositionFormat.allCases {
            var cache = BoundCache()
            var checked = 0
            for _ in 0..<20 {
                // The values as label values of one payload; the last ones sit at its very end.
                let order = Self.values.shuffled(using: &random)
                var payload: [UInt8] = []
                var tokens: [LabelToken] = []
                for value in order {
                    payload += Array("x{le=\"".utf8)
                    let start = payload.count
                    payload += Array(value.utf8)
                    tokens.append(
                        LabelToken(
                            nameStart: start - 4,
                            nameEnd: start - 2,
                            nameQuoted: false,
                            nameEscaped: false,
                            valueStart: start,
                            valueEnd: payload.count,
                            valueEscaped: value.contains("\\")
                        )
                    )
                    payload += Array("\"} 1\n".utf8)
                }
                payload.withUnsafeBytes { bytes in
                    for (token, value) in zip(tokens, order) {
                        let expected = StrictValidator.parseBound(bytes, token, format: format)
                        let cached = cache.bound(of: token, in: bytes, format: format)
                        #expect(
                            cached?.bitPattern == expected?.bitPattern,
                            "\(format) \(value.debugDescription): \(String(describing: cached)) != \(String(describing: expected))"
                        )
                        checked += 1
                    }
                }
            }
            #expect(checked == 20 * Self.values.count)
        }
    }

    @Test("values that share a slot, a length and their first or last eight bytes are told apart")
    func slotCollisions() throws {
        // Two 16-byte values per kind of likeness that land in the same slot, searched among numbers.
        func payloadToken(_ text: String) -> ([UInt8], LabelToken) {
            let bytes = Array(text.utf8) + Array("\"} 1\n                ".utf8)
            let token = LabelToken(
                nameStart: 0,
                nameEnd: 0,
                nameQuoted: false,
                nameEscaped: false,
                valueStart: 0,
                valueEnd: text.utf8.count,
                valueEscaped: false
            )
            return (bytes, token)
        }
        func slot(_ text: String) -> Int {
            let (bytes, token) = payloadToken(text)
            return bytes.withUnsafeBytes {
                BoundCache.slot(
                    low: BoundCache.words(of: token, in: $0)!.low,
                    high: BoundCache.words(of: token, in: $0)!.high
                )
            }
        }
        let samePrefix = (0..<1000).map { "0.123456\(String($0 + 1000).padding(8))" }  // first eight bytes equal
        let sameSuffix = (0..<1000).map { "0.\(String($0 + 10000).padding(6))12345678" }  // last eight bytes equal
        for candidates in [samePrefix, sameSuffix] {
            var bySlot: [Int: String] = [:]
            var pair: (String, String)?
            for text in candidates {
                #expect(text.utf8.count == 16)
                if let other = bySlot[slot(text)] {
                    pair = (other, text)
                    break
                }
                bySlot[slot(text)] = text
            }
            let (first, second) = try #require(pair)
            var cache = BoundCache()
            for text in [first, second, first, second] {
                let (bytes, token) = payloadToken(text)
                let value = bytes.withUnsafeBytes { cache.bound(of: token, in: $0, format: .text) }
                #expect(value == Double(text), "\(text)")
            }
        }
    }
}

extension String {
    /// The string cut or padded with zeros on the right to `length` characters.
    fileprivate func padding(_ length: Int) -> String {
        String((self + String(repeating: "0", count: length)).prefix(length))
    }
}
