/// Protobuf encoding of remote-write 1.0's `prometheus.WriteRequest`, written by hand on the hot path.
///
/// The messages (`prompb/remote.proto`, `prompb/types.proto`):
/// `WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }`,
/// `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }`,
/// `Label { string name = 1; string value = 2; }`, `Sample { double value = 1; int64 timestamp = 2; }`,
/// `MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }`.
///
/// A `WriteRequest` is the concatenation of its fields, so each series is encoded once as a *fragment* (field 1's
/// tag, length and `TimeSeries` bytes) and any run of fragments is a valid request body: queues, the disk buffer
/// and batches hold fragments and never re-encode. Fields are written in field-number order and proto3 default
/// values (a `0.0` value, a `0` timestamp, an empty string) are left out, as the reference encoders do, so the
/// bytes equal the reference serialisation (the Python `protobuf` tests check it).
public enum WriteRequestEncoding {
    /// Prometheus' staleness marker: a NaN with this exact bit pattern ends a series in the receiver.
    public static let staleNaNBits: UInt64 = 0x7ff0_0000_0000_0002

    /// The staleness marker as a value.
    public static var staleNaN: Double { Double(bitPattern: staleNaNBits) }

    /// The bytes of a base-128 varint.
    @inline(__always)
    static func varintLength(_ value: UInt64) -> Int {
        var length = 1
        var rest = value >> 7
        while rest != 0 {
            length += 1
            rest >>= 7
        }
        return length
    }

    /// Appends a base-128 varint.
    @inline(__always)
    static func appendVarint(_ value: UInt64, into out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// The encoded size of a `Label` message's content.
    @inline(__always)
    static func labelLength(nameCount: Int, valueCount: Int) -> Int {
        (nameCount > 0 ? 1 + varintLength(UInt64(nameCount)) + nameCount : 0)
            + (valueCount > 0 ? 1 + varintLength(UInt64(valueCount)) + valueCount : 0)
    }

    /// The encoded size of a `Sample` message's content.
    @inline(__always)
    static func sampleLength(value: Double, timestamp: Int64) -> Int {
        (value.bitPattern != 0 ? 9 : 0) + (timestamp != 0 ? 1 + varintLength(UInt64(bitPattern: timestamp)) : 0)
    }

    /// Where one label's name and value sit in an arena of bytes.
    public struct LabelRanges: Sendable, Hashable {
        /// The name's UTF-8 bytes.
        public var name: Range<Int>
        /// The value's UTF-8 bytes.
        public var value: Range<Int>

        /// Creates ranges.
        public init(name: Range<Int>, value: Range<Int>) {
            self.name = name
            self.value = value
        }
    }

    /// Appends one series with one sample as a `WriteRequest` fragment.
    ///
    /// - Parameters:
    ///   - arena: the bytes `labels` point into.
    ///   - labels: the series' labels, sorted by name (`__name__` among them).
    ///   - sampleValue: the sample's value.
    ///   - timestamp: the sample's timestamp, milliseconds since the epoch.
    ///   - out: where the fragment goes.
    public static func appendTimeSeries(
        arena: UnsafeRawBufferPointer,
        labels: UnsafeBufferPointer<LabelRanges>,
        sampleValue: Double,
        timestamp: Int64,
        into out: inout [UInt8]
    ) {
        var seriesLength = 0
        for label in labels {
            let length = labelLength(nameCount: label.name.count, valueCount: label.value.count)
            seriesLength += 1 + varintLength(UInt64(length)) + length
        }
        let sample = sampleLength(value: sampleValue, timestamp: timestamp)
        seriesLength += 1 + varintLength(UInt64(sample)) + sample
        out.append(0x0A)
        appendVarint(UInt64(seriesLength), into: &out)
        for label in labels {
            out.append(0x0A)
            appendVarint(UInt64(labelLength(nameCount: label.name.count, valueCount: label.value.count)), into: &out)
            if !label.name.isEmpty {
                out.append(0x0A)
                appendVarint(UInt64(label.name.count), into: &out)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: arena[label.name]))
            }
            if !label.value.isEmpty {
                out.append(0x12)
                appendVarint(UInt64(label.value.count), into: &out)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: arena[label.value]))
            }
        }
        out.append(0x12)
        appendVarint(UInt64(sample), into: &out)
        if sampleValue.bitPattern != 0 {
            out.append(0x09)
            withUnsafeBytes(of: sampleValue.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        if timestamp != 0 {
            out.append(0x10)
            appendVarint(UInt64(bitPattern: timestamp), into: &out)
        }
    }

    /// Appends one series with one sample as a `WriteRequest` fragment, labels given as ``Label`` values sorted by
    /// name (a ``LabelSet``'s order).
    public static func appendTimeSeries(
        labels: [Label],
        sampleValue: Double,
        timestamp: Int64,
        into out: inout [UInt8]
    ) {
        var arena: [UInt8] = []
        var ranges: [LabelRanges] = []
        ranges.reserveCapacity(labels.count)
        for label in labels {
            let nameStart = arena.count
            arena.append(contentsOf: label.name.utf8)
            let valueStart = arena.count
            arena.append(contentsOf: label.value.utf8)
            ranges.append(LabelRanges(name: nameStart..<valueStart, value: valueStart..<arena.count))
        }
        arena.withUnsafeBytes { arena in
            ranges.withUnsafeBufferPointer { ranges in
                appendTimeSeries(
                    arena: arena,
                    labels: ranges,
                    sampleValue: sampleValue,
                    timestamp: timestamp,
                    into: &out
                )
            }
        }
    }

    /// The `MetricMetadata.MetricType` number of a family type.
    static func metadataType(_ type: MetricType) -> UInt64 {
        switch type {
        case .unknown: 0
        case .counter: 1
        case .gauge: 2
        case .histogram: 3
        case .gaugeHistogram: 4
        case .summary: 5
        case .info: 6
        case .stateSet: 7
        }
    }

    /// Appends one `MetricMetadata` as a `WriteRequest` field-3 fragment, as Prometheus sends family metadata.
    public static func appendMetadata(
        family: String,
        type: MetricType,
        help: String?,
        unit: String?,
        into out: inout [UInt8]
    ) {
        var body: [UInt8] = []
        let typeNumber = metadataType(type)
        if typeNumber != 0 {
            body.append(0x08)
            appendVarint(typeNumber, into: &body)
        }
        for (tag, text) in [(UInt8(0x12), family), (0x22, help ?? ""), (0x2A, unit ?? "")] where !text.isEmpty {
            body.append(tag)
            appendVarint(UInt64(text.utf8.count), into: &body)
            body.append(contentsOf: text.utf8)
        }
        out.append(0x1A)
        appendVarint(UInt64(body.count), into: &out)
        out.append(contentsOf: body)
    }
}
