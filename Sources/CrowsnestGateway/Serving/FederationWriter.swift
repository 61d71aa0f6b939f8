import CrowsnestCore
public import NIOCore

/// Writes the federated exposition of a ``SnapshotStore/View`` as a stream of chunks.
///
/// Text output is concatenation: for each merged family (sorted by name) the HELP/TYPE lines once, then every
/// member snapshot's byte range for that family — already rendered with target labels and timestamps. Chunks of
/// about ``chunkSize`` bytes are handed to the sink as soon as they fill, so the first byte leaves at once.
/// Filters select snapshots (`cluster`) and families (name-only selectors) before copying; label matchers need a
/// per-line check. OpenMetrics output re-parses the (few) families and converts them (``OpenMetricsConversion``).
public struct FederationWriter: Sendable {
    /// The target chunk size.
    public var chunkSize: Int

    /// Creates a writer.
    public init(chunkSize: Int = 256 * 1024) {
        self.chunkSize = chunkSize
    }

    /// Streams `view` filtered by `request` into `sink`.
    public func write(
        _ view: SnapshotStore.View,
        request: FederationRequest,
        allocator: ByteBufferAllocator = ByteBufferAllocator(),
        sink: (ByteBuffer) async throws -> Void
    ) async throws {
        var buffer = allocator.buffer(capacity: chunkSize + 64 * 1024)
        func flushIfFull() async throws {
            if buffer.readableBytes >= chunkSize {
                try await sink(buffer)
                buffer = allocator.buffer(capacity: chunkSize + 64 * 1024)
            }
        }
        let included = view.snapshots.map { request.clusters.isEmpty || request.clusters.contains($0.key.cluster) }
        let lineFiltered = !request.selectors.isEmpty && !request.selectors.allSatisfy(\.isNameOnly)

        let inflater = RawInflater()
        if request.format == .openMetrics {
            var families: [MetricFamily] = []
            for group in view.groups {
                var family = MetricFamily(name: group.name, type: group.type, help: group.help)
                forEachMember(group, view: view, included: included) { snapshot, index in
                    family.samples.append(
                        contentsOf: Self.samples(
                            in: snapshot,
                            family: index,
                            group: group,
                            request: request,
                            inflater: inflater
                        )
                    )
                }
                if !family.samples.isEmpty { families.append(family) }
            }
            var previous: MetricFamily?
            for family in OpenMetricsConversion.convert(families) {
                var bytes: [UInt8] = []
                ExpositionWriter.append(family, after: previous, format: .openMetrics, into: &bytes)
                previous = family
                buffer.writeBytes(bytes)
                try await flushIfFull()
            }
            buffer.writeString("# EOF\n")
            try await sink(buffer)
            return
        }

        let wanted = view.groups.filter { request.selectors.isEmpty || Self.groupMayMatch($0, request.selectors) }
        if !lineFiltered && wanted.allSatisfy({ $0.sampleNameFilter == nil }) {
            try await writeWhole(wanted, view: view, included: included, allocator: allocator, sink: sink)
            return
        }
        var held = [TargetSnapshot.Lines?](repeating: nil, count: view.snapshots.count)
        for group in view.groups {
            if !request.selectors.isEmpty && !Self.groupMayMatch(group, request.selectors) { continue }
            var wroteHeader = false
            for member in group.members where included[member.source] {
                let snapshot = view.snapshots[member.source]
                guard member.family < snapshot.families.count else { continue }
                if group.sampleNameFilter == nil && !lineFiltered {
                    if !wroteHeader {
                        Self.writeHeader(group, into: &buffer)
                        wroteHeader = true
                    }
                    let lines = held[member.source] ?? snapshot.lines
                    held[member.source] = lines
                    Self.write(lines, family: member.family, of: snapshot, into: &buffer, inflater: inflater)
                } else {
                    let lines = Self.selectedLines(
                        in: snapshot,
                        family: member.family,
                        group: group,
                        request: request,
                        inflater: inflater
                    )
                    if lines.isEmpty { continue }
                    if !wroteHeader {
                        Self.writeHeader(group, into: &buffer)
                        wroteHeader = true
                    }
                    buffer.writeBytes(lines)
                }
                try await flushIfFull()
            }
        }
        if buffer.readableBytes > 0 { try await sink(buffer) }
    }

    /// One piece of a response whose families are copied whole: a group's HELP/TYPE lines, or one member family.
    private enum Part: Sendable {
        case header([UInt8])
        case family(source: Int, family: Int)
    }

    /// Writes `groups` with every included member family copied whole (no line filter), in chunks of about
    /// ``chunkSize`` rendered two at a time on separate tasks.
    ///
    /// The parts and their sizes are known before any byte is written, so chunk boundaries are fixed up front and
    /// each chunk can be rendered on its own: for snapshots held compressed, rendering is inflating, which two
    /// cores can share; for text it is a copy. (Over HTTP on two cores, with the client on the same machine, the
    /// benchmark showed no clear gain: the socket and the client are the other half of the time.)
    private func writeWhole(
        _ groups: [FamilyMerger.Group],
        view: SnapshotStore.View,
        included: [Bool],
        allocator: ByteBufferAllocator,
        sink: (ByteBuffer) async throws -> Void
    ) async throws {
        var held = [TargetSnapshot.Lines?](repeating: nil, count: view.snapshots.count)
        var chunks: [[Part]] = []
        var parts: [Part] = []
        var size = 0
        for group in groups {
            var wroteHeader = false
            for member in group.members where included[member.source] {
                let snapshot = view.snapshots[member.source]
                guard member.family < snapshot.families.count else { continue }
                if !wroteHeader {
                    let header = Self.header(group)
                    parts.append(.header(header))
                    size += header.count
                    wroteHeader = true
                }
                if held[member.source] == nil { held[member.source] = snapshot.lines }
                parts.append(.family(source: member.source, family: member.family))
                size += snapshot.families[member.family].range.count
                if size >= chunkSize {
                    chunks.append(parts)
                    parts = []
                    size = 0
                }
            }
        }
        if !parts.isEmpty { chunks.append(parts) }
        let lines = held
        let capacity = chunkSize + 64 * 1024
        @Sendable func render(_ parts: [Part]) -> ByteBuffer {
            let inflater = RawInflater()
            var buffer = allocator.buffer(capacity: capacity)
            for part in parts {
                switch part {
                case .header(let bytes):
                    buffer.writeBytes(bytes)
                case .family(let source, let family):
                    guard let held = lines[source] else { continue }
                    Self.write(held, family: family, of: view.snapshots[source], into: &buffer, inflater: inflater)
                }
            }
            return buffer
        }
        var index = 0
        while index < chunks.count {
            let following = index + 1 < chunks.count ? chunks[index + 1] : nil
            async let second = following.map(render)
            try await sink(render(chunks[index]))
            if let buffer = await second { try await sink(buffer) }
            index += 2
        }
    }

    /// Streams `view` filtered by `request` as one gzip member of text 0.0.4: the same bytes ``write`` produces,
    /// compressed.
    ///
    /// Each member family's lines are copied already compressed (``TargetSnapshot/deflated(using:)``, made now
    /// for a snapshot that has none yet); only HELP/TYPE lines and lines picked out by label matchers are
    /// compressed here. So while the snapshots stay compressed between scrapes, a gzip response costs about
    /// what a plain one does.
    public func writeGzip(
        _ view: SnapshotStore.View,
        request: FederationRequest,
        allocator: ByteBufferAllocator = ByteBufferAllocator(),
        sink: (ByteBuffer) async throws -> Void
    ) async throws {
        let deflater = RawDeflater()
        let inflater = RawInflater()
        let gzip = GzipMemberWriter(deflater: RawDeflater(), capacity: chunkSize + 64 * 1024)
        func flush(final: Bool) async throws {
            guard final || gzip.output.count >= chunkSize else { return }
            var chunk = allocator.buffer(capacity: gzip.output.count)
            gzip.drain { chunk.writeBytes($0) }
            try await sink(chunk)
        }
        let included = view.snapshots.map { request.clusters.isEmpty || request.clusters.contains($0.key.cluster) }
        let lineFiltered = !request.selectors.isEmpty && !request.selectors.allSatisfy(\.isNameOnly)
        var deflated = [DeflatedRanges?](repeating: nil, count: view.snapshots.count)
        for group in view.groups {
            if !request.selectors.isEmpty && !Self.groupMayMatch(group, request.selectors) { continue }
            var wroteHeader = false
            for member in group.members where included[member.source] {
                let snapshot = view.snapshots[member.source]
                guard member.family < snapshot.families.count else { continue }
                if group.sampleNameFilter == nil && !lineFiltered {
                    if !wroteHeader {
                        gzip.write(Self.header(group))
                        wroteHeader = true
                    }
                    let pieces = deflated[member.source] ?? snapshot.deflated(using: deflater)
                    deflated[member.source] = pieces
                    gzip.write(pieces, piece: member.family)
                } else {
                    let lines = Self.selectedLines(
                        in: snapshot,
                        family: member.family,
                        group: group,
                        request: request,
                        inflater: inflater
                    )
                    if lines.isEmpty { continue }
                    if !wroteHeader {
                        gzip.write(Self.header(group))
                        wroteHeader = true
                    }
                    gzip.write(lines)
                }
                try await flush(final: false)
            }
        }
        gzip.finish()
        try await flush(final: true)
    }

    private func forEachMember(
        _ group: FamilyMerger.Group,
        view: SnapshotStore.View,
        included: [Bool],
        _ body: (TargetSnapshot, Int) -> Void
    ) {
        for member in group.members where included[member.source] {
            let snapshot = view.snapshots[member.source]
            guard member.family < snapshot.families.count else { continue }
            body(snapshot, member.family)
        }
    }

    /// Appends family `index`'s lines: copied from the text, or inflated straight into `buffer`.
    static func write(
        _ lines: TargetSnapshot.Lines,
        family index: Int,
        of snapshot: TargetSnapshot,
        into buffer: inout ByteBuffer,
        inflater: RawInflater
    ) {
        switch lines {
        case .text(let text):
            buffer.writeBytes(text[snapshot.families[index].range])
        case .compressed(let pieces):
            let count = Int(pieces.pieces[index].plainCount)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { free in
                inflater.inflate(pieces, piece: index, into: UnsafeMutableRawBufferPointer(rebasing: free[0..<count]))
                    ? count : 0
            }
        }
    }

    static func writeHeader(_ group: FamilyMerger.Group, into buffer: inout ByteBuffer) {
        buffer.writeBytes(header(group))
    }

    /// The HELP and TYPE lines of a group.
    static func header(_ group: FamilyMerger.Group) -> [UInt8] {
        var header: [UInt8] = []
        if let help = group.help {
            header.append(contentsOf: "# HELP ".utf8)
            ExpositionWriter.appendMetricName(group.name, into: &header)
            header.append(UInt8(ascii: " "))
            ExpositionWriter.appendEscapedHelp(help, format: .text, into: &header)
            header.append(UInt8(ascii: "\n"))
        }
        if group.type != .unknown {
            header.append(contentsOf: "# TYPE ".utf8)
            ExpositionWriter.appendMetricName(group.name, into: &header)
            header.append(contentsOf: " \(group.type.textName)\n".utf8)
        }
        return header
    }

    static func groupMayMatch(_ group: FamilyMerger.Group, _ selectors: [SeriesSelector]) -> Bool {
        let names = group.sampleNameFilter.map { [$0] } ?? FamilyMetadata.sampleNames(of: group.name, type: group.type)
        return selectors.contains { selector in names.contains { selector.mayMatch(name: $0) } }
    }

    /// The lines of family `index` of `snapshot` that pass the group's sample-name filter and the request's
    /// selectors.
    static func selectedLines(
        in snapshot: TargetSnapshot,
        family index: Int,
        group: FamilyMerger.Group,
        request: FederationRequest,
        inflater: RawInflater
    )
        -> [UInt8]
    {
        var selector = LineSelector(nameFilter: group.sampleNameFilter, selectors: request.selectors)
        snapshot.withFamilyBytes(index, inflater: inflater) { slice in
            _ = try? ExpositionParser(format: .text, mode: .scrape).parse(slice, visitor: &selector)
        }
        return selector.output
    }

    /// The samples of family `index` (for OpenMetrics output), filtered like ``selectedLines``.
    static func samples(
        in snapshot: TargetSnapshot,
        family index: Int,
        group: FamilyMerger.Group,
        request: FederationRequest,
        inflater: RawInflater
    )
        -> [Sample]
    {
        let bytes =
            group.sampleNameFilter != nil || !request.selectors.isEmpty
            ? selectedLines(in: snapshot, family: index, group: group, request: request, inflater: inflater)
            : snapshot.withFamilyBytes(index, inflater: inflater) { Array($0) }
        return ((try? MetricFamily.parse(bytes, format: .text, mode: .scrape)) ?? []).flatMap(\.samples)
    }
}

/// Copies the sample lines whose name and labels pass the filters.
struct LineSelector: ExpositionVisitor {
    let nameFilter: String?
    let selectors: [SeriesSelector]
    var output: [UInt8] = []

    mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) {
        let name = Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
        if let nameFilter, name != nameFilter { return }
        if !selectors.isEmpty {
            let decoded = labels.map { Label(Unescaping.labelName(bytes, $0), Unescaping.labelValue(bytes, $0)) }
            guard selectors.contains(where: { $0.matches(name: name, labels: decoded) }) else { return }
        }
        var end = sample.valueEnd
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[sample.lineStart..<end]))
        output.append(UInt8(ascii: "\n"))
    }
}
