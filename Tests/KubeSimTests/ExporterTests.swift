import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Simulated exporters")
struct ExporterTests {
    static func sampleLines(_ buffer: ByteBuffer) -> [Substring] {
        String(buffer: buffer).split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    @Test(arguments: [1, 7, 100, 1000, 100_000])
    func exactSeriesCount(series: Int) {
        let exporter = SimulatedExporter(series: series, seed: 42)
        #expect(exporter.seriesCount == series)
        #expect(Self.sampleLines(exporter.render(.text)).count == series)
        #expect(Self.sampleLines(exporter.render(.openMetrics)).count == series)
    }

    @Test func formatsAndTypes() {
        let exporter = SimulatedExporter(series: 500, seed: 1)
        let text = String(buffer: exporter.render(.text))
        for type in ["counter", "gauge", "histogram", "summary"] { #expect(text.contains(" \(type)\n")) }
        #expect(text.contains("le=\"+Inf\""))
        #expect(text.contains("quantile=\"0.99\""))
        let openMetrics = String(buffer: exporter.render(.openMetrics))
        #expect(openMetrics.hasSuffix("# EOF\n"))
        #expect(openMetrics.contains("# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n"))
        #expect(!text.contains("# EOF"))
    }

    @Test func valuesChangeOverTime() {
        let start = Date()
        let exporter = SimulatedExporter(series: 300, seed: 9, startedAt: start)
        let early = Self.values(exporter.render(.text, at: start.addingTimeInterval(10)))
        let late = Self.values(exporter.render(.text, at: start.addingTimeInterval(70)))
        var grew = 0
        for (series, value) in early where series.hasPrefix("http_requests_total") || series.contains("_count") {
            let later = late[series] ?? -1
            #expect(later >= value, "\(series) went down")
            if later > value { grew += 1 }
        }
        #expect(grew > 10)
        // Histogram buckets are cumulative.
        let buckets = late.filter {
            $0.key.hasPrefix("http_request_duration_seconds_bucket{handler=\"/api/v1/endpoint-0\"")
        }
        #expect(buckets.count == 12)
        let inf = buckets.first { $0.key.contains("+Inf") }?.value ?? 0
        #expect(buckets.values.allSatisfy { $0 <= inf })
    }

    static func values(_ buffer: ByteBuffer) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in sampleLines(buffer) {
            guard let space = line.lastIndex(of: " ") else { continue }
            out[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return out
    }

    @Test func negotiation() {
        #expect(ExporterFormat.negotiate(accept: nil) == .text)
        #expect(ExporterFormat.negotiate(accept: "text/plain;version=0.0.4") == .text)
        #expect(
            ExporterFormat.negotiate(
                accept: "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5"
            )
                == .openMetrics
        )
        #expect(ExporterFormat.negotiate(accept: "application/openmetrics-text;q=0.1,text/plain") == .text)
    }
}
