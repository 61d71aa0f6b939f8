import CrowsnestCore
import Foundation
import Testing

@Suite("Family merger")
struct FamilyMergerTests {
    /// Merges parsed sources and renders the merged exposition in text.
    static func mergeAndRender(_ sources: [[MetricFamily]]) -> [MetricFamily] {
        let groups = FamilyMerger.merge(
            sources.map { $0.map { FamilyMetadata(name: $0.name, type: $0.type, help: $0.help) } }
        )
        return groups.map { group in
            var family = MetricFamily(name: group.name, type: group.type, help: group.help)
            for member in group.members {
                let samples = sources[member.source][member.family].samples
                family.samples += samples.filter { group.sampleNameFilter == nil || $0.name == group.sampleNameFilter }
            }
            return family
        }
    }

    static func textfileSources(_ fixture: String) throws -> [[MetricFamily]] {
        let directory = TestData.url("corpora/node_exporter/collector/fixtures/textfile/\(fixture)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".prom") }
            .sorted()
        return try files.map {
            try MetricFamily.parse(
                try TestData.bytes("corpora/node_exporter/collector/fixtures/textfile/\(fixture)/\($0)"),
                format: .text
            )
        }
    }

    /// The expected output's families, without node_exporter's own textfile metrics.
    static func expected(_ fixture: String) throws -> [MetricFamily] {
        try MetricFamily.parse(
            try TestData.bytes("corpora/node_exporter/collector/fixtures/textfile/\(fixture).out"),
            format: .text
        )
        .filter { !$0.name.hasPrefix("node_textfile_") }
    }

    /// Series as (name, labels without empty values, value), order-independent.
    static func series(_ families: [MetricFamily]) -> Set<String> {
        Set(
            families.flatMap { family in
                family.samples.map { sample in
                    "\(sample.name)\(LabelSet(sample.labels.filter { !$0.value.isEmpty })) \(sample.value)"
                }
            }
        )
    }

    @Test(
        "node_exporter fixtures without conflicts: same families, HELP, TYPE and series as node_exporter",
        arguments: [
            "different_metric_types", "inconsistent_metrics", "metrics_merge_same_help", "metrics_merge_empty_help",
            "metrics_merge_no_help", "two_metric_files", "histogram", "summary",
        ]
    )
    func agreesWithNodeExporter(fixture: String) throws {
        let merged = Self.mergeAndRender(try Self.textfileSources(fixture))
        let expected = try Self.expected(fixture)
        #expect(merged.map(\.name) == expected.map(\.name))
        #expect(merged.map(\.type) == expected.map(\.type))
        #expect(Self.series(merged) == Self.series(expected))
        for (ours, theirs) in zip(merged, expected)
        where !(theirs.help ?? "Metric read from").hasPrefix("Metric read from") {
            #expect(ours.help == theirs.help, "\(ours.name)")
        }
    }

    @Test("different HELP texts: first HELP wins and, unlike node_exporter, no source is dropped")
    func differentHelp() throws {
        let sources = try Self.textfileSources("metrics_merge_different_help")
        let merged = Self.mergeAndRender(sources)
        #expect(merged.count == 1)
        #expect(merged[0].help == "A nice help message.")
        #expect(merged[0].samples.count == 4)  // node_exporter keeps 2 and reports an error
        #expect(Set(merged[0].samples.compactMap { $0.label("file") }) == ["a", "b"])
    }

    @Test("TYPE conflict: the group is demoted to untyped families per sample name, nothing lost, deterministic")
    func typeConflict() throws {
        let histogram = try MetricFamily.parse(
            "# TYPE x histogram\nx_bucket{le=\"+Inf\"} 2\nx_sum 3\nx_count 2\n",
            format: .text
        )
        let gauge = try MetricFamily.parse("# TYPE x gauge\nx{pod=\"b\"} 7\n", format: .text)
        let forward = Self.mergeAndRender([histogram, gauge])
        let backward = Self.mergeAndRender([gauge, histogram])
        #expect(forward.map(\.name) == ["x", "x_bucket", "x_count", "x_sum"])
        #expect(forward.allSatisfy { $0.type == .unknown })
        #expect(forward.map(\.name) == backward.map(\.name))
        #expect(Self.series(forward) == Self.series(backward))
        #expect(forward.reduce(0) { $0 + $1.samples.count } == 4)
        let written = ExpositionWriter.write(forward, format: .text)
        #expect(throws: Never.self) { try MetricFamily.parse(written, format: .text, mode: .strict) }
    }

    @Test("suffix collision: histogram x and gauge x_count are both demoted and x_count merges")
    func suffixCollision() throws {
        let histogram = try MetricFamily.parse(
            "# TYPE x histogram\nx_bucket{le=\"+Inf\"} 2\nx_sum 3\nx_count 2\n",
            format: .text
        )
        let gauge = try MetricFamily.parse("# TYPE x_count gauge\nx_count{pod=\"b\"} 7\n", format: .text)
        let merged = Self.mergeAndRender([histogram, gauge])
        #expect(merged.map(\.name) == ["x_bucket", "x_count", "x_sum"])
        #expect(merged.first { $0.name == "x_count" }?.samples.count == 2)
        let written = ExpositionWriter.write(merged, format: .text)
        #expect(throws: Never.self) { try MetricFamily.parse(written, format: .text, mode: .strict) }
    }

    @Test("OpenMetrics conversion: counter x_total beside gauge x is emitted as unknown, output strictly valid")
    func openMetricsConversion() throws {
        let families = try MetricFamily.parse(
            """
            # TYPE x gauge
            x 1
            # TYPE x_total counter
            x_total 2
            # TYPE y_total counter
            y_total 3
            # TYPE z counter
            z 4
            # TYPE neg_total counter
            neg_total -1
            # TYPE h histogram
            h_bucket{le="+Inf"} 2
            h_bucket{le="1"} 1
            h_count 2
            h_sum 1.5
            # TYPE s summary
            s{quantile="0.5"} -3
            s_sum -3
            s_count 1

            """,
            format: .text
        )
        let converted = OpenMetricsConversion.convert(families)
        let byName = Dictionary(uniqueKeysWithValues: converted.map { ($0.name, $0.type) })
        #expect(byName["x"] == .gauge)
        #expect(byName["x_total"] == .unknown)
        #expect(byName["y"] == .counter)
        #expect(byName["z"] == .unknown)
        #expect(byName["neg_total"] == .unknown)
        #expect(byName["h"] == .histogram)
        #expect(byName["s"] == .unknown && byName["s_sum"] == .unknown)
        let written = ExpositionWriter.write(converted, format: .openMetrics)
        let reparsed = try MetricFamily.parse(written, format: .openMetrics, mode: .strict)
        #expect(reparsed.reduce(0) { $0 + $1.samples.count } == families.reduce(0) { $0 + $1.samples.count })
    }

    @Test("real corpora convert to strictly valid OpenMetrics")
    func corporaToOpenMetrics() throws {
        for path in RoundTripTests.textCorpora {
            let families = try MetricFamily.parse(try TestData.bytes(path), format: .text)
            let merged = Self.mergeAndRender([families])
            let written = ExpositionWriter.write(OpenMetricsConversion.convert(merged), format: .openMetrics)
            #expect(throws: Never.self, "\(path)") {
                try MetricFamily.parse(written, format: .openMetrics, mode: .strict)
            }
        }
    }
}
