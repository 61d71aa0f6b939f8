import Testing

@testable import CrowsnestCore

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
                #expect(
                    seen[value] == nil,
                    "\(String(decoding: text, as: UTF8.self)) collides with \(String(decoding: seen[value] ?? [], as: UTF8.self))"
                )
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
    }

    /// The label tokens of a strict parse of `x{…} 1`.
    private func labelHashes(_ labels: String) throws -> [UInt64] {
        let payload = Array("x{\(labels)} 1\n".utf8)
        struct Collector: ExpositionVisitor {
            var hashes: [UInt64] = []
            mutating func visitSample(
                _ sample: SampleToken,
                labels: UnsafeBufferPointer<LabelToken>,
                family: FamilyToken,
                bytes: UnsafeRawBufferPointer
            ) throws(ExpositionError) {
                hashes = labels.map { SeriesHash.label($0, in: bytes) }
            }
        }
        var collector = Collector()
        _ = try ExpositionParser(format: .text, mode: .strict).parse(payload, visitor: &collector)
        return collector.hashes
    }

    @Test("a label hashes the same however its name is written (legacy, quoted, spaced), and differently per value")
    func labelSpellings() throws {
        let plain = try labelHashes("route=\"r1\"")
        #expect(plain.count == 1)
        #expect(try labelHashes("\"route\"=\"r1\"") == plain)
        #expect(try labelHashes("route = \"r1\"") == plain)
        #expect(try labelHashes("route=\"r10\"") != plain)
        #expect(try labelHashes("rout=\"er1\"") != plain)
        let escaped = try labelHashes("a=\"say \\\"hi\\\"\"")
        #expect(try labelHashes("\"a\"=\"say \\\"hi\\\"\"") == escaped)
    }
}
