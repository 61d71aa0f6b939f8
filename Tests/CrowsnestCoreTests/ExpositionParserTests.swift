import CrowsnestCore
import Foundation
import Testing

@Suite("Exposition parser")
struct ExpositionParserTests {
    @Test("text: labels, escapes, timestamps, NaN and infinities")
    func textBasics() throws {
        let payload = """
            # HELP http_requests_total Total requests.\\nSecond line with \\\\ backslash.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400"}    3 1395066363000
            # A comment that is ignored
            msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
            metric_without_timestamp_and_labels 12.47
            something_weird{problem="division by zero"} +Inf -3982045
            nan_value NaN

            """
        let families = try MetricFamily.parse(payload, format: .text, mode: .strict)
        #expect(
            families.map(\.name) == [
                "http_requests_total", "msdos_file_access_time_seconds", "metric_without_timestamp_and_labels",
                "something_weird", "nan_value",
            ]
        )
        let requests = families[0]
        #expect(requests.type == .counter)
        #expect(requests.help == "Total requests.\nSecond line with \\ backslash.")
        #expect(requests.samples[1].labels == [Label("method", "post"), Label("code", "400")])
        #expect(requests.samples[1].value == 3)
        #expect(requests.samples[1].timestampMilliseconds == 1_395_066_363_000)
        #expect(families[1].samples[0].label("path") == "C:\\DIR\\FILE.TXT")
        #expect(families[1].samples[0].label("error") == "Cannot find file:\n\"FILE.TXT\"")
        #expect(families[1].samples[0].value == 1.458255915e9)
        #expect(families[3].samples[0].value == .infinity)
        #expect(families[3].samples[0].timestampMilliseconds == -3_982_045)
        #expect(families[4].samples[0].value.isNaN)
    }

    @Test("quoted UTF-8 metric and label names")
    func quotedNames() throws {
        let text = """
            # TYPE "my.dotted.metric" gauge
            {"my.dotted.metric","label.with.dots"="x",plain="y"} 1
            {"only.name"} 2

            """
        for format in [ExpositionFormat.text, .openMetrics] {
            let payload = format == .text ? text : text + "# EOF\n"
            let families = try MetricFamily.parse(payload, format: format, mode: .strict)
            #expect(families.map(\.name) == ["my.dotted.metric", "only.name"])
            #expect(families[0].type == .gauge)
            #expect(families[0].samples[0].labels == [Label("label.with.dots", "x"), Label("plain", "y")])
            let written = ExpositionWriter.write(families, format: format)
            let again = try MetricFamily.parse(written, format: format, mode: .strict)
            #expect(again == families)
        }
    }

    @Test("OpenMetrics timestamps are seconds, exemplars and UNIT are read")
    func openMetricsSpecifics() throws {
        let payload = """
            # TYPE rpc_seconds histogram
            # UNIT rpc_seconds seconds
            # HELP rpc_seconds RPC latency.
            rpc_seconds_bucket{le="0.5"} 3 1520879607.789 # {trace_id="abc"} 0.3 1520879607.7
            rpc_seconds_bucket{le="+Inf"} 5 1520879607.789
            rpc_seconds_count 5 1520879607.789
            rpc_seconds_sum 1.5 1520879607.789
            # EOF

            """
        let families = try MetricFamily.parse(payload, format: .openMetrics, mode: .strict)
        #expect(families.count == 1)
        #expect(families[0].unit == "seconds")
        #expect(families[0].type == .histogram)
        #expect(families[0].samples[0].timestampMilliseconds == 1_520_879_607_789)
    }

    @Test(
        "errors carry line, column and reason",
        arguments: [
            ("a 1\nb{c=\"d\" 2\n", ExpositionFormat.text, 2, 9),
            ("a 1\nb 1 2 3\n", .text, 2, 7),
            ("ok 1\n@bad 1\n", .text, 2, 1),
            ("a{x=\"1\",x=\"2\"} 1\n", .text, 1, 9),
            ("a 1\n", .openMetrics, 1, 0),
            ("a  1\n# EOF\n", .openMetrics, 1, 3),
            ("a{b=\"\u{FF}\"} 1\n", .text, 1, 6),
        ]
    )
    func errorPositions(payload: String, format: ExpositionFormat, line: Int, column: Int) {
        var bytes = Array(payload.utf8)
        if payload.contains("\u{FF}") {
            // Plant a lone 0xFF byte: invalid UTF-8.
            bytes = Array("a{b=\"".utf8) + [0xFF] + Array("\"} 1\n".utf8)
        }
        do {
            _ = try MetricFamily.parse(bytes, format: format, mode: .scrape)
            Issue.record("accepted \(payload.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(!error.reason.isEmpty)
            #expect(error.description.hasPrefix("\(line):\(column): "))
        }
    }

    @Test("strict text mode rejects what Prometheus' strict parser rejects")
    func strictText() {
        let rejected = [
            "# HELP m one\n# HELP m two\n",
            "# TYPE m counter\n# TYPE m gauge\n",
            "m 1\n# TYPE m counter\n",
            "a 1\nb 1\na 2\n",
            "m{x=\"1\"} 1\nm{x=\"1\"} 2\n",
            "# TYPE h histogram\nh_bucket 1\n",
            "# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
            "# TYPE s summary\ns 1\n",
            "# TYPE s summary\ns{quantile=\"1.5\"} 1\n",
            "m{a=\"\\t\"} 1\n",
            "m{__name__=\"x\"} 1\n",
            "m 1",
        ]
        for payload in rejected {
            #expect(throws: ExpositionError.self, "\(payload.debugDescription)") {
                try MetricFamily.parse(payload, format: .text, mode: .strict)
            }
        }
        // The same payloads are tolerated in scrape mode where Prometheus' scrape parser tolerates them.
        for payload in rejected.prefix(5) + ["m{a=\"\\t\"} 1\n", "m 1"] {
            #expect(throws: Never.self, "\(payload.debugDescription)") {
                try MetricFamily.parse(payload, format: .text, mode: .scrape)
            }
        }
    }

    @Test("label names equal to the previous line's: duplicates, prefixes and reorders still caught")
    func previousLineLabelNames() throws {
        // The parser takes a label name the previous sample line had in the same place without rescanning it;
        // every way the new line can differ must still be read exactly.
        let first = "m{alpha=\"1\",beta=\"2\",gamma=\"3\"} 1\n"
        let duplicates = [
            "m{alpha=\"1\",alpha=\"2\"} 2\n",
            "m{alpha=\"1\",beta=\"2\",alpha=\"3\"} 2\n",
            "m{alpha=\"1\",beta=\"2\",gamma=\"3\",beta=\"4\"} 2\n",
            "m{beta=\"1\",beta=\"2\"} 2\n",
        ]
        for second in duplicates {
            for mode in [ParseMode.strict, .scrape] {
                #expect(throws: ExpositionError.self, "\(second.debugDescription) \(mode)") {
                    try MetricFamily.parse(first + second, format: .text, mode: mode)
                }
            }
        }
        let accepted = [
            "m{alphabet=\"1\",beta=\"2\",gamma=\"3\"} 2\n",  // the old name is a prefix of the new one
            "m{alph=\"1\",beta=\"2\"} 2\n",  // the new name is a prefix of the old one
            "m{gamma=\"1\",beta=\"2\",alpha=\"3\"} 2\n",  // same names, another order (another series)
            "m{alpha=\"9\",beta=\"2\",gamma=\"3\",delta=\"4\"} 2\n",  // one more label
            "m{alpha = \"9\"} 2\n",  // blanks around `=` (text)
        ]
        for second in accepted {
            let families = try MetricFamily.parse(first + second, format: .text, mode: .strict)
            let labels = families.flatMap(\.samples).last?.labels ?? []
            let expected = try MetricFamily.parse(second, format: .text, mode: .strict).flatMap(\.samples).last?.labels
            #expect(labels == expected, "\(second.debugDescription)")
        }
        // Same label set in another order is the same series: a duplicate in strict mode.
        #expect(throws: ExpositionError.self) {
            try MetricFamily.parse(first + "m{gamma=\"3\",alpha=\"1\",beta=\"2\"} 2\n", format: .text, mode: .strict)
        }
    }

    @Test("quoted values are read exactly around eight-byte words: escapes, quotes, UTF-8, the payload's end")
    func quotedValueWords() throws {
        // Values of every length up to 20 with a quote, backslash or non-ASCII byte at every position.
        for length in 0...20 {
            for position in 0..<max(length, 1) {
                for special in ["\\\"", "\\\\", "\\n", "é", "€"] {
                    var characters = [String](repeating: "v", count: length)
                    if length > 0 { characters[position] = special }
                    let value = characters.joined()
                    let payload = "m{a=\"\(value)\",b=\"x\"} 1\n"
                    let sample = try #require(
                        try MetricFamily.parse(payload, format: .text, mode: .strict).first?.samples.first
                    )
                    let expected = value.replacingOccurrences(of: "\\\"", with: "\"")
                        .replacingOccurrences(of: "\\\\", with: "\\").replacingOccurrences(of: "\\n", with: "\n")
                    let a = sample.labels.first(where: { $0.name == "a" })?.value
                    let b = sample.labels.first(where: { $0.name == "b" })?.value
                    #expect(a == expected, "\(payload.debugDescription)")
                    #expect(b == "x")
                }
            }
            // Unterminated at the payload's very end, where fewer than eight bytes remain.
            let open = "m{a=\"" + String(repeating: "v", count: length)
            #expect(throws: ExpositionError.self, "\(open.debugDescription)") {
                try MetricFamily.parse(open, format: .text, mode: .scrape)
            }
            // A quote only on the next line does not close the value.
            #expect(throws: ExpositionError.self) {
                try MetricFamily.parse(open + "\nm{a=\"x\"} 1\n", format: .text, mode: .scrape)
            }
        }
        // Invalid UTF-8 after a run of ASCII is still refused.
        var bytes = Array("m{a=\"abcdefghij".utf8)
        bytes.append(0xFF)
        bytes.append(contentsOf: "\"} 1\n".utf8)
        #expect(throws: ExpositionError.self) { try MetricFamily.parse(bytes, format: .text, mode: .scrape) }
        // Also when the invalid byte follows a backslash, early or late in a word.
        for prefix in ["", "abcdefghij"] {
            var escapedBytes = Array("m{a=\"\(prefix)\\".utf8)
            escapedBytes.append(0xFF)
            escapedBytes.append(contentsOf: "x\"} 1\n".utf8)
            #expect(throws: ExpositionError.self) { try MetricFamily.parse(escapedBytes, format: .text, mode: .scrape) }
        }
        // An escaped valid multi-byte character is accepted in scrape mode.
        let kept = try MetricFamily.parse("m{a=\"\\é\"} 1\n", format: .text, mode: .scrape)
        #expect(kept.first?.samples.count == 1)
    }

    @Test("prometheus/common expfmt fuzz corpus: valid inputs parse, error inputs fail in strict mode")
    func expfmtCorpus() throws {
        let directory = TestData.url("corpora/prometheus-common-expfmt/expfmt/fuzz/corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count > 20)
        for name in names {
            let bytes = try TestData.bytes("corpora/prometheus-common-expfmt/expfmt/fuzz/corpus/\(name)")
            if name.hasPrefix("from_test_parse_error_") {
                #expect(throws: ExpositionError.self, "\(name)") {
                    try MetricFamily.parse(bytes, format: .text, mode: .strict)
                }
            } else {
                #expect(throws: Never.self, "\(name)") { try MetricFamily.parse(bytes, format: .text, mode: .scrape) }
            }
        }
    }

    @Test("limits: samples, labels, label name and value lengths, body size")
    func limits() {
        let payload = Array("a{x=\"1\",y=\"22\"} 1\nb 2\nc 3\n".utf8)
        func parse(_ limits: ExpositionLimits) throws(ExpositionError) {
            _ = try MetricFamily.parse(payload, format: .text, mode: .scrape, limits: limits)
        }
        #expect(throws: Never.self) { try parse(ExpositionLimits(sampleLimit: 3, labelLimit: 2)) }
        for limits in [
            ExpositionLimits(sampleLimit: 2), ExpositionLimits(labelLimit: 1),
            ExpositionLimits(labelValueLengthLimit: 1), ExpositionLimits(labelNameLengthLimit: 0, bodySizeLimit: 10),
        ] {
            do {
                try parse(limits)
                Issue.record("limits \(limits) not enforced")
            } catch {
                #expect(error.code == .limit)
            }
        }
    }

    @Test("format detection and content types")
    func formats() {
        #expect(ExpositionFormat.detect(Array("a 1\n# EOF\n".utf8)) == .openMetrics)
        #expect(ExpositionFormat.detect(Array("a 1\n".utf8)) == .text)
        #expect(ExpositionFormat.fromContentType("application/openmetrics-text; version=1.0.0") == .openMetrics)
        #expect(ExpositionFormat.fromContentType("text/plain; version=0.0.4") == .text)
        #expect(ExpositionFormat.fromContentType(nil) == .text)
    }
}
