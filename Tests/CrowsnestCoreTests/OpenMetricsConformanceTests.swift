import CrowsnestCore
import Testing

@Suite("OpenMetrics conformance suite")
struct OpenMetricsConformanceTests {
    @Test("every good case parses and every bad case is rejected, in strict OpenMetrics mode")
    func conformance() throws {
        let cases = try TestData.openMetricsCases()
        #expect(cases.filter(\.shouldParse).count == 44)
        #expect(cases.filter { !$0.shouldParse }.count == 167)
        var wrong: [String] = []
        for testCase in cases {
            let bytes = try TestData.bytes("openmetrics/parsers/\(testCase.name)/metrics")
            do {
                _ = try MetricFamily.parse(bytes, format: .openMetrics, mode: .strict)
                if !testCase.shouldParse { wrong.append("\(testCase.name): accepted but must fail") }
            } catch {
                if testCase.shouldParse { wrong.append("\(testCase.name): rejected: \(error)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) cases wrong:\n\(wrong.joined(separator: "\n"))")
    }

    @Test("good cases also parse in scrape mode")
    func goodCasesScrapeMode() throws {
        for testCase in try TestData.openMetricsCases() where testCase.shouldParse {
            let bytes = try TestData.bytes("openmetrics/parsers/\(testCase.name)/metrics")
            #expect(throws: Never.self, "\(testCase.name)") {
                try MetricFamily.parse(bytes, format: .openMetrics, mode: .scrape)
            }
        }
    }
}
