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
    /// ``ScrapeRenderOptions/labelCopy``'s names as bytes, and `,destination="` (empty names: no copy).
    let copySource: [UInt8]
    let copyDestination: [UInt8]
    let copyPrefix: [UInt8]

    init(options: ScrapeRenderOptions, format: ExpositionFormat, buffers: [ByteSink]) {
        self.options = options
        self.format = format
        self.target = PreparedTargetLabels(options.targetLabels)
        self.buffers = buffers
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
        let out = buffers[outputSlot]
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
        let sink = buffers[slot]
        sink.append(out)
        sink.reserve(max(timestampText.count, 24) + (sample.timestampEnd - sample.timestampStart) + 2)
        Self.appendTimestamp(sample, bytes: bytes, format: format, fallback: timestampText, into: sink)
        sink.put(UInt8(ascii: "\n"))
    }
}
