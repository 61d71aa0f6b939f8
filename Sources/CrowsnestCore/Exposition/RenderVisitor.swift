#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The visitor behind ``ScrapeRenderer``: takes each parsed sample, injects the target labels and writes its text
/// line into its output family's buffer.
///
/// A fast path copies the scraped bytes when no scraped label collides with
/// a target label and no relabeling is configured; otherwise the sample goes through a decoded ``LabelSet``.
struct RenderVisitor: ExpositionVisitor {
    let options: ScrapeRenderOptions
    let format: ExpositionFormat
    let target: PreparedTargetLabels
    /// One buffer per output family, used once the output is no longer written in order (see ``isDirect``).
    var buffers: [ByteSink]
    /// Whether every sample so far went to the newest output family, as in almost every payload.
    ///
    /// A text family's samples are contiguous: then lines are written in output order through ``scratch`` straight
    /// into ``output``, and each family's range begins where its first line went. Rendering into per-family buffers
    /// and concatenating them copies every byte twice more, into buffers that a multi-MB payload (a kubelet's
    /// cAdvisor) makes too large to keep pooled, so they were fresh pages, faulted in on every scrape.
    var isDirect = true
    /// Lines not yet appended to ``output`` (direct mode): a small buffer the line writers fill without bounds
    /// checks, flushed every ``flushSize`` bytes, so ``output`` grows by large appends only.
    let scratch: ByteSink
    /// The rendered bytes: in direct mode the lines flushed so far, else filled by ``finish(samplesScraped:)``.
    var output: [UInt8]
    /// The capacity of the buffer the caller gave for ``output``.
    let givenCapacity: Int
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
    /// ``ScrapeRenderOptions/labelCopy``'s names as bytes, and `,destination="` (empty names: no copy).
    let copySource: [UInt8]
    let copyDestination: [UInt8]
    let copyPrefix: [UInt8]

    /// How many bytes ``scratch`` collects before they are appended to ``output``.
    static let flushSize = 64 << 10

    /// Creates a visitor writing into `output` (emptied first; its capacity is kept), with `buffers` and `scratch`
    /// from an earlier render (emptied).
    init(
        options: ScrapeRenderOptions,
        format: ExpositionFormat,
        buffers: [ByteSink],
        scratch: ByteSink,
        output: consuming [UInt8]
    ) {
        self.options = options
        self.format = format
        self.target = PreparedTargetLabels(options.targetLabels)
        self.buffers = buffers
        self.scratch = scratch
        self.output = consume output  // the caller's buffer, unshared: emptied below without a copy
        self.timestampText = Self.timestampText(options.timestampMilliseconds)
        self.copySource = options.labelCopy.map { Array($0.source.utf8) } ?? []
        self.copyDestination = options.labelCopy.map { Array($0.destination.utf8) } ?? []
        var prefix: [UInt8] = []
        if let copy = options.labelCopy {
            prefix.append(UInt8(ascii: ","))
            ExpositionWriter.appendLabelName(copy.destination, into: &prefix)
            prefix.append(contentsOf: "=\"".utf8)
        }
        self.copyPrefix = prefix
        self.output.removeAll(keepingCapacity: true)
        self.givenCapacity = self.output.capacity
    }

    /// The text appended to a sample line for the scrape timestamp: ` <milliseconds>`, or nothing.
    static func timestampText(_ milliseconds: Int64?) -> [UInt8] {
        guard let milliseconds else { return [] }
        var text: [UInt8] = [UInt8(ascii: " ")]
        ExpositionWriter.appendInteger(milliseconds, into: &text)
        return text
    }

    /// The buffers, emptied, for the next scrape.
    mutating func recycle() -> (families: [ByteSink], scratch: ByteSink) {
        for buffer in buffers { buffer.reset() }
        scratch.reset()
        return (buffers, scratch)
    }

    /// Bytes written so far, in output order (direct mode).
    var directCount: Int { output.count + scratch.count }

    /// The buffer a line of output family `slot` goes into.
    ///
    /// The scratch while the output is written in order (flushed first when full), else the family's own buffer.
    /// A line for an earlier family ends direct mode.
    @inline(__always)
    mutating func sink(for slot: Int) -> ByteSink {
        if isDirect {
            if slot == outputs.count - 1 {
                if scratch.count >= Self.flushSize { flush() }
                return scratch
            }
            leaveDirectMode()
        }
        return buffers[slot]
    }

    /// Appends the scratch's lines to the output.
    mutating func flush() {
        output.append(contentsOf: scratch.bytes)
        scratch.reset()
    }

    /// Where family `index`'s lines end in direct mode: where the next family's begin, or at the end.
    func directEnd(of index: Int) -> Int {
        index + 1 < outputs.count ? outputs[index + 1].range.lowerBound : directCount
    }

    /// Moves the lines written in order into one buffer per family, for a payload whose families interleave (a
    /// family repeated later, OpenMetrics gauge histograms, relabeling into another family).
    mutating func leaveDirectMode() {
        flush()
        isDirect = false
        while buffers.count < outputs.count { buffers.append(ByteSink(capacity: 1024)) }
        output.withUnsafeBytes { written in
            for index in outputs.indices {
                let start = outputs[index].range.lowerBound
                let length = directEnd(of: index) - start
                buffers[index].reserve(length)
                if length > 0 { buffers[index].put(written.baseAddress! + start, length) }
            }
        }
        output.removeAll(keepingCapacity: true)
    }

    mutating func finish(samplesScraped: Int) -> RenderedScrape {
        var families = outputs
        if isDirect {
            flush()
            for index in families.indices {
                families[index].range = families[index].range.lowerBound..<directEnd(of: index)
            }
        } else {
            var total = 0
            for index in outputs.indices { total += buffers[index].count }
            output.reserveCapacity(total + options.spareCapacity)
            for index in families.indices {
                let start = output.count
                output.append(contentsOf: buffers[index].bytes)
                families[index].range = start..<output.count
            }
        }
        var bytes: [UInt8] = []
        swap(&bytes, &output)
        // Held for as long as the snapshot lives: the buffer the caller gave, sized from the target's last scrape,
        // when the lines fit with their spare room and it is at most an eighth too large; else an exact copy
        // (never a buffer grown by doubling: up to half of it would be held empty).
        let needed = bytes.count + options.spareCapacity
        let slack = bytes.capacity == givenCapacity ? bytes.count / 8 + 4096 : 4096
        if bytes.capacity < needed || bytes.capacity > needed + slack {
            var exact: [UInt8] = []
            exact.reserveCapacity(bytes.count + options.spareCapacity)
            exact.append(contentsOf: bytes)
            bytes = exact
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
        // In direct mode a family's range begins where its first line will go.
        let start = isDirect ? directCount : 0
        outputs.append(RenderedFamily(name: name, type: type, help: help, range: start..<start, sampleCount: 0))
        outputIndex[name] = index
        // Small to start: pooled renderers keep their buffers, and many families have a sample or two.
        if !isDirect && buffers.count <= index { buffers.append(ByteSink(capacity: 1024)) }
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
                currentFamilyName
                ?? Unescaping.string(bytes, family.nameStart, family.nameEnd, escaped: family.nameEscaped)
            currentFamilyName = familyName
            guard
                let output = Self.outputName(
                    familyName: familyName,
                    type: family.type,
                    suffix: sample.suffix,
                    format: format
                )
            else {
                suffixOutputs[Int(sample.suffix.rawValue)] = -2
                return
            }
            let help =
                currentHelp
                ?? (family.hasHelp
                    ? FamilyBuilder.decodeHelp(bytes, family.helpStart, family.helpEnd, format: format) : nil)
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
        // The source label's value (for ``ScrapeRenderOptions/labelCopy``), unless the sample has the destination.
        var copiedValue: Range<Int>?
        var hasCopyDestination = false
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
            if !copySource.isEmpty {
                if nameLength == copySource.count,
                    copySource.withUnsafeBytes({
                        memcmp($0.baseAddress!, bytes.baseAddress! + label.nameStart, nameLength)
                    })
                        == 0
                {
                    copiedValue = label.valueStart..<label.valueEnd
                } else if nameLength == copyDestination.count,
                    copyDestination.withUnsafeBytes({
                        memcmp($0.baseAddress!, bytes.baseAddress! + label.nameStart, nameLength)
                    }) == 0
                {
                    hasCopyDestination = true
                }
            }
            if target.lengthMask & (1 &<< UInt64(min(nameLength, 63))) != 0 {
                for targetName in target.names where targetName.count == nameLength {
                    if targetName.withUnsafeBytes({
                        memcmp($0.baseAddress!, bytes.baseAddress! + label.nameStart, nameLength)
                    }) == 0 {
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
        if hasCopyDestination { copiedValue = nil }
        if let copiedValue { lineLength += copyPrefix.count + copiedValue.count + 1 }
        if options.limits.exceedsLabelValueLengthLimit(longestValue) {
            throw Self.valueTooLong(labels, bytes: bytes, limits: options.limits, line: sample.line)
        }
        if options.limits.labelLimit > 0 || options.limits.labelNameLengthLimit > 0 {
            try checkLimits(
                labelCount: scrapedCount + target.writtenCount + (copiedValue == nil ? 0 : 1),
                set: nil,
                labels: labels,
                bytes: bytes,
                line: sample.line
            )
        }
        samplesKept += 1
        if options.limits.exceedsSampleLimit(samplesKept) {
            throw options.limits.sampleLimitError(line: sample.line, column: 1)
        }
        outputs[outputSlot].sampleCount += 1
        let out = sink(for: outputSlot)
        let base = bytes.baseAddress!
        let hasBraces = sample.nameQuoted || !target.block.isEmpty || scrapedCount > 0
        out.reserve(
            lineLength + target.block.count
                + (sample.hasTimestamp ? sample.timestampEnd - sample.timestampStart + 24 : timestampText.count)
        )
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
        if let copiedValue {
            out.put(copyPrefix)
            out.put(base + copiedValue.lowerBound, copiedValue.count)
            out.put(UInt8(ascii: "\""))
        }
        if hasBraces { out.put(UInt8(ascii: "}")) }
        seriesHashes.append(
            SeriesHash.bytes(UnsafeRawBufferPointer(start: out.base + lineStart, count: out.count - lineStart))
        )
        out.put(UInt8(ascii: " "))
        out.put(base + sample.valueStart, sample.valueEnd - sample.valueStart)
        Self.appendTimestamp(sample, bytes: bytes, format: format, fallback: timestampText, into: out)
        out.put(UInt8(ascii: "\n"))
    }

    /// Writes the non-empty scraped labels one by one (`first`: no comma before the first).
    private func putLabels(
        _ labels: UnsafeBufferPointer<LabelToken>,
        base: UnsafeRawPointer,
        first: Bool,
        into out: ByteSink
    ) {
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

    /// Prometheus' label injection (`mutateSampleLabels`) on decoded labels: the slow path for collisions and
    /// relabeling.
    func injectedLabels(_ labels: UnsafeBufferPointer<LabelToken>, bytes: UnsafeRawBufferPointer) -> LabelSet {
        let scraped = labels.map { Label(Unescaping.labelName(bytes, $0), Unescaping.labelValue(bytes, $0)) }
        var set = LabelSet(scraped)
        options.labelCopy?.apply(to: &set)
        return LabelInjection.inject(target: options.targetLabels, into: set, honorLabels: options.honorLabels)
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
        if options.limits.exceedsSampleLimit(samplesKept) {
            throw options.limits.sampleLimitError(line: sample.line, column: 1)
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
        let sink = self.sink(for: slot)
        sink.append(out)
        sink.reserve(max(timestampText.count, 24) + (sample.timestampEnd - sample.timestampStart) + 2)
        Self.appendTimestamp(sample, bytes: bytes, format: format, fallback: timestampText, into: sink)
        sink.put(UInt8(ascii: "\n"))
    }
}
