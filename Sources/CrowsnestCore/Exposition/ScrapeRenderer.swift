#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of rendering one scrape: every sample line, with target labels injected and the scrape timestamp
/// appended, grouped into one contiguous byte range per output family.
///
/// This is what a target snapshot keeps and what `/metrics` concatenates: text 0.0.4 sample lines, no metadata
/// (the metadata lives in ``families``).
public struct RenderedScrape: Sendable {
    /// Sample lines, family after family.
    public var bytes: [UInt8]
    /// Output families in order of first appearance, each with its byte range in ``bytes``.
    public var families: [RenderedFamily]
    /// Samples in the payload (Prometheus' `scrape_samples_scraped`).
    public var samplesScraped: Int
    /// Samples kept after `metric_relabel_configs` (`scrape_samples_post_metric_relabeling`).
    public var samplesPostRelabeling: Int
    /// A 64-bit hash of each rendered line's series part (name and labels, everything before the value), one per
    /// line in no particular order: what `scrape_series_added` and repeated-series detection compare, computed
    /// while the line is written (eight bytes per step) instead of in a second pass.
    public var seriesHashes: [UInt64]

    /// Creates a rendered scrape.
    public init(
        bytes: [UInt8] = [],
        families: [RenderedFamily] = [],
        samplesScraped: Int = 0,
        samplesPostRelabeling: Int = 0,
        seriesHashes: [UInt64] = []
    ) {
        self.bytes = bytes
        self.families = families
        self.samplesScraped = samplesScraped
        self.samplesPostRelabeling = samplesPostRelabeling
        self.seriesHashes = seriesHashes
    }

    /// Appends `other`'s lines and families after these (their ranges shifted). In place when the buffer was
    /// rendered with room (``ScrapeRenderOptions/spareCapacity``) and is not shared, else into a buffer of exactly
    /// the needed size: the gateway holds these buffers, and a plain append to a full one doubles its capacity.
    public mutating func append(_ other: RenderedScrape) {
        let offset = bytes.count
        if bytes.capacity < bytes.count + other.bytes.count { bytes.reserveCapacity(bytes.count + other.bytes.count) }
        bytes.append(contentsOf: other.bytes)
        for var family in other.families {
            family.range = (family.range.lowerBound + offset)..<(family.range.upperBound + offset)
            families.append(family)
        }
    }

}

/// One output family of a rendered scrape, as it appears in text 0.0.4.
public struct RenderedFamily: Sendable, Hashable {
    /// The text-format family name (`x_total` for an OpenMetrics counter `x`).
    public var name: String
    /// The text-format type (`.unknown` for untyped).
    public var type: MetricType
    /// The HELP text, decoded.
    public var help: String?
    /// Byte range of the family's sample lines in ``RenderedScrape/bytes``.
    public var range: Range<Int>
    /// Number of sample lines.
    public var sampleCount: Int

    /// Creates a family entry.
    public init(name: String, type: MetricType, help: String?, range: Range<Int>, sampleCount: Int) {
        self.name = name
        self.type = type
        self.help = help
        self.range = range
        self.sampleCount = sampleCount
    }
}

/// How to render a scrape.
public struct ScrapeRenderOptions: Sendable {
    /// Labels every sample gets (`cluster`, `namespace`, `pod_name`, static labels, relabeling results), unique
    /// names. A label with an empty value removes that label from samples (a scraped value moves to
    /// `exported_<name>` under `honor_labels: false`, as in Prometheus).
    public var targetLabels: [Label]
    /// Prometheus' `honor_labels`: when false, a scraped label colliding with a target label is kept as
    /// `exported_<name>`; when true the scraped label wins.
    public var honorLabels: Bool
    /// The scrape time in milliseconds, appended to samples without their own timestamp; `nil` for none.
    public var timestampMilliseconds: Int64?
    /// Limits applied after label injection and relabeling (as Prometheus applies them).
    public var limits: ExpositionLimits
    /// `metric_relabel_configs`, applied per sample after label injection; returns false to drop the sample.
    public var metricRelabeling: (@Sendable (inout LabelSet) -> Bool)?
    /// Labels `metricRelabeling` cannot change or remove: after the rules run, each has again the value it had
    /// before them (the gateway's `cluster`, `namespace`, `pod_name`, so series of different targets never merge).
    public var fixedLabelNames: [String] = []
    /// Room to leave free at the end of ``RenderedScrape/bytes`` for lines the caller appends (the gateway's
    /// synthetic series), so that appending them needs no second buffer.
    public var spareCapacity = 0

    /// Creates options.
    public init(
        targetLabels: [Label],
        honorLabels: Bool = false,
        timestampMilliseconds: Int64? = nil,
        limits: ExpositionLimits = .none,
        metricRelabeling: (@Sendable (inout LabelSet) -> Bool)? = nil
    ) {
        self.targetLabels = targetLabels
        self.honorLabels = honorLabels
        self.timestampMilliseconds = timestampMilliseconds
        self.limits = limits
        self.metricRelabeling = metricRelabeling
    }
}

/// Parses a scraped payload (scrape mode), injects target labels and renders text sample lines grouped by family:
/// the gateway's hot path.
///
/// Reuse one renderer across scrapes (it is non-copyable: one per scraping task, or borrowed from a
/// ``ScrapeRendererPool``): its per-family buffers are kept, so a steady-state scrape allocates only the output
/// (one buffer) and per-family metadata, never per sample.
public struct ScrapeRenderer: ~Copyable, Sendable {
    private var buffers: [ByteSink] = []

    /// Creates a renderer.
    public init() {}

    /// A renderer that writes into `buffers` (emptied by the renderer that had them).
    init(recycling buffers: [ByteSink]) {
        self.buffers = buffers
    }

    /// Hands the buffers over (to a ``ScrapeRendererPool``), leaving none.
    mutating func takeBuffers() -> [ByteSink] {
        defer { buffers = [] }
        return buffers
    }

    /// Renders `payload` in `format`.
    public mutating func render(_ payload: UnsafeRawBufferPointer, format: ExpositionFormat, options: ScrapeRenderOptions)
        throws(ExpositionError) -> RenderedScrape
    {
        let limit = options.limits.labelValueLengthLimit
        if limit > 0, let label = options.targetLabels.first(where: { $0.value.utf8.count > limit }) {
            throw ExpositionError(
                .limit,
                line: 0,
                column: 0,
                "target label \(label.name) has a value of \(label.value.utf8.count) bytes, over "
                    + "label_value_length_limit (\(limit))"
            )
        }
        var visitor = RenderVisitor(options: options, format: format, buffers: buffers)
        defer { buffers = visitor.recycle() }
        let summary = try ExpositionParser(format: format, mode: .scrape).parse(payload, visitor: &visitor)
        return visitor.finish(samplesScraped: summary.sampleCount)
    }

    /// Renders a payload held in an array.
    public mutating func render(_ payload: [UInt8], format: ExpositionFormat, options: ScrapeRenderOptions)
        throws(ExpositionError) -> RenderedScrape
    {
        let result: Result<RenderedScrape, ExpositionError> = payload.withUnsafeBytes { buffer in
            do throws(ExpositionError) {
                return .success(try render(buffer, format: format, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Target labels pre-rendered for the fast path.
struct PreparedTargetLabels {
    var names: [[UInt8]] = []
    var values: [String] = []
    /// `name="value",…` of the non-empty target labels.
    var block: [UInt8] = []

    /// Non-empty target labels (those written on every sample).
    var writtenCount = 0
    /// Bit n set when a target label name has n bytes (n < 63): a quick reject for collision checks.
    var lengthMask: UInt64 = 0

    init(_ labels: [Label]) {
        for label in labels {
            names.append(Array(label.name.utf8))
            values.append(label.value)
            lengthMask |= 1 &<< UInt64(min(label.name.utf8.count, 63))
            guard !label.value.isEmpty else { continue }
            writtenCount += 1
            if !block.isEmpty { block.append(UInt8(ascii: ",")) }
            ExpositionWriter.appendLabelName(label.name, into: &block)
            block.append(contentsOf: "=\"".utf8)
            ExpositionWriter.appendEscapedLabelValue(label.value.utf8, into: &block)
            block.append(UInt8(ascii: "\""))
        }
    }
}

struct RenderVisitor: ExpositionVisitor {
    let options: ScrapeRenderOptions
    let format: ExpositionFormat
    let target: PreparedTargetLabels
    var buffers: [ByteSink]
    var outputs: [RenderedFamily] = []
    var outputIndex: [String: Int] = [:]
    var ordinal = -1
    var suffixOutputs = [Int](repeating: -1, count: 9)
    var samplesKept = 0
    /// ` <milliseconds>` for samples without their own timestamp (empty: none).
    let timestampText: [UInt8]
    var seriesHashes: [UInt64] = []

    var currentFamilyName: String?
    var currentHelp: String?

    init(options: ScrapeRenderOptions, format: ExpositionFormat, buffers: [ByteSink]) {
        self.options = options
        self.format = format
        self.target = PreparedTargetLabels(options.targetLabels)
        self.buffers = buffers
        self.timestampText = Self.timestampText(options.timestampMilliseconds)
    }

    /// The text appended to a sample line for the scrape timestamp: ` <milliseconds>`, or nothing.
    static func timestampText(_ milliseconds: Int64?) -> [UInt8] {
        guard let milliseconds else { return [] }
        var text: [UInt8] = [UInt8(ascii: " ")]
        ExpositionWriter.appendInteger(milliseconds, into: &text)
        return text
    }

    /// The buffers, emptied, for the next scrape.
    mutating func recycle() -> [ByteSink] {
        for buffer in buffers { buffer.reset() }
        return buffers
    }

    mutating func finish(samplesScraped: Int) -> RenderedScrape {
        var total = 0
        for index in outputs.indices { total += buffers[index].count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total + options.spareCapacity)
        var families = outputs
        for index in families.indices {
            let start = bytes.count
            bytes.append(contentsOf: buffers[index].bytes)
            families[index].range = start..<bytes.count
        }
        return RenderedScrape(
            bytes: bytes,
            families: families,
            samplesScraped: samplesScraped,
            samplesPostRelabeling: samplesKept,
            seriesHashes: seriesHashes
        )
    }

    /// The output family (text-format name and type) of an input family and sample suffix; `nil` = skip sample.
    static func outputName(familyName: String, type: MetricType, suffix: SampleSuffix, format: ExpositionFormat)
        -> (name: String, type: MetricType)?
    {
        if format == .text { return (familyName, type) }
        switch (type, suffix) {
        case (_, .created): return nil  // Prometheus' OpenMetrics parser skips _created series by default.
        case (.counter, _): return (familyName + "_total", .counter)
        case (.histogram, _), (.summary, _): return (familyName, type)
        case (.gaugeHistogram, _): return (familyName + suffix.text, .unknown)
        case (.info, _): return (familyName + "_info", .gauge)
        case (.stateSet, _), (.gauge, _): return (familyName, .gauge)
        case (.unknown, _): return (familyName, .unknown)
        }
    }

    mutating func outputFamily(named name: String, type: MetricType, help: String?) -> Int {
        if let index = outputIndex[name] {
            if outputs[index].help == nil { outputs[index].help = help }
            return index
        }
        let index = outputs.count
        outputs.append(RenderedFamily(name: name, type: type, help: help, range: 0..<0, sampleCount: 0))
        outputIndex[name] = index
        // Small to start: pooled renderers keep their buffers, and many families have a sample or two.
        if buffers.count <= index { buffers.append(ByteSink(capacity: 1024)) }
        return index
    }

    mutating func visitSample(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        family: FamilyToken,
        bytes: UnsafeRawBufferPointer
    ) throws(ExpositionError) {
        if family.ordinal != ordinal {
            ordinal = family.ordinal
            for index in suffixOutputs.indices { suffixOutputs[index] = -1 }
            currentFamilyName = nil
            currentHelp = nil
        }
        var outputSlot = suffixOutputs[Int(sample.suffix.rawValue)]
        if outputSlot == -1 {
            let familyName =
                currentFamilyName ?? Unescaping.string(bytes, family.nameStart, family.nameEnd, escaped: family.nameEscaped)
            currentFamilyName = familyName
            guard let output = Self.outputName(familyName: familyName, type: family.type, suffix: sample.suffix, format: format)
            else {
                suffixOutputs[Int(sample.suffix.rawValue)] = -2
                return
            }
            let help =
                currentHelp
                ?? (family.hasHelp ? FamilyBuilder.decodeHelp(bytes, family.helpStart, family.helpEnd, format: format) : nil)
            currentHelp = help
            outputSlot = outputFamily(named: output.name, type: output.type, help: help)
            suffixOutputs[Int(sample.suffix.rawValue)] = outputSlot
        }
        if outputSlot == -2 { return }

        if options.metricRelabeling != nil {
            try renderRelabeled(sample, labels: labels, bytes: bytes, defaultSlot: outputSlot)
            return
        }
        // Fast path: no collision with a target label.
        var collides = false
        var scrapedCount = 0
        var lineLength = sample.nameEnd - sample.nameStart + sample.valueEnd - sample.valueStart + 8
        // Whether the scraped labels are written in the payload exactly as they are rendered (`a="1",b="2"`: no
        // blanks, no quoted names, no empty values): then they are copied as one block.
        var writtenAsRendered = true
        var previousValueEnd = -1
        var longestValue = 0
        for label in labels {
            if label.nameQuoted || label.valueStart != label.nameEnd + 2 || label.valueEnd == label.valueStart
                || (previousValueEnd >= 0 && label.nameStart != previousValueEnd + 2)
            {
                writtenAsRendered = false
            }
            previousValueEnd = label.valueEnd
            guard label.valueEnd > label.valueStart else { continue }
            longestValue = max(longestValue, label.valueEnd - label.valueStart)
            scrapedCount += 1
            let nameLength = label.nameEnd - label.nameStart
            lineLength += nameLength + label.valueEnd - label.valueStart + 6
            if target.lengthMask & (1 &<< UInt64(min(nameLength, 63))) != 0 {
                for targetName in target.names where targetName.count == nameLength {
                    if targetName.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress! + label.nameStart, nameLength) }) == 0 {
                        collides = true
                    }
                }
            }
        }
        if collides {
            var set = injectedLabels(labels, bytes: bytes)
            try checkLimits(labelCount: set.count, set: set, line: sample.line)
            let name = Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
            set["__name__"] = nil
            try appendSample(name: name, labels: set, sample: sample, bytes: bytes, slot: outputSlot)
            return
        }
        if options.limits.labelValueLengthLimit > 0 && longestValue > options.limits.labelValueLengthLimit {
            throw Self.valueTooLong(labels, bytes: bytes, limit: options.limits.labelValueLengthLimit, line: sample.line)
        }
        if options.limits.labelLimit > 0 || options.limits.labelNameLengthLimit > 0 {
            try checkLimits(labelCount: scrapedCount + target.writtenCount, set: nil, labels: labels, bytes: bytes, line: sample.line)
        }
        samplesKept += 1
        if options.limits.sampleLimit > 0 && samplesKept > options.limits.sampleLimit {
            throw ExpositionError(.limit, line: sample.line, column: 1, "sample limit of \(options.limits.sampleLimit) exceeded")
        }
        outputs[outputSlot].sampleCount += 1
        let out = buffers[outputSlot]
        let base = bytes.baseAddress!
        let hasBraces = sample.nameQuoted || !target.block.isEmpty || scrapedCount > 0
        out.reserve(lineLength + target.block.count + (sample.hasTimestamp ? sample.timestampEnd - sample.timestampStart + 24 : timestampText.count))
        let lineStart = out.count
        if sample.nameQuoted {
            out.put(UInt8(ascii: "{"))
            out.put(UInt8(ascii: "\""))
            out.put(base + sample.nameStart, sample.nameEnd - sample.nameStart)
            out.put(UInt8(ascii: "\""))
            if !target.block.isEmpty || scrapedCount > 0 { out.put(UInt8(ascii: ",")) }
        } else {
            out.put(base + sample.nameStart, sample.nameEnd - sample.nameStart)
            if hasBraces { out.put(UInt8(ascii: "{")) }
        }
        out.put(target.block)
        if writtenAsRendered, let firstLabel = labels.first, let lastLabel = labels.last {
            if !target.block.isEmpty { out.put(UInt8(ascii: ",")) }
            out.put(base + firstLabel.nameStart, lastLabel.valueEnd + 1 - firstLabel.nameStart)  // through the last `"`
        } else {
            putLabels(labels, base: base, first: target.block.isEmpty, into: out)
        }
        if hasBraces { out.put(UInt8(ascii: "}")) }
        seriesHashes.append(SeriesHash.bytes(UnsafeRawBufferPointer(start: out.base + lineStart, count: out.count - lineStart)))
        out.put(UInt8(ascii: " "))
        out.put(base + sample.valueStart, sample.valueEnd - sample.valueStart)
        Self.appendTimestamp(sample, bytes: bytes, format: format, fallback: timestampText, into: out)
        out.put(UInt8(ascii: "\n"))
    }

    /// Writes the non-empty scraped labels one by one (`first`: no comma before the first).
    private func putLabels(_ labels: UnsafeBufferPointer<LabelToken>, base: UnsafeRawPointer, first: Bool, into out: ByteSink) {
        var first = first
        for label in labels where label.valueEnd > label.valueStart {
            if !first { out.put(UInt8(ascii: ",")) }
            first = false
            if label.nameQuoted { out.put(UInt8(ascii: "\"")) }
            out.put(base + label.nameStart, label.nameEnd - label.nameStart)
            if label.nameQuoted { out.put(UInt8(ascii: "\"")) }
            out.put(UInt8(ascii: "="))
            out.put(UInt8(ascii: "\""))
            out.put(base + label.valueStart, label.valueEnd - label.valueStart)
            out.put(UInt8(ascii: "\""))
        }
    }

    static func appendTimestamp(
        _ sample: SampleToken,
        bytes: UnsafeRawBufferPointer,
        format: ExpositionFormat,
        fallback: [UInt8],
        into out: ByteSink
    ) {
        guard sample.hasTimestamp else {
            out.put(fallback)
            return
        }
        if format == .text {
            out.put(UInt8(ascii: " "))
            out.put(bytes.baseAddress! + sample.timestampStart, sample.timestampEnd - sample.timestampStart)
        } else {
            let milliseconds = (sample.timestampMilliseconds ?? 0).rounded()
            if abs(milliseconds) < 9.2e18 {
                var digits: [UInt8] = [UInt8(ascii: " ")]
                ExpositionWriter.appendInteger(Int64(milliseconds), into: &digits)
                out.put(digits)
            } else {
                out.put(fallback)
            }
        }
    }

    func checkLimits(
        labelCount: Int,
        set: LabelSet?,
        labels: UnsafeBufferPointer<LabelToken>? = nil,
        bytes: UnsafeRawBufferPointer? = nil,
        line: Int
    ) throws(ExpositionError) {
        let limits = options.limits
        if limits.labelLimit > 0 && labelCount > limits.labelLimit {
            throw ExpositionError(.limit, line: line, column: 1, "label limit of \(limits.labelLimit) exceeded")
        }
        guard limits.labelNameLengthLimit > 0 || limits.labelValueLengthLimit > 0 else { return }
        var lengths: [(Int, Int)] = []
        if let set {
            lengths = set.map { ($0.name.utf8.count, $0.value.utf8.count) }
        } else if let labels {
            lengths = labels.map { ($0.nameEnd - $0.nameStart, $0.valueEnd - $0.valueStart) }
            lengths += target.names.indices.map { (target.names[$0].count, target.values[$0].utf8.count) }
        }
        for (name, value) in lengths {
            if limits.labelNameLengthLimit > 0 && name > limits.labelNameLengthLimit {
                throw ExpositionError(.limit, line: line, column: 1, "label name longer than \(limits.labelNameLengthLimit) bytes")
            }
            if limits.labelValueLengthLimit > 0 && value > limits.labelValueLengthLimit {
                throw valueTooLong(set: set, labels: labels, bytes: bytes, line: line)
            }
        }
    }

    /// The over-limit error of ``checkLimits``, naming the label (found again: this is the failing path only).
    func valueTooLong(
        set: LabelSet?,
        labels: UnsafeBufferPointer<LabelToken>?,
        bytes: UnsafeRawBufferPointer?,
        line: Int
    ) -> ExpositionError {
        let limit = options.limits.labelValueLengthLimit
        if let set, let label = set.first(where: { $0.value.utf8.count > limit }) {
            return ExpositionError(
                .limit,
                line: line,
                column: 1,
                "label \(label.name) has a value of \(label.value.utf8.count) bytes, over label_value_length_limit (\(limit))"
            )
        }
        if let labels, let bytes { return Self.valueTooLong(labels, bytes: bytes, limit: limit, line: line) }
        return ExpositionError(.limit, line: line, column: 1, "label value longer than \(limit) bytes")
    }

    /// The error for a sample whose label value is over the limit, naming the (first such) label: the message the
    /// health page shows for the failed scrape.
    static func valueTooLong(
        _ labels: UnsafeBufferPointer<LabelToken>,
        bytes: UnsafeRawBufferPointer,
        limit: Int,
        line: Int
    ) -> ExpositionError {
        let label = labels.first { $0.valueEnd - $0.valueStart > limit }
        let name = label.map { Unescaping.labelName(bytes, $0) } ?? ""
        let length = label.map { $0.valueEnd - $0.valueStart } ?? 0
        return ExpositionError(
            .limit,
            line: line,
            column: 1,
            "label \(name) has a value of \(length) bytes, over label_value_length_limit (\(limit))"
        )
    }

    /// Prometheus' label injection (`mutateSampleLabels`) on decoded labels: the slow path for collisions and
    /// relabeling.
    func injectedLabels(_ labels: UnsafeBufferPointer<LabelToken>, bytes: UnsafeRawBufferPointer) -> LabelSet {
        let scraped = labels.map { Label(Unescaping.labelName(bytes, $0), Unescaping.labelValue(bytes, $0)) }
        return LabelInjection.inject(target: options.targetLabels, into: LabelSet(scraped), honorLabels: options.honorLabels)
    }

    mutating func renderRelabeled(
        _ sample: SampleToken,
        labels: UnsafeBufferPointer<LabelToken>,
        bytes: UnsafeRawBufferPointer,
        defaultSlot: Int
    ) throws(ExpositionError) {
        let originalName = Unescaping.string(bytes, sample.nameStart, sample.nameEnd, escaped: sample.nameEscaped)
        var set = injectedLabels(labels, bytes: bytes)
        set["__name__"] = originalName
        let fixed = options.fixedLabelNames.map { (name: $0, value: set[$0]) }
        guard let relabel = options.metricRelabeling, relabel(&set) else { return }
        guard let name = set["__name__"] else { return }
        for label in fixed { set[label.name] = label.value }
        set["__name__"] = nil
        try checkLimits(labelCount: set.count, set: set, line: sample.line)
        var slot = defaultSlot
        if name != originalName { slot = outputFamily(named: name, type: .unknown, help: nil) }
        try appendSample(name: name, labels: set, sample: sample, bytes: bytes, slot: slot)
    }

    mutating func appendSample(
        name: String,
        labels: LabelSet,
        sample: SampleToken,
        bytes: UnsafeRawBufferPointer,
        slot: Int
    ) throws(ExpositionError) {
        samplesKept += 1
        if options.limits.sampleLimit > 0 && samplesKept > options.limits.sampleLimit {
            throw ExpositionError(.limit, line: sample.line, column: 1, "sample limit of \(options.limits.sampleLimit) exceeded")
        }
        outputs[slot].sampleCount += 1
        var out: [UInt8] = []
        do {
            let legacy = NameSyntax.isLegacyMetricName(name.utf8)
            if legacy { out.append(contentsOf: name.utf8) }
            if !legacy || !labels.isEmpty {
                out.append(UInt8(ascii: "{"))
                var first = true
                if !legacy {
                    ExpositionWriter.appendQuoted(name, into: &out)
                    first = false
                }
                for label in labels {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    ExpositionWriter.appendLabelName(label.name, into: &out)
                    out.append(contentsOf: "=\"".utf8)
                    ExpositionWriter.appendEscapedLabelValue(label.value.utf8, into: &out)
                    out.append(UInt8(ascii: "\""))
                }
                out.append(UInt8(ascii: "}"))
            }
            seriesHashes.append(out.withUnsafeBytes { SeriesHash.bytes($0) })
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[sample.valueStart..<sample.valueEnd]))
        }
        let sink = buffers[slot]
        sink.append(out)
        sink.reserve(max(timestampText.count, 24) + (sample.timestampEnd - sample.timestampStart) + 2)
        Self.appendTimestamp(sample, bytes: bytes, format: format, fallback: timestampText, into: sink)
        sink.put(UInt8(ascii: "\n"))
    }
}
