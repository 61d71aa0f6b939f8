@testable import CrowsnestCore
import Testing

/// The strict checker finds duplicate series by hash and decodes both lines only on a hash hit, so collisions
/// cost a slow path per sample; these pin the hash's quality on the inputs that once collided.
@Suite("Series hash")
struct SeriesHashTests {
    private func hash(_ text: [UInt8]) -> UInt64 {
        text.withUnsafeBytes { SeriesHash.bytes($0) }
    }

    @Test("every string of up to 7 bytes over a small alphabet hashes differently (lengths included)")
    func shortStringsDoNotCollide() {
        let alphabet: [UInt8] = Array("ab01".utf8)
        var seen: [UInt64: [UInt8]] = [:]
        var current: [[UInt8]] = [[]]
        for _ in 0...7 {
            var next: [[UInt8]] = []
            for text in current {
                let value = hash(text)
                #expect(seen[value] == nil, "\(String(decoding: text, as: UTF8.self)) collides with \(String(decoding: seen[value] ?? [], as: UTF8.self))")
                seen[value] = text
                for byte in alphabet { next.append(text + [byte]) }
            }
            current = next
        }
        #expect(seen.count == 21_845)
    }

    @Test("labels that differ only in length and last byte (r1 / r10, aaaa / aaaaa) hash apart")
    func lengthIsPartOfTheHash() {
        #expect(hash(Array("r1".utf8)) != hash(Array("r10".utf8)))
        #expect(hash(Array("aaaa".utf8)) != hash(Array("aaaaa".utf8)))
        let r1 = Array("route".utf8).withUnsafeBytes { name in Array("r1".utf8).withUnsafeBytes { SeriesHash.pair(name, $0) } }
        let r10 = Array("route".utf8).withUnsafeBytes { name in Array("r10".utf8).withUnsafeBytes { SeriesHash.pair(name, $0) } }
        #expect(r1 != r10)
    }
}
