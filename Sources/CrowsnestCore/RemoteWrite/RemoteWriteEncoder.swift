/// Turns a target's rendered sample lines (exactly what `/metrics` serves for it) into remote-write samples:
/// each line's series (metric name and labels, unescaped, sorted by name) with its value and timestamp, after
/// `write_relabel_configs`, as `WriteRequest` fragments spread over shards by a hash of the series' labels (so a
/// series always goes through the same shard and its samples stay in order).
///
/// The lines are read with the exposition parser itself (text format, scrape mode): the labels sent are the ones
/// `/metrics` shows, by construction.
public struct RemoteWriteEncoder: Sendable {
    /// Shards to spread series over.
    public let shardCount: Int
    /// `write_relabel_configs`; `nil` when none.
    public let relabeler: Relabeler?

    /// Creates an encoder.
    public init(shardCount: Int, relabeler: Relabeler? = nil) {
        self.shardCount = max(1, shardCount)
        self.relabeler = relabeler.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What one encoding pass produced.
    public struct Output: Sendable {
        /// One batch per shard (empty ones included).
        public var shards: [RemoteWriteBatch]
        /// The hash of each encoded line's series part (the rendered bytes before the value), when asked for, in
        /// line order: what the next scrape compares to find series that disappeared.
        public var seriesHashes: [UInt64]
        /// Lines dropped by `write_relabel_configs`.
        public var droppedByRelabeling: Int
    }

    /// Encodes `lines`.
    ///
    /// - Parameters:
    ///   - lines: rendered text sample lines.
    ///   - defaultTimestamp: the timestamp of lines that carry none (served with `timestamps: false`).
    ///   - staleAt: when set, every sample is a staleness marker at this timestamp instead of the line's value.
    ///   - only: when set, only lines whose series hash is in it are encoded (the series that disappeared).
    ///   - collectHashes: fill ``Output/seriesHashes``.
    /// - Returns: each shard's samples, and the series hashes when asked for.
    public func encode(
        _ lines: [UInt8],
        defaultTimestamp: Int64,
        staleAt: Int64? = nil,
        only: Set<UInt64>? = nil,
        collectHashes: Bool = false
    ) -> Output {
        var visitor = Visitor(
            encoder: self,
            defaultTimestamp: defaultTimestamp,
            staleAt: staleAt,
            only: only,
            collectHashes: collectHashes
        )
        if only == nil {
            // A fragment takes about as many bytes as its rendered line: each shard's payload is allocated once
            // instead of growing (and being copied) by doubling.
            let estimate = lines.count / shardCount + lines.count / (shardCount * 8) + 64
            for index in visitor.shards.indices { visitor.shards[index].payload.reserveCapacity(estimate) }
        }
        // Rendered lines always parse (the gateway wrote them); a line that somehow does not ends the pass with
        // what was encoded before it.
        _ = try? ExpositionParser(format: .text, mode: .scrape).parse(lines, visitor: &visitor)
        return Output(
            shards: visitor.shards,
            seriesHashes: visitor.hashes,
            droppedByRelabeling: visitor.droppedByRelabeling
        )
    }

    /// The parser visitor doing the work, one line at a time, reusing its scratch buffers.
    struct Visitor: ExpositionVisitor {
        let encoder: RemoteWriteEncoder
        let defaultTimestamp: Int64
        let staleAt: Int64?
        let only: Set<UInt64>?
        let collectHashes: Bool
        var shards: [RemoteWriteBatch]
        var hashes: [UInt64] = []
        var droppedByRelabeling = 0
        var arena: [UInt8] = []
        var ranges: [WriteRequestEncoding.LabelRanges] = []

        init(
            encoder: RemoteWriteEncoder,
            defaultTimestamp: Int64,
            staleAt: Int64?,
            only: Set<UInt64>?,
            collectHashes: Bool
        ) {
            self.encoder = encoder
            self.defaultTimestamp = defaultTimestamp
            self.staleAt = staleAt
            self.only = only
            self.collectHashes = collectHashes
            self.shards = Array(repeating: RemoteWriteBatch(), count: encoder.shardCount)
            arena.reserveCapacity(512)
            ranges.reserveCapacity(16)
        }

        mutating func visitSample(
            _ sample: SampleToken,
            labels: UnsafeBufferPointer<LabelToken>,
            family: FamilyToken,
            bytes: UnsafeRawBufferPointer
        ) throws(ExpositionError) {
            if collectHashes || only != nil {
                var seriesEnd = sample.valueStart
                while seriesEnd > sample.lineStart && bytes[seriesEnd - 1] == UInt8(ascii: " ") { seriesEnd -= 1 }
                let hash = SeriesHash.bytes(UnsafeRawBufferPointer(rebasing: bytes[sample.lineStart..<seriesEnd]))
                if let only, !only.contains(hash) { return }
                if collectHashes { hashes.append(hash) }
            }
            let value =
                staleAt != nil
                ? WriteRequestEncoding.staleNaN : NumberSyntax.parseDouble(bytes, sample.valueStart, sample.valueEnd)
            let timestamp = staleAt ?? sample.timestampMilliseconds.map { Int64($0) } ?? defaultTimestamp
            arena.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            arena.append(contentsOf: "__name__".utf8)
            let metricName = arena.count
            appendText(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
            ranges.append(.init(name: 0..<metricName, value: metricName..<arena.count))
            for label in labels {
                let nameStart = arena.count
                appendText(bytes, label.nameStart, label.nameEnd, escaped: label.nameEscaped)
                let valueStart = arena.count
                appendText(bytes, label.valueStart, label.valueEnd, escaped: label.valueEscaped)
                guard arena.count > valueStart else {
                    arena.removeSubrange(nameStart...)
                    continue
                }
                ranges.append(.init(name: nameStart..<valueStart, value: valueStart..<arena.count))
            }
            if let relabeler = encoder.relabeler {
                guard relabel(relabeler) else {
                    droppedByRelabeling += 1
                    return
                }
            } else {
                sortRanges()
            }
            let shard = arena.withUnsafeBytes { arena in shardIndex(arena) }
            arena.withUnsafeBytes { arena in
                ranges.withUnsafeBufferPointer { ranges in
                    WriteRequestEncoding.appendTimeSeries(
                        arena: arena,
                        labels: ranges,
                        sampleValue: value,
                        timestamp: timestamp,
                        into: &shards[shard].payload
                    )
                }
            }
            shards[shard].sampleCount += 1
            shards[shard].newestTimestamp = max(shards[shard].newestTimestamp, timestamp)
        }

        /// Appends text from the payload, unescaped.
        private mutating func appendText(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, escaped: Bool) {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if escaped {
                arena.append(contentsOf: Unescaping.unescapedBytes(slice))
            } else {
                arena.append(contentsOf: slice)
            }
        }

        /// Sorts the label ranges by name bytes (insertion sort: a handful of labels, mostly in order already).
        private mutating func sortRanges() {
            arena.withUnsafeBytes { arena in
                ranges.withUnsafeMutableBufferPointer { ranges in
                    for index in 1..<max(1, ranges.count) {
                        let current = ranges[index]
                        let name = UnsafeRawBufferPointer(rebasing: arena[current.name])
                        var slot = index
                        while slot > 0
                            && name.lexicographicallyPrecedes(
                                UnsafeRawBufferPointer(rebasing: arena[ranges[slot - 1].name])
                            )
                        {
                            ranges[slot] = ranges[slot - 1]
                            slot -= 1
                        }
                        ranges[slot] = current
                    }
                }
            }
        }

        /// The shard of the series in the arena: a hash of its sorted labels.
        private func shardIndex(_ arena: UnsafeRawBufferPointer) -> Int {
            guard encoder.shardCount > 1 else { return 0 }
            var hash: UInt64 = 0
            for range in ranges {
                hash =
                    hash &* 0x100_0000_01B3
                    ^ SeriesHash.bytes(
                        UnsafeRawBufferPointer(rebasing: arena[range.name.lowerBound..<range.value.upperBound])
                    )
            }
            return Int(hash % UInt64(encoder.shardCount))
        }

        /// The slow path with `write_relabel_configs`: the labels as a ``LabelSet``, relabeled, written back into
        /// the arena sorted by name; false when the rules drop the sample (or leave it without a name).
        private mutating func relabel(_ relabeler: Relabeler) -> Bool {
            var set = LabelSet(
                ranges.map { range in
                    Label(
                        String(decoding: arena[range.name], as: UTF8.self),
                        String(decoding: arena[range.value], as: UTF8.self)
                    )
                }
            )
            guard relabeler.process(&set), set["__name__"]?.isEmpty == false else { return false }
            arena.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            for label in set.labels where !label.value.isEmpty {
                let nameStart = arena.count
                arena.append(contentsOf: label.name.utf8)
                let valueStart = arena.count
                arena.append(contentsOf: label.value.utf8)
                ranges.append(.init(name: nameStart..<valueStart, value: valueStart..<arena.count))
            }
            return true
        }
    }
}
