import CrowsnestCore
import Testing

/// `hashmod` must give Prometheus' numbers: `md5(value)`, last 8 bytes as a big-endian UInt64, modulo `modulus`.
@Suite("Relabeling: hashmod")
struct RelabelHashmodTests {
    /// The last 8 bytes of a hex MD5 digest as a big-endian UInt64, computed here from the digest text alone.
    private static func lastEightBytes(ofHexDigest hex: String) -> UInt64 {
        let tail = hex.suffix(16)
        return UInt64(tail, radix: 16)!
    }

    /// (value, MD5 hex digest): RFC 1321's test suite plus values used below (digests from an independent MD5).
    static let digests: [(String, String)] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("baz", "73feffa4b7f6bb68e44cf984c85f6e88"),
        ("foo\nbar", "a76999788386641a3ec798554f1fe7e6"),
        ("10.132.183.40:80", "a49f3978a629cdf267d20c50f34f13e0"),
        ("\u{E9}", "66ddcd97cfdeabb2f6fb8a999b4bc76f"),
    ]

    @Test("the arithmetic over the digest, for several moduli")
    func arithmetic() {
        for (value, digest) in Self.digests {
            let expected = Self.lastEightBytes(ofHexDigest: digest)
            for modulus: UInt64 in [1, 2, 3, 7, 16, 1000, 1_000_003, UInt64.max] {
                #expect(Relabeler.hashmod(value, modulus: modulus) == expected % modulus, "\(value) % \(modulus)")
            }
        }
    }

    @Test("the values from Prometheus' relabel_test.go")
    func prometheusVectors() {
        #expect(Relabeler.hashmod("baz", modulus: 1000) == 976)
        #expect(Relabeler.hashmod("foo\nbar", modulus: 1000) == 734)
    }

    @Test("the hashmod action writes the decimal value over the joined source labels")
    func action() throws {
        let relabeler = try Relabeler(rules: [
            RelabelRule(
                sourceLabels: ["cluster", "namespace", "pod", "port"],
                separator: "/",
                targetLabel: "__tmp_shard",
                modulus: 16,
                action: .hashmod
            )
        ])
        let labels: LabelSet = [
            "cluster": "aws-prod-eu", "namespace": "monitoring", "pod": "prometheus-0", "port": "web",
        ]
        // md5("aws-prod-eu/monitoring/prometheus-0/web") = 9081a28fb9bfc1680bb3acce10140eda
        let expected = Self.lastEightBytes(ofHexDigest: "9081a28fb9bfc1680bb3acce10140eda") % 16
        #expect(relabeler.processed(labels)?["__tmp_shard"] == String(expected))
        #expect(expected == 10)
    }
}
