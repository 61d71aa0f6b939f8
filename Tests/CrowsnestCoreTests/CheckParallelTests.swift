import Foundation
import Testing

@testable import CrowsnestCore

/// `check metrics` on pieces in parallel must report exactly what the serial check reports.
@Suite("check metrics in parallel pieces")
struct CheckParallelTests {
    /// Runs the serial and the parallel check with every piece count in `pieceCounts`; returns mismatches.
    static func mismatches(
        _ bytes: [UInt8],
        name: String,
        format: ExpositionFormat? = nil,
        pieceCounts: [Int] = [2, 3, 8, 64],
        maxErrors: [Int] = [100]
    ) async -> [String] {
        var problems: [String] = []
        for lint in [false, true] {
            for limit in maxErrors {
                let serial = bytes.withUnsafeBytes {
                    MetricsChecker.check($0, format: format, lint: lint, maxErrors: limit)
                }
                for pieces in pieceCounts {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
                    defer { buffer.deallocate() }
                    buffer.copyBytes(from: bytes)
                    let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<bytes.count])
                    let parallel = await MetricsChecker.check(
                        payload,
                        format: format,
                        lint: lint,
                        maxErrors: limit,
                        pieces: pieces
                    )
                    let label = "\(name) pieces=\(pieces) lint=\(lint) maxErrors=\(limit)"
                    if parallel.format != serial.format { problems.append("\(label): format \(parallel.format)") }
                    if parallel.errors != serial.errors {
                        problems.append(
                            "\(label): errors\n  serial:   \(serial.errors)\n  parallel: \(parallel.errors)"
                        )
                    }
                    if parallel.warnings != serial.warnings {
                        problems.append(
                            "\(label): warnings differ (\(serial.warnings.count) vs \(parallel.warnings.count))"
                        )
                    }
                }
            }
        }
        return problems
    }

    static func cuts(_ bytes: [UInt8], pieces: Int, format: ExpositionFormat) -> [Int] {
        bytes.withUnsafeBytes { CheckChunking.chunks($0, count: pieces, format: format).dropFirst().map(\.start) }
    }

    /// A valid payload of `families` family triples (counter, histogram, gauge), in text or OpenMetrics.
    static func payload(families: Int, openMetrics: Bool = false) -> String {
        var out = ""
        for family in 0..<families {
            let counter = "app_requests_\(family)"
            if openMetrics {
                out += "# HELP \(counter) Requests.\n# TYPE \(counter) counter\n"
            } else {
                out += "# HELP \(counter)_total Requests.\n# TYPE \(counter)_total counter\n"
            }
            for series in 0..<6 {
                out += "\(counter)_total{code=\"\(200 + series)\",path=\"/p/\(family)\"} \(series * 7 + family)\n"
            }
            let histogram = "app_latency_\(family)_seconds"
            out += "# HELP \(histogram) Latency.\n# TYPE \(histogram) histogram\n"
            for route in 0..<2 {
                var cumulative = 0
                for bound in ["0.1", "1", "+Inf"] {
                    cumulative += route + 1
                    out += "\(histogram)_bucket{route=\"r\(route)\",le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "\(histogram)_sum{route=\"r\(route)\"} \(Double(cumulative) * 0.25)\n"
                out += "\(histogram)_count{route=\"r\(route)\"} \(cumulative)\n"
            }
            out += "# TYPE app_temperature_\(family) gauge\napp_temperature_\(family){sensor=\"s\"} \(family).5\n"
        }
        return out + (openMetrics ? "# EOF\n" : "")
    }

    /// The payload's lines with `edit` applied to line `index` (0-based).
    static func editing(_ text: String, line index: Int, _ edit: (String) -> String) -> [UInt8] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[index] = edit(lines[index])
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// 0-based line index of the line starting at byte `offset`.
    static func lineIndex(_ bytes: [UInt8], at offset: Int) -> Int {
        bytes[..<offset].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    @Test("every testdata corpus file: same errors and warnings as the serial check")
    func corpora() async throws {
        let root = TestData.url("corpora")
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var files: [URL] = []
        for case let url as URL in enumerator where !url.hasDirectoryPath && url.lastPathComponent != "LICENSE" {
            files.append(url)
        }
        #expect(files.count > 50)
        var problems: [String] = []
        for url in files.sorted(by: { $0.path < $1.path }) {
            let bytes = [UInt8](try Data(contentsOf: url))
            for format: ExpositionFormat? in [nil, .text, .openMetrics] {
                problems += await Self.mismatches(
                    bytes,
                    name: "\(url.lastPathComponent) \(String(describing: format))",
                    format: format
                )
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        // The big corpora really are cut.
        let alltypes = try TestData.bytes("corpora/prometheus-textparse/alltypes.237mfs.prom.txt")
        #expect(Self.cuts(alltypes, pieces: 8, format: .text).count >= 4)
        let nodeExporter = try TestData.bytes("corpora/node_exporter/collector/fixtures/e2e-output.txt")
        #expect(Self.cuts(nodeExporter, pieces: 8, format: .text).count >= 4)
    }

    @Test("every OpenMetrics conformance case: same errors and warnings as the serial check")
    func openMetricsSuite() async throws {
        var problems: [String] = []
        for testCase in try TestData.openMetricsCases() {
            let bytes = try TestData.bytes("openmetrics/parsers/\(testCase.name)/metrics")
            for format: ExpositionFormat? in [nil, .text, .openMetrics] {
                problems += await Self.mismatches(bytes, name: testCase.name, format: format, pieceCounts: [2, 5, 32])
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
    }

    @Test("valid generated payloads are cut and found valid, text and OpenMetrics")
    func validPayloads() async throws {
        for openMetrics in [false, true] {
            let bytes = Array(Self.payload(families: 60, openMetrics: openMetrics).utf8)
            let format: ExpositionFormat = openMetrics ? .openMetrics : .text
            #expect(Self.cuts(bytes, pieces: 8, format: format).count >= 6)
            let problems = await Self.mismatches(bytes, name: "generated openMetrics=\(openMetrics)")
            #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "\n"))")
            let serial = bytes.withUnsafeBytes { MetricsChecker.check($0, format: nil, lint: false) }
            #expect(serial.errors.isEmpty, "\(serial.errors.prefix(3))")
        }
    }

    @Test("errors at, just before and just after every cut give the serial errors")
    func errorsNearCuts() async throws {
        for openMetrics in [false, true] {
            let text = Self.payload(families: 24, openMetrics: openMetrics)
            let original = Array(text.utf8)
            let format: ExpositionFormat = openMetrics ? .openMetrics : .text
            let cuts = Self.cuts(original, pieces: 6, format: format)
            #expect(cuts.count >= 4)
            let edits: [(String, (String) -> String)] = [
                ("bad value", { $0.hasPrefix("#") ? $0 : $0 + "x" }),
                ("bad line", { _ in "this is not a sample" }),
                ("duplicated line", { $0 + "\n" + $0 }),
                ("type change", { $0.replacingOccurrences(of: "# TYPE app_requests_", with: "# TYPE app_requestz_") }),
                ("blank", { _ in "" }),
                ("eof", { _ in "# EOF" }),
            ]
            var problems: [String] = []
            for cut in cuts {
                let cutLine = Self.lineIndex(original, at: cut)
                for line in max(0, cutLine - 2)...(cutLine + 1) {
                    for (name, edit) in edits {
                        let bytes = Self.editing(text, line: line, edit)
                        problems += await Self.mismatches(
                            bytes,
                            name: "\(name) at line \(line + 1) (cut before line \(cutLine + 1)) om=\(openMetrics)",
                            pieceCounts: [6, 16],
                            maxErrors: [1, 100]
                        )
                    }
                }
            }
            #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "\n"))")
        }
    }

    @Test("a family repeated in another piece, and names claimed across pieces, are reported as serially")
    func crossPieceClashes() async throws {
        for openMetrics in [false, true] {
            let format: ExpositionFormat = openMetrics ? .openMetrics : .text
            let separator = "# HELP app_requests_"
            let families = Self.payload(families: 30, openMetrics: openMetrics).components(separatedBy: separator)
            // Family 2's counter again near the end: a second group of one family in a later piece.
            let counter = openMetrics ? "2" : "2_total"
            let repeated =
                "\(counter) Again.\n# TYPE app_requests_\(counter) counter\napp_requests_2_total{code=\"500\"} 1\n"
            var withRepeat = families
            withRepeat.insert(repeated, at: families.count - 2)
            // A gauge early on named like the `_count` series of a summary in a later piece.
            var withClaim = families
            withClaim[1] += "# TYPE app_latency_1_seconds_extra_count gauge\napp_latency_1_seconds_extra_count 1\n"
            withClaim[families.count / 2] +=
                "# TYPE app_latency_1_seconds_extra summary\napp_latency_1_seconds_extra_sum 1\n"
                + "app_latency_1_seconds_extra_count 2\n"
            var problems: [String] = []
            for (name, variant) in [("repeated family", withRepeat), ("claimed name", withClaim)] {
                let bytes = Array(variant.joined(separator: separator).utf8)
                let serial = bytes.withUnsafeBytes { MetricsChecker.check($0, format: format, lint: false) }
                #expect(!serial.errors.isEmpty, "\(name) om=\(openMetrics) should be invalid")
                problems += await Self.mismatches(
                    bytes,
                    name: "\(name) om=\(openMetrics)",
                    format: format,
                    pieceCounts: [2, 4, 8, 16]
                )
            }
            #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "\n"))")
        }
    }

    @Test("small payloads stay on one piece; big ones get one piece per 2 MiB, at least a few per processor")
    func pieceCounts() {
        #expect(MetricsChecker.pieceCount(byteCount: 1 << 20, processors: 8) == 1)
        #expect(MetricsChecker.pieceCount(byteCount: 100 << 20, processors: 1) == 1)
        #expect(MetricsChecker.pieceCount(byteCount: 100 << 20, processors: 2) == 50)
        #expect(MetricsChecker.pieceCount(byteCount: 100 << 20, processors: 64) == 100)  // at least 1 MiB each
        #expect(MetricsChecker.pieceCount(byteCount: 5 << 20, processors: 2) == 5)
        #expect(MetricsChecker.pieceCount(byteCount: 12 << 20, processors: 2) == 8)
        #expect(MetricsChecker.pieceCount(byteCount: 4 << 30, processors: 2) == 1024)
    }
}
