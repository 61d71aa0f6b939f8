import CrowsnestCore
import CrowsnestGateway
import Foundation
import Testing

/// The hand-written `WriteRequest` encoder and the snappy compression, proven against the reference decoders
/// (python-snappy, Python's `protobuf` with prompb's `.proto` files): every series, label (escapes, UTF-8, quoted
/// names), value (NaN, infinities, −0, subnormal, hex floats) and timestamp (absent, negative) decodes to what the
/// exposition parser reads from the same lines, and re-serialising the decoded message gives our bytes exactly.
@Suite("Remote write: protobuf and snappy against the reference decoders")
struct RemoteWriteProtobufTests {
    static let lines = """
        up{cluster="east",namespace="ns",pod_name="p"} 1 1700000000000
        http_requests_total{path="/a\\"b\\\\c\\nd",method="GET",cluster="east",code="200"} 1027 1700000000123
        {"my.metric","zz"="x",a="ünïcödé ✓",Z="upper"} 3.5e-3 1700000000000
        nan_metric NaN 1700000000000
        inf_metric{le="+Inf"} +Inf 1700000000000
        neg_inf_metric -Inf 5
        zero_metric 0 1700000000000
        negative_zero -0 1700000000000
        hex_metric 0x1p-3 1700000000001
        tiny_metric 4.9e-324 1700000000002
        huge_metric 1.7976931348623157e308 1700000000003
        without_timestamp 42
        negative_timestamp 7 -1000
        empty_value_label{gone="",kept="k"} 1 1700000000004

        """

    /// What the exposition parser reads from `text`: per sample, its labels sorted by name (with `__name__`, empty
    /// values left out), value bits and timestamp.
    static func expected(_ text: String, defaultTimestamp: Int64) throws -> [([[String]], UInt64, Int64)] {
        try MetricFamily.parse(text, format: .text).flatMap(\.samples).map { sample in
            let labels = ([Label("__name__", sample.name)] + sample.labels).filter { !$0.value.isEmpty }
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }.map { [$0.name, $0.value] }
            return (labels, sample.value.bitPattern, sample.timestampMilliseconds.map { Int64($0) } ?? defaultTimestamp)
        }
    }

    @Test("every sample decodes as the parser reads it, bytes identical to the reference serialisation")
    func samplesDecodeIdentically() async throws {
        let decoder = try await RemoteWriteReferenceDecoder()
        let encoder = RemoteWriteEncoder(shardCount: 1)
        let output = encoder.encode(Array(Self.lines.utf8), defaultTimestamp: 1_700_000_000_999)
        #expect(output.shards[0].sampleCount == 14)
        let decoded = try await decoder.decode([SnappyBlock.compress(output.shards[0].payload)])
        let request = try #require(decoded.first)
        #expect(request.reserialised_identical)
        let expected = try Self.expected(Self.lines, defaultTimestamp: 1_700_000_000_999)
        try #require(request.series.count == expected.count)
        for (series, (labels, bits, timestamp)) in zip(request.series, expected) {
            #expect(series.labels == labels)
            try #require(series.samples.count == 1)
            let value = Double(bitPattern: UInt64(series.samples[0].bits, radix: 16) ?? 0)
            if Double(bitPattern: bits).isNaN {
                #expect(value.isNaN)
            } else {
                #expect(value.bitPattern == bits, "\(labels): \(value) vs \(Double(bitPattern: bits))")
            }
            #expect(series.samples[0].timestamp == timestamp)
        }
    }

    @Test("staleness markers carry Prometheus' stale NaN bits; relabeled series keep sorted labels")
    func staleMarkersAndRelabeling() async throws {
        let decoder = try await RemoteWriteReferenceDecoder()
        let stale = RemoteWriteEncoder(shardCount: 1).encode(
            Array(Self.lines.utf8),
            defaultTimestamp: 1,
            staleAt: 1_700_000_005_000
        )
        let rules = [
            RelabelRule(regex: "zz", action: .labeldrop),
            RelabelRule(sourceLabels: ["__name__"], regex: "nan_metric", action: .drop),
            RelabelRule(targetLabel: "tenant", replacement: "blue"),
        ]
        let relabeled = RemoteWriteEncoder(shardCount: 3, relabeler: try Relabeler(rules: rules)).encode(
            Array(Self.lines.utf8),
            defaultTimestamp: 1
        )
        #expect(relabeled.droppedByRelabeling == 1)
        let bodies = [stale.shards[0].payload] + relabeled.shards.map(\.payload)
        let decoded = try await decoder.decode(bodies.map(SnappyBlock.compress))
        #expect(decoded.allSatisfy { $0.reserialised_identical })
        #expect(decoded[0].series.count == 14)
        for series in decoded[0].series {
            #expect(series.samples.first?.bits == "7ff0000000000002")
            #expect(series.samples.first?.timestamp == 1_700_000_005_000)
        }
        let relabeledSeries = decoded.dropFirst().flatMap(\.series)
        #expect(relabeledSeries.count == 13)
        for series in relabeledSeries {
            let names = series.labels.map { $0[0] }
            #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(names.contains("tenant") && !names.contains("zz"))
        }
        // Spread over shards by series, each series in exactly one.
        #expect(relabeled.shards.filter { !$0.isEmpty }.count > 1)
    }

    @Test("metadata decodes as MetricMetadata; snappy round-trips through python-snappy's format")
    func metadataAndSnappy() async throws {
        let decoder = try await RemoteWriteReferenceDecoder()
        var payload: [UInt8] = []
        WriteRequestEncoding.appendMetadata(
            family: "http_requests",
            type: .counter,
            help: "Requests \"served\" ✓",
            unit: "",
            into: &payload
        )
        WriteRequestEncoding.appendMetadata(
            family: "temperature",
            type: .gauge,
            help: nil,
            unit: "celsius",
            into: &payload
        )
        WriteRequestEncoding.appendMetadata(family: "raw", type: .unknown, help: "", unit: nil, into: &payload)
        let decoded = try await decoder.decode([SnappyBlock.compress(payload)])
        let metadata = try #require(decoded.first?.metadata)
        #expect(decoded.first?.reserialised_identical == true)
        #expect(metadata.map(\.family) == ["http_requests", "temperature", "raw"])
        #expect(metadata.map(\.type) == [1, 2, 0])
        #expect(metadata[0].help == "Requests \"served\" ✓")
        #expect(metadata[1].unit == "celsius")
        // A large, repetitive body compresses, and decompresses back to itself.
        let big = RemoteWriteEncoder(shardCount: 1).encode(
            Array(String(repeating: Self.lines, count: 200).utf8),
            defaultTimestamp: 1
        )
        let compressed = SnappyBlock.compress(big.shards[0].payload)
        #expect(compressed.count * 4 < big.shards[0].payload.count)
        #expect(try SnappyBlock.decompress(compressed) == big.shards[0].payload)
        #expect(throws: SnappyBlock.DecodeError.self) { try SnappyBlock.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1]) }
    }
}
