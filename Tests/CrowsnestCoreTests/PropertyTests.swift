import CrowsnestCore
import Testing

/// A small deterministic generator so failures reproduce (the property and regex tests' random inputs). The same as
/// KubeSim's `SplitMix64(state:)`; this target tests the pure core and does not depend on KubeSim.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Parser properties")
struct PropertyTests {
    static let interesting: [UInt8] = Array("{}=\",# \n\t\\_:.+-eE0123456789aZ".utf8) + [0, 0x80, 0xC3, 0xFF]

    /// Parses in every format and mode; only a clean result or an `ExpositionError` may come out.
    static func parseEverywhere(_ bytes: [UInt8]) {
        for format in ExpositionFormat.allCases {
            for mode in [ParseMode.strict, .scrape] {
                _ = try? MetricFamily.parse(bytes, format: format, mode: mode)
            }
            var renderer = ScrapeRenderer()
            _ = try? renderer.render(
                bytes,
                format: format,
                options: ScrapeRenderOptions(targetLabels: [Label("cluster", "c")])
            )
        }
    }

    @Test("random byte strings never crash the parser")
    func randomBytes() {
        var random = SplitMix64(state: 42)
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<200, using: &random)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &random)
                    ? Self.interesting.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            }
            Self.parseEverywhere(bytes)
        }
    }

    @Test("mutated real payloads never crash, and what parses re-writes to a fixed point")
    func mutatedCorpus() throws {
        var random = SplitMix64(state: 7)
        let seeds = try [
            TestData.bytes("corpora/prometheus-textparse/alltypes.5mfs.om.txt"),
            Array(try TestData.bytes("corpora/prometheus-textparse/alltypes.237mfs.prom.txt").prefix(6000)),
            TestData.bytes("openmetrics/parsers/histogram_exemplars/metrics"),
            TestData.bytes("openmetrics/parsers/escaping/metrics"),
        ]
        var parsedCount = 0
        for iteration in 0..<1500 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = Self.interesting.randomElement(using: &random)!
                case 1: bytes.insert(Self.interesting.randomElement(using: &random)!, at: position)
                case 2: bytes.remove(at: position)
                default: bytes.removeSubrange(position...)
                }
            }
            Self.parseEverywhere(bytes)
            for format in ExpositionFormat.allCases {
                guard let families = try? MetricFamily.parse(bytes, format: format, mode: .scrape) else { continue }
                parsedCount += 1
                let written = ExpositionWriter.write(families, format: format)
                let reparsed = try MetricFamily.parse(written, format: format, mode: .scrape)
                #expect(ExpositionWriter.write(reparsed, format: format) == written)
            }
        }
        #expect(parsedCount > 100, "mutations should leave many payloads parseable")
    }

    @Test("generated families survive write → parse unchanged, in both formats")
    func generatedRoundTrip() throws {
        var random = SplitMix64(state: 99)
        let alphabet = Array("ab_:9Zé\\\"\n{},= #".unicodeScalars)
        func text(_ maxLength: Int) -> String {
            String(
                String.UnicodeScalarView(
                    (0..<Int.random(in: 0...maxLength, using: &random)).map { _ in
                        alphabet.randomElement(using: &random)!
                    }
                )
            )
        }
        for _ in 0..<500 {
            let name =
                Bool.random(using: &random) ? "metric_\(Int.random(in: 0..<100, using: &random))" : "weird." + text(6)
            var labels: [Label] = []
            for index in 0..<Int.random(in: 0..<4, using: &random) {
                labels.append(Label(Bool.random(using: &random) ? "l\(index)" : "l.\(index)" + text(3), text(10)))
            }
            let values: [Double] = [
                0, -1.5, 1e300, .infinity, -.infinity, 123_456_789, 0.1, Double.random(in: -1e6...1e6, using: &random),
            ]
            let sample = Sample(
                name: name,
                labels: labels,
                value: values.randomElement(using: &random)!,
                timestampMilliseconds: Bool.random(using: &random)
                    ? Double(Int64.random(in: -1_000_000...2_000_000_000_000, using: &random)) : nil
            )
            let family = MetricFamily(name: name, type: .gauge, help: text(20), samples: [sample])
            for format in ExpositionFormat.allCases {
                let written = ExpositionWriter.write([family], format: format)
                let parsed = try MetricFamily.parse(written, format: format, mode: .strict)
                #expect(parsed.count == 1)
                #expect(parsed[0].samples[0].isEquivalent(to: sample), "\(String(decoding: written, as: UTF8.self))")
                // Text HELP cannot carry leading blanks (parsers skip them); OpenMetrics keeps them.
                let expectedHelp = format == .text ? String(family.help!.drop { $0 == " " || $0 == "\t" }) : family.help
                #expect(parsed[0].help == expectedHelp)
            }
        }
    }
}
