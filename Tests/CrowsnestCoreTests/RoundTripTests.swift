import CrowsnestCore
import Foundation
import Testing

@Suite("Round trips on real corpora")
struct RoundTripTests {
    static let textCorpora = [
        "corpora/prometheus-textparse/alltypes.237mfs.prom.txt",
        "corpora/prometheus-textparse/alltypes.237mfs.nometa.prom.txt",
        "corpora/node_exporter/collector/fixtures/e2e-output.txt",
        "corpora/node_exporter/collector/fixtures/e2e-64k-page-output.txt",
        "corpora/prometheus-common-expfmt/expfmt/testdata/text",
    ]

    static let openMetricsCorpora = [
        "corpora/prometheus-textparse/1histogram.om.txt",
        "corpora/prometheus-textparse/alltypes.5mfs.om.txt",
    ]

    static func check(_ bytes: [UInt8], format: ExpositionFormat, name: String) throws {
        let first = try MetricFamily.parse(bytes, format: format, mode: .scrape)
        #expect(!first.isEmpty, "\(name) parsed to nothing")
        let written = ExpositionWriter.write(first, format: format)
        let second = try MetricFamily.parse(written, format: format, mode: .scrape)
        #expect(first.count == second.count, "\(name): family count changed")
        for (a, b) in zip(first, second) {
            #expect(a.isEquivalent(to: b), "\(name): family \(a.name) changed on round trip")
        }
        // write(parse(x)) is a fixed point.
        #expect(
            ExpositionWriter.write(second, format: format) == written,
            "\(name): writer output is not a fixed point"
        )
    }

    @Test("text corpora: parse → write → parse keeps families, samples and values", arguments: textCorpora)
    func textRoundTrip(path: String) throws {
        try Self.check(try TestData.bytes(path), format: .text, name: path)
    }

    @Test("OpenMetrics corpora round-trip", arguments: openMetricsCorpora)
    func openMetricsRoundTrip(path: String) throws {
        try Self.check(try TestData.bytes(path), format: .openMetrics, name: path)
    }

    @Test("every accepted OpenMetrics conformance case round-trips and stays strictly valid")
    func conformanceRoundTrip() throws {
        for testCase in try TestData.openMetricsCases() where testCase.shouldParse {
            let bytes = try TestData.bytes("openmetrics/parsers/\(testCase.name)/metrics")
            try Self.check(bytes, format: .openMetrics, name: testCase.name)
            let written = ExpositionWriter.write(
                try MetricFamily.parse(bytes, format: .openMetrics),
                format: .openMetrics
            )
            #expect(throws: Never.self, "\(testCase.name)") {
                try MetricFamily.parse(written, format: .openMetrics, mode: .strict)
            }
        }
    }

    @Test("node_exporter output is valid in strict text mode")
    func nodeExporterStrict() throws {
        let bytes = try TestData.bytes("corpora/node_exporter/collector/fixtures/e2e-output.txt")
        let families = try MetricFamily.parse(bytes, format: .text, mode: .strict)
        #expect(families.count > 100)
        #expect(families.reduce(0) { $0 + $1.samples.count } > 1000)
    }
}
