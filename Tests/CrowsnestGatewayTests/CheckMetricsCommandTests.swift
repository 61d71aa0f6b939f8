import Foundation
import Testing

@Suite("crowsnest check metrics")
struct CheckMetricsCommandTests {
    @Test("a valid payload exits 0 with no output")
    func valid() throws {
        let payload = "# HELP up_total Ups.\n# TYPE up_total counter\nup_total{a=\"b\"} 1\n"
        let result = try CrowsnestBinary.run(["check", "metrics", "-"], input: Data(payload.utf8))
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test("an invalid payload exits 1 with one line:column: reason line per problem")
    func invalid() throws {
        let payload = "good 1\nbad{x=\"1\" 2\nalso bad here\nfine 3\n"
        let result = try CrowsnestBinary.run(["check", "metrics"], input: Data(payload.utf8))
        #expect(result.status == 1)
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 2, "\(result.standardOutput)")
        #expect(lines.first?.hasPrefix("2:") == true)
        #expect(lines.last?.hasPrefix("3:") == true)
    }

    @Test("OpenMetrics is detected by # EOF and checked strictly; --format forces a format")
    func formats() throws {
        let openMetrics = "# TYPE a counter\na_total -1\n# EOF\n"
        let detected = try CrowsnestBinary.run(["check", "metrics"], input: Data(openMetrics.utf8))
        #expect(detected.status == 1)
        #expect(detected.standardOutput.contains("non-negative"))
        let asText = try CrowsnestBinary.run(
            ["check", "metrics", "--format", "openmetrics"],
            input: Data("a 1\n".utf8)
        )
        #expect(asText.status == 1)
        #expect(asText.standardOutput.contains("EOF"))
    }

    @Test("--lint prints advice as warnings without changing the exit status")
    func lint() throws {
        let payload =
            "# TYPE requestCount counter\nrequestCount 1\n# HELP ok_seconds fine\n# TYPE ok_seconds gauge\nok_seconds 1\n"
        let result = try CrowsnestBinary.run(["check", "metrics", "--lint"], input: Data(payload.utf8))
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("warning: 2: requestCount: no help text"))
        #expect(result.standardOutput.contains("camelCase"))
        #expect(result.standardOutput.contains("_total"))
        #expect(!result.standardOutput.contains("ok_seconds"))
    }

    @Test("a missing file and a bad option are usage errors (exit 2)")
    func usageErrors() throws {
        #expect(try CrowsnestBinary.run(["check", "metrics", "/nonexistent/file"]).status == 2)
        #expect(try CrowsnestBinary.run(["check", "metrics", "--format", "xml"]).status == 2)
    }
}
