import Testing

@testable import CrowsnestCore

/// The parser takes over what a sample line repeats of the previous one (name, family, suffix, leading label
/// tokens and, in strict mode, their hashes) instead of reading it again. These tests compare every outcome of a
/// parse that does so with one that reads every line in full.
@Suite("Parser: lines repeating the previous line")
struct LineRepetitionTests {
    /// Everything a visitor sees, tokens with their offsets.
    struct Recorder: ExpositionVisitor {
        enum Event: Hashable {
            case metadata(MetadataKind, FamilyToken)
            case sample(SampleToken, [LabelToken], FamilyToken)
        }
        var events: [Event] = []

        mutating func visitMetadata(
            _ kind: MetadataKind,
            family: FamilyToken,
            bytes: UnsafeRawBufferPointer
        )
            throws(ExpositionError)
        {
            events.append(.metadata(kind, family))
        }

        mutating func visitSample(
            _ sample: SampleToken,
            labels: UnsafeBufferPointer<LabelToken>,
            family: FamilyToken,
            bytes: UnsafeRawBufferPointer
        ) throws(ExpositionError) {
            events.append(.sample(sample, Array(labels), family))
        }
    }

    struct Outcome: Equatable {
        var events: [Recorder.Event]
        var errors: [String]
    }

    static func outcome(_ payload: [UInt8], format: ExpositionFormat, mode: ParseMode, repeats: Bool) -> Outcome {
        var parser = ExpositionParser(format: format, mode: mode)
        parser.repeatsPreviousLine = repeats
        var recorder = Recorder()
        let errors = payload.withUnsafeBytes { parser.validate($0, visitor: &recorder, maxErrors: 1000) }
        return Outcome(events: recorder.events, errors: errors.map(\.description))
    }

    /// Checks that `payload` parses the same with and without repetition, in every format and mode; returns how
    /// many (format, mode) combinations accepted it, and how many samples they saw (before and after errors).
    @discardableResult
    static func expectSameOutcome(
        _ payload: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    )
        -> (accepted: Int, samples: Int)
    {
        var accepted = 0
        var samples = 0
        for format in ExpositionFormat.allCases {
            for mode in [ParseMode.strict, .scrape] {
                let repeated = outcome(payload, format: format, mode: mode, repeats: true)
                let full = outcome(payload, format: format, mode: mode, repeats: false)
                #expect(
                    repeated == full,
                    "\(format) \(mode): \(String(decoding: payload, as: UTF8.self).debugDescription)",
                    sourceLocation: sourceLocation
                )
                if full.errors.isEmpty { accepted += 1 }
                for case .sample in full.events { samples += 1 }
            }
        }
        return (accepted, samples)
    }

    static let interesting: [UInt8] = Array("{}=\",# \t\\_:.0123456789aeqz".utf8) + [0x80, 0xC3, 0xFF]

    /// Lines the second line of each pair is made from: names and labels as families write them.
    static let templates = [
        "m{alpha=\"1\",beta=\"two\",gamma=\"3\"} 1",
        "m_bucket{path=\"/api/v1\",le=\"0.5\"} 4",
        "m {a = \"1\" , b=\"2\"} 1 1700000000000",
        "m{a=\"esc\\\"aped\\\\\",b=\"ünï\"} 2",
        "m{\"quoted.name\"=\"x\",b=\"y\"} 3",
        "{\"m\",a=\"1\",b=\"2\"} 5",
        "m_total{a=\"1\"} 1 1.5 # {trace=\"t\"} 1",
        "m{a=\"1\"} 1",
        "m 1",
    ]

    @Test("the second of two lines, changed at any byte, parses as if read in full")
    func everyChangeOfARepeatedLine() {
        var accepted = 0
        for template in Self.templates {
            let first = Array(template.utf8)
            let headers = ["", "# TYPE m counter\n", "# TYPE m histogram\n"]
            for header in headers {
                for position in 0...first.count {
                    var variants: [[UInt8]] = [Array(first[..<position])]  // cut short
                    for byte in Self.interesting where position < first.count {
                        var replaced = first
                        replaced[position] = byte
                        variants.append(replaced)
                    }
                    for byte in "\",} a\\".utf8 {
                        var inserted = first
                        inserted.insert(byte, at: position)
                        variants.append(inserted)
                    }
                    for second in variants {
                        let lines = Array(header.utf8) + first + [0x0A] + second + [0x0A]
                        accepted += Self.expectSameOutcome(lines).accepted
                        accepted += Self.expectSameOutcome(lines + Array("# EOF\n".utf8)).accepted
                    }
                }
            }
        }
        #expect(accepted > 1000, "many variants should be valid somewhere")
    }

    @Test("repeated lines still fail where they must: duplicate series, duplicate and reserved label names")
    func repeatedErrors() throws {
        let rejected = [
            "m{a=\"1\",b=\"2\"} 1\nm{a=\"1\",b=\"2\"} 2\n",  // the same series twice
            "m{a=\"1\",b=\"2\"} 1\nm{a=\"1\",b=\"2\",a=\"3\"} 2\n",  // a repeated name written again
            "m{a=\"1\"} 1\nm{a=\"1\",a=\"1\"} 2\n",
            "m{a=\"1\"} 1\nm{a=\"1\",__name__=\"x\"} 2\n",
            "m{a=\"1\"} 1\nm{a=\"1\"} x\n",  // a bad value after repeated labels
            "m{a=\"1\"} 1\nm{a=\"1\"}\n",  // no value
            "m{a=\"1\"} 1\nm{a=\"1\" 2\n",  // unterminated label set
            // The same line after metadata of another family: a sample of a new implied family `a_total`, whose
            // name clashes with counter `a` (found by the fuzzer: the family and suffix were taken over).
            "# TYPE a counter\na_total{x=\"1\"} 1\n# TYPE b counter\na_total{x=\"1\"} 1\n",
        ]
        for payload in rejected {
            let outcome = Self.outcome(Array(payload.utf8), format: .text, mode: .strict, repeats: true)
            #expect(!outcome.errors.isEmpty, "\(payload.debugDescription)")
            Self.expectSameOutcome(Array(payload.utf8))
        }
        // A histogram whose buckets repeat everything but `le`: valid, and its last bucket must still be +Inf.
        let histogram = """
            # TYPE h histogram
            h_bucket{path="/a",le="1"} 1
            h_bucket{path="/a",le="2"} 2
            h_bucket{path="/a",le="+Inf"} 3
            h_sum{path="/a"} 4
            h_count{path="/a"} 3

            """
        #expect(Self.expectSameOutcome(Array(histogram.utf8)).accepted == 2, "valid text in both modes")
        let noInf = histogram.replacingOccurrences(of: "+Inf", with: "3") + "# EOF\n"
        let noInfOutcome = Self.outcome(Array(noInf.utf8), format: .openMetrics, mode: .strict, repeats: true)
        #expect(noInfOutcome.errors.contains { $0.contains("+Inf") }, "\(noInfOutcome.errors)")
        Self.expectSameOutcome(Array(noInf.utf8))
    }

    @Test("mutated real payloads with repeated lines parse as if read in full")
    func mutatedCorpus() throws {
        var random = SplitMix64(state: 11)
        let seeds = try [
            TestData.bytes("corpora/prometheus-textparse/alltypes.5mfs.om.txt"),
            Array(try TestData.bytes("corpora/prometheus-textparse/alltypes.237mfs.prom.txt").prefix(8000)),
            TestData.bytes("openmetrics/parsers/histogram_exemplars/metrics"),
        ]
        var samples = 0
        for iteration in 0..<600 {
            var lines = seeds[iteration % seeds.count].split(separator: 0x0A, omittingEmptySubsequences: false)
                .map(Array.init)
            // Repeat some lines, some changed at one byte, right after themselves or a few lines later (past
            // metadata of other families), so that lines begin with the bytes of an earlier sample line.
            for _ in 0..<Int.random(in: 1...6, using: &random) where lines.count > 1 {
                let index = Int.random(in: 0..<(lines.count - 1), using: &random)
                var copy = lines[index]
                if !copy.isEmpty && Int.random(in: 0..<3, using: &random) == 0 {
                    copy[Int.random(in: 0..<copy.count, using: &random)] = Self.interesting.randomElement(
                        using: &random
                    )!
                }
                let later = Bool.random(using: &random) ? Int.random(in: 0...3, using: &random) : 0
                lines.insert(copy, at: min(index + 1 + later, lines.count))
            }
            let payload = Array(lines.joined(separator: [0x0A]))
            samples += Self.expectSameOutcome(payload).samples
        }
        #expect(samples > 50_000, "most lines should parse (an error ends only its own line)")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
