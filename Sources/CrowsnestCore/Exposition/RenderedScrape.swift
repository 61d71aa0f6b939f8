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

    /// Appends `other`'s lines and families after these (their ranges shifted).
    ///
    /// In place when the buffer was
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
