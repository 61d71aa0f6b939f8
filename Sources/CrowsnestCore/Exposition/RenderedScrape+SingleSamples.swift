extension RenderedScrape {
    /// Families of one sample each, labelled with target labels and stamped, written directly: the lines the
    /// renderer writes for a text payload of these families (`# HELP`, `# TYPE`, `name value`), without parsing
    /// one.
    ///
    /// The gateway's synthetic `up` and `scrape_*` series, five per target and scrape, are written this way.
    /// - Parameters:
    ///   - samples: each family's name (a valid metric name), HELP text and value (valid text-format value text).
    ///   - type: the families' type.
    ///   - targetLabels: as ``ScrapeRenderOptions/targetLabels`` (labels with empty values are left out).
    ///   - timestampMilliseconds: appended to every sample; `nil` for none.
    ///   - spareCapacity: room to leave free at the end of ``bytes``.
    public init(
        singleSamples samples: [(name: String, help: String, value: String)],
        type: MetricType,
        targetLabels: [Label],
        timestampMilliseconds: Int64?,
        spareCapacity: Int = 0
    ) {
        let target = PreparedTargetLabels(targetLabels)
        let timestamp = RenderVisitor.timestampText(timestampMilliseconds)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            samples.reduce(spareCapacity) {
                $0 + $1.name.utf8.count + $1.value.utf8.count + target.block.count + 8 + timestamp.count
            }
        )
        var families: [RenderedFamily] = []
        families.reserveCapacity(samples.count)
        var seriesHashes: [UInt64] = []
        seriesHashes.reserveCapacity(samples.count)
        for sample in samples {
            let start = bytes.count
            if NameSyntax.isLegacyMetricName(sample.name.utf8) {
                bytes.append(contentsOf: sample.name.utf8)
                if !target.block.isEmpty {
                    bytes.append(UInt8(ascii: "{"))
                    bytes.append(contentsOf: target.block)
                    bytes.append(UInt8(ascii: "}"))
                }
            } else {
                bytes.append(UInt8(ascii: "{"))
                ExpositionWriter.appendQuoted(sample.name, into: &bytes)
                if !target.block.isEmpty {
                    bytes.append(UInt8(ascii: ","))
                    bytes.append(contentsOf: target.block)
                }
                bytes.append(UInt8(ascii: "}"))
            }
            seriesHashes.append(
                bytes.withUnsafeBytes { SeriesHash.bytes(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            )
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: sample.value.utf8)
            bytes.append(contentsOf: timestamp)
            bytes.append(UInt8(ascii: "\n"))
            families.append(
                RenderedFamily(
                    name: sample.name,
                    type: type,
                    help: sample.help,
                    range: start..<bytes.count,
                    sampleCount: 1
                )
            )
        }
        self.init(
            bytes: bytes,
            families: families,
            samplesScraped: samples.count,
            samplesPostRelabeling: samples.count,
            seriesHashes: seriesHashes
        )
    }
}
