import CrowsnestCore
import Testing

/// The pure parts of remote write: the buffer's record framing, splitting batches, classifying answers. (The
/// protobuf bytes are proven against the reference decoders in `RemoteWriteProtobufTests`.)
@Suite("Remote write encoding")
struct RemoteWriteEncodingTests {
    static let lines = Array(
        """
        a{x="1"} 1 1000
        b{x="2"} 2 2000
        c{x="3"} 3 3000
        d 4 4000
        e 5 5000

        """.utf8
    )

    @Test("CRC-32 is zlib's (the standard check value)")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        // zlib's result equals the bitwise definition on every length around its 8- and 32-byte strides, so buffer
        // files written by either read back.
        var generator = SystemRandomNumberGenerator()
        for length in [1, 3, 7, 8, 9, 31, 32, 33, 100, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            #expect(CRC32.checksum(bytes) == ~crc, "length \(length)")
        }
    }

    @Test("a framed record reads back; a torn or flipped one is recognised as corrupt")
    func recordFraming() {
        let batch = RemoteWriteEncoder(shardCount: 1).encode(Self.lines, defaultTimestamp: 0).shards[0]
        #expect(batch.sampleCount == 5)
        #expect(batch.newestTimestamp == 5000)
        var bytes: [UInt8] = []
        BufferRecord.append(batch, into: &bytes)
        BufferRecord.append(batch, into: &bytes)
        let size = bytes.count / 2
        bytes.withUnsafeBytes { raw in
            #expect(BufferRecord.read(raw, at: 0) == .record(batch, end: size))
            #expect(BufferRecord.read(raw, at: size) == .record(batch, end: 2 * size))
            #expect(BufferRecord.read(raw, at: 2 * size) == .end)
            #expect(BufferRecord.header(raw, at: 0)?.samples == 5)
        }
        for cut in [1, BufferRecord.headerSize - 1, BufferRecord.headerSize + 3, size - 1] {
            Array(bytes[..<(size + cut)]).withUnsafeBytes { raw in
                #expect(BufferRecord.read(raw, at: size) == .corrupt, "cut at \(cut)")
            }
        }
        var flipped = bytes
        flipped[size + BufferRecord.headerSize + 7] ^= 0x40
        flipped.withUnsafeBytes { raw in #expect(BufferRecord.read(raw, at: size) == .corrupt) }

        // A compressed payload: flagged in the count, expanded by the reader's decompressor, corrupt when that fails.
        let stand = Array(batch.payload.reversed())  // any bytes stand for the compressed form here
        var packed: [UInt8] = []
        BufferRecord.append(batch, compressed: stand, into: &packed)
        packed.withUnsafeBytes { raw in
            #expect(BufferRecord.header(raw, at: 0)?.samples == 5)
            #expect(
                BufferRecord.read(raw, at: 0, decompress: { Array($0.reversed()) })
                    == .record(batch, end: packed.count)
            )
            #expect(BufferRecord.read(raw, at: 0, decompress: { _ in nil }) == .corrupt)
            guard case .record(let stored, _) = BufferRecord.read(raw, at: 0) else {
                Issue.record("no record")
                return
            }
            #expect(stored.payload == stand && stored.sampleCount == 5, "without a decompressor: the stored bytes")
        }
    }

    @Test("batches split at sample boundaries into valid request bodies", arguments: [1, 2, 3, 5, 9])
    func split(maxSamples: Int) {
        let batch = RemoteWriteEncoder(shardCount: 1).encode(Self.lines, defaultTimestamp: 0).shards[0]
        let parts = batch.split(maxSamples: maxSamples)
        #expect(parts.map(\.sampleCount).reduce(0, +) == 5)
        #expect(parts.allSatisfy { $0.sampleCount <= maxSamples && $0.sampleCount > 0 })
        #expect(parts.flatMap(\.payload) == batch.payload)
        // Each part is the encoding of its own lines.
        var offset = 0
        let lines = Self.lines.split(separator: UInt8(ascii: "\n")).map { Array($0) + [10] }
        for part in parts {
            let own = RemoteWriteEncoder(shardCount: 1).encode(
                Array(lines[offset..<(offset + part.sampleCount)].joined()),
                defaultTimestamp: 0
            )
            #expect(own.shards[0].payload == part.payload)
            offset += part.sampleCount
        }
    }

    @Test("series hashes find the series that disappeared; shards are stable per series")
    func seriesHashes() {
        let encoder = RemoteWriteEncoder(shardCount: 4)
        let first = encoder.encode(Self.lines, defaultTimestamp: 0, collectHashes: true)
        let later = encoder.encode(
            Array("a{x=\"1\"} 9 9000\nc{x=\"3\"} 9 9000\n".utf8),
            defaultTimestamp: 0,
            collectHashes: true
        )
        #expect(first.seriesHashes.count == 5)
        let gone = Set(first.seriesHashes).subtracting(later.seriesHashes)
        #expect(gone.count == 3)
        let stale = encoder.encode(Self.lines, defaultTimestamp: 0, staleAt: 9000, only: gone)
        #expect(stale.shards.map(\.sampleCount).reduce(0, +) == 3)
        // A series lands in the same shard whatever its value and timestamp.
        let again = encoder.encode(Array("b{x=\"2\"} 7 8000\n".utf8), defaultTimestamp: 0)
        let shardOfB = again.shards.firstIndex { !$0.isEmpty }
        let staleB = encoder.encode(Self.lines, defaultTimestamp: 0, staleAt: 1, only: [first.seriesHashes[1]])
        #expect(staleB.shards.firstIndex { !$0.isEmpty } == shardOfB)
    }

    @Test(
        "answers: 2xx accepted, 5xx and 429 recoverable (after Retry-After), other 4xx rejected",
        arguments: [
            (200, nil, true, RemoteWriteResponse.accepted), (204, nil, true, .accepted),
            (500, nil, true, .recoverable(retryAfter: nil)), (503, "7", true, .recoverable(retryAfter: .seconds(7))),
            (429, "2", true, .recoverable(retryAfter: .seconds(2))), (429, nil, false, .rejected(status: 429)),
            (400, nil, true, .rejected(status: 400)), (404, "3", true, .rejected(status: 404)),
            (502, "Wed, 21 Oct 2015 07:28:00 GMT", true, .recoverable(retryAfter: nil)),
            (503, "86400", true, .recoverable(retryAfter: .seconds(600))),
        ] as [(Int, String?, Bool, RemoteWriteResponse)]
    )
    func classify(status: Int, retryAfter: String?, retry429: Bool, expected: RemoteWriteResponse) {
        #expect(
            RemoteWriteResponse.classify(status: status, retryAfter: retryAfter, retryOnHTTP429: retry429) == expected
        )
    }
}
