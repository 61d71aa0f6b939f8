public import CrowsnestCore

/// The last scrape of one target, immutable, already rendered: what `/metrics` serves for it.
///
/// Sample lines of every family (the scrape's and the synthetic `up`, `scrape_*` series) sit in one contiguous
/// buffer; ``families`` gives each family's byte range. A snapshot is replaced whole after every scrape.
public final class TargetSnapshot: Sendable {
    /// The target.
    public let key: TargetKey
    /// The target labels.
    public let labels: [Label]
    /// Sample lines, family after family.
    public let bytes: [UInt8]
    /// Families with their byte ranges in ``bytes``.
    public let families: [RenderedFamily]
    /// The families' metadata, in order (compared between scrapes to know when the merge plan must change).
    public let metadata: [FamilyMetadata]
    /// Health of the last scrape.
    public let health: ScrapeHealth
    /// Number of sample lines held (scraped and synthetic).
    public let seriesCount: Int

    /// Creates a snapshot from a rendered scrape (nil for a failed one) and the rendered synthetic series.
    public init(key: TargetKey, labels: [Label], scrape: RenderedScrape?, synthetic: RenderedScrape, health: ScrapeHealth) {
        self.key = key
        self.labels = labels
        self.health = health
        // One buffer of exactly the needed size: snapshots are what the gateway's memory holds, and appending the
        // synthetic lines to the scrape's buffer would double its capacity.
        var bytes: [UInt8] = []
        bytes.reserveCapacity((scrape?.bytes.count ?? 0) + synthetic.bytes.count)
        bytes.append(contentsOf: scrape?.bytes ?? [])
        var families = scrape?.families ?? []
        let offset = bytes.count
        bytes.append(contentsOf: synthetic.bytes)
        for var family in synthetic.families {
            family.range = (family.range.lowerBound + offset)..<(family.range.upperBound + offset)
            families.append(family)
        }
        self.bytes = bytes
        self.families = families
        self.metadata = families.map { FamilyMetadata(name: $0.name, type: $0.type, help: $0.help) }
        self.seriesCount = families.reduce(0) { $0 + $1.sampleCount }
    }
}

/// The outcome of a target's last scrape.
public struct ScrapeHealth: Sendable, Hashable {
    /// Whether the scrape succeeded (`up`).
    public var up: Bool
    /// When the scrape started, milliseconds since the epoch.
    public var timestampMilliseconds: Int64
    /// How long it took, seconds.
    public var durationSeconds: Double
    /// Samples in the payload.
    public var samplesScraped: Int
    /// Samples kept after metric relabeling.
    public var samplesPostRelabeling: Int
    /// New series compared with the previous scrape.
    public var seriesAdded: Int
    /// Why it failed, in plain words (never containing secrets).
    public var error: String?

    /// Creates a health record.
    public init(
        up: Bool,
        timestampMilliseconds: Int64,
        durationSeconds: Double,
        samplesScraped: Int = 0,
        samplesPostRelabeling: Int = 0,
        seriesAdded: Int = 0,
        error: String? = nil
    ) {
        self.up = up
        self.timestampMilliseconds = timestampMilliseconds
        self.durationSeconds = durationSeconds
        self.samplesScraped = samplesScraped
        self.samplesPostRelabeling = samplesPostRelabeling
        self.seriesAdded = seriesAdded
        self.error = error
    }
}

/// The synthetic series Prometheus adds for every target.
public enum SyntheticSeries {
    /// Renders `up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`
    /// and `scrape_series_added` for a target.
    public static func render(_ health: ScrapeHealth, labels: [Label], timestamps: Bool) -> RenderedScrape {
        var payload = "# HELP up 1 if the target was scraped successfully, 0 otherwise.\n# TYPE up gauge\n"
        payload += "up \(health.up ? 1 : 0)\n"
        payload += "# HELP scrape_duration_seconds Duration of the scrape.\n# TYPE scrape_duration_seconds gauge\n"
        payload += "scrape_duration_seconds \(health.durationSeconds)\n"
        payload += "# HELP scrape_samples_scraped Samples the target exposed.\n# TYPE scrape_samples_scraped gauge\n"
        payload += "scrape_samples_scraped \(health.samplesScraped)\n"
        payload += "# HELP scrape_samples_post_metric_relabeling Samples left after metric relabeling.\n"
        payload += "# TYPE scrape_samples_post_metric_relabeling gauge\n"
        payload += "scrape_samples_post_metric_relabeling \(health.samplesPostRelabeling)\n"
        payload += "# HELP scrape_series_added Series new in this scrape.\n# TYPE scrape_series_added gauge\n"
        payload += "scrape_series_added \(health.seriesAdded)\n"
        var renderer = ScrapeRenderer()
        let options = ScrapeRenderOptions(
            targetLabels: labels,
            honorLabels: false,
            timestampMilliseconds: timestamps ? health.timestampMilliseconds : nil
        )
        // The payload is ours and valid; a failure here would be a bug, surfaced as an empty result.
        return (try? renderer.render(Array(payload.utf8), format: .text, options: options)) ?? RenderedScrape()
    }
}
