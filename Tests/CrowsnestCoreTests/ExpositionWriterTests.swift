import CrowsnestCore
import Testing

@Suite("Exposition writer and content negotiation")
struct ExpositionWriterTests {
    @Test(
        "an untyped family that would be read as part of the family before it gets a TYPE line",
        arguments: ExpositionFormat.allCases
    )
    func untypedFamilyKeepsItsBoundary(format: ExpositionFormat) throws {
        let untyped = { (name: String, value: Double) in
            MetricFamily(name: name, samples: [Sample(name: name, value: value)])
        }
        let cases: [[MetricFamily]] = [
            [untyped("a", 1), untyped("a", 0)],  // the fuzzer's finding: `#TYPE a untyped` between two `a` lines
            [
                MetricFamily(
                    name: "h",
                    type: .histogram,
                    samples: [
                        Sample(name: "h_bucket", labels: [Label("le", "+Inf")], value: 1),
                        Sample(name: "h_count", value: 1),
                        Sample(name: "h_sum", value: 2),
                    ]
                ),
                untyped("h_count", 5),
            ],
        ]
        for families in cases {
            let written = ExpositionWriter.write(families, format: format)
            let reread = try MetricFamily.parse(written, format: format, mode: .scrape)
            #expect(reread.map(\.name) == families.map(\.name), "\(String(decoding: written, as: UTF8.self))")
            #expect(ExpositionWriter.write(reread, format: format) == written, "writing is a fixed point")
        }
        // Unrelated untyped families stay without metadata.
        let plain = String(
            decoding: ExpositionWriter.write([untyped("a", 1), untyped("b", 2)], format: .text),
            as: UTF8.self
        )
        #expect(plain == "a 1\nb 2\n")
    }

    @Test("canonical escaping and values, text")
    func textGolden() {
        let family = MetricFamily(
            name: "demo_total",
            type: .counter,
            help: "Line one\nback\\slash \"quoted\"",
            samples: [
                Sample(
                    name: "demo_total",
                    labels: [Label("path", "C:\\x\n\"y\"")],
                    value: 3,
                    timestampMilliseconds: 1_700_000_000_123
                ),
                Sample(name: "demo_total", labels: [], value: .nan),
                Sample(name: "demo_total", labels: [Label("le", "+Inf")], value: -.infinity),
                Sample(name: "demo_total", labels: [], value: 0.25),
                Sample(name: "demo_total", labels: [], value: 1e-7),
            ]
        )
        let text = String(decoding: ExpositionWriter.write([family], format: .text), as: UTF8.self)
        #expect(
            text == """
                # HELP demo_total Line one\\nback\\\\slash "quoted"
                # TYPE demo_total counter
                demo_total{path="C:\\\\x\\n\\"y\\""} 3 1700000000123
                demo_total NaN
                demo_total{le="+Inf"} -Inf
                demo_total 0.25
                demo_total 1e-07

                """
        )
    }

    @Test("OpenMetrics output: TYPE, UNIT, HELP with quotes escaped, seconds timestamps, # EOF")
    func openMetricsGolden() {
        let family = MetricFamily(
            name: "job_seconds",
            type: .gauge,
            help: "say \"hi\"",
            unit: "seconds",
            samples: [Sample(name: "job_seconds", value: 1.5, timestampMilliseconds: 1_500)]
        )
        let text = String(decoding: ExpositionWriter.write([family], format: .openMetrics), as: UTF8.self)
        #expect(
            text == """
                # TYPE job_seconds gauge
                # UNIT job_seconds seconds
                # HELP job_seconds say \\"hi\\"
                job_seconds 1.5 1.5
                # EOF

                """
        )
    }

    @Test(
        "content negotiation",
        arguments: [
            (
                "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
                ExpositionFormat.openMetrics
            ),
            ("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5", .text),
            ("application/openmetrics-text", .openMetrics),
            ("application/openmetrics-text;version=2.0.0", .text),
            ("*/*", .text),
            ("", .text),
            ("application/json", .text),
            ("application/openmetrics-text;q=0", .text),
        ]
    )
    func negotiation(accept: String, expected: ExpositionFormat) {
        #expect(ContentNegotiation.negotiate(accept: accept) == expected)
    }
}

@Suite("Writer timestamps")
struct ExpositionWriterTimestampTests {
    @Test("a text timestamp beyond 2^53 ms is written as an integer and parses back (fuzzer finding)")
    func largeTextTimestamp() throws {
        let input = "metric_with_custom_timestamp 1 1441205977285977284\n"
        let families = try MetricFamily.parse(input, format: .text)
        let written = String(decoding: ExpositionWriter.write(families, format: .text), as: UTF8.self)
        #expect(!written.contains("e+"), "\(written)")
        let again = try MetricFamily.parse(written, format: .text)
        #expect(
            again.first?.samples.first?.timestampMilliseconds == families.first?.samples.first?.timestampMilliseconds
        )
    }
}
