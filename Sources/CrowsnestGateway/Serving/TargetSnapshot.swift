public import CrowsnestCore
import Synchronization

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
    /// The families' metadata, in order (compared between scrapes to know when the merge plan must change);
    /// derived on demand, not held: every held byte is multiplied by the number of targets.
    public var metadata: [FamilyMetadata] {
        families.map { FamilyMetadata(name: $0.name, type: $0.type, help: $0.help) }
    }
    /// Health of the last scrape.
    public let health: ScrapeHealth
    /// Number of sample lines held (scraped and synthetic).
    public let seriesCount: Int
    /// Where ``bytes`` go when the snapshot is gone (replaced, and no longer served): a later scrape renders into
    /// them.
    let recycler: BufferRecycler<[UInt8]>?
    /// The families' lines compressed for gzip responses (one piece per family), made on first need.
    private let deflatedCache = Mutex<DeflatedRanges?>(nil)

    /// Creates a snapshot holding `lines`: the scrape's lines followed by the synthetic ones; `recycler` gets the
    /// lines' buffer back once the snapshot is freed.
    public init(
        key: TargetKey,
        labels: [Label],
        lines: RenderedScrape,
        health: ScrapeHealth,
        recycler: BufferRecycler<[UInt8]>? = nil
    ) {
        self.key = key
        self.labels = labels
        self.health = health
        self.bytes = lines.bytes
        self.families = lines.families
        self.seriesCount = lines.families.reduce(0) { $0 + $1.sampleCount }
        self.recycler = recycler
    }

    deinit {
        recycler?.giveBack(bytes)
    }

    /// Each family's lines as raw deflate, piece `i` for ``families``[`i`]: what a gzip `/metrics` response copies
    /// instead of compressing. Compressed with `deflater` on first use (outside any lock; when two callers race,
    /// the first result is kept) and held for the snapshot's life.
    public func deflated(using deflater: RawDeflater) -> DeflatedRanges {
        if let cached = deflatedCache.withLock({ $0 }) { return cached }
        let made = DeflatedRanges(bytes, ranges: families.map(\.range), deflater: deflater)
        return deflatedCache.withLock { cached in
            if let cached { return cached }
            cached = made
            return made
        }
    }

    /// Whether ``deflated(using:)`` has been made.
    public var isDeflated: Bool { deflatedCache.withLock { $0 != nil } }

    /// Creates a snapshot from a rendered scrape (nil for a failed one) and the rendered synthetic series.
    ///
    /// The gateway itself renders into one buffer and uses ``init(key:labels:lines:health:)``; this one is for
    /// callers outside the module that build snapshots directly (the serving benchmark and the federation tests),
    /// so it stays public here rather than moving into a test target.
    public convenience init(
        key: TargetKey,
        labels: [Label],
        scrape: RenderedScrape?,
        synthetic: RenderedScrape,
        health: ScrapeHealth
    ) {
        var lines = scrape ?? RenderedScrape()
        lines.append(synthetic)
        self.init(key: key, labels: labels, lines: lines, health: health)
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
    /// Bytes of the body, decompressed (0 when none was read): the next scrape of the target reserves this much.
    public var bodyBytes: Int
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
        bodyBytes: Int = 0,
        error: String? = nil
    ) {
        self.up = up
        self.timestampMilliseconds = timestampMilliseconds
        self.durationSeconds = durationSeconds
        self.samplesScraped = samplesScraped
        self.samplesPostRelabeling = samplesPostRelabeling
        self.seriesAdded = seriesAdded
        self.bodyBytes = bodyBytes
        self.error = error
    }
}

/// The synthetic series Prometheus adds for every target.
public enum SyntheticSeries {
    /// An upper bound of the bytes ``render(_:labels:timestamps:)`` writes for a target with `labels`: five lines
    /// of at most 40 bytes of name, 24 of value and 16 of timestamp, each with the labels.
    public static func estimatedSize(labels: [Label]) -> Int {
        let labelBytes = labels.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count * 2 + 4 }
        return 5 * (40 + labelBytes + 24 + 16 + 3)
    }

    /// Renders `up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`
    /// and `scrape_series_added` for a target: five gauge families of one sample each, written directly (the
    /// same lines a parse of them would give, at a fraction of the cost: this runs after every scrape).
    public static func render(_ health: ScrapeHealth, labels: [Label], timestamps: Bool) -> RenderedScrape {
        RenderedScrape(
            singleSamples: [
                ("up", "1 if the target was scraped successfully, 0 otherwise.", health.up ? "1" : "0"),
                ("scrape_duration_seconds", "Duration of the scrape.", "\(health.durationSeconds)"),
                ("scrape_samples_scraped", "Samples the target exposed.", "\(health.samplesScraped)"),
                (
                    "scrape_samples_post_metric_relabeling", "Samples left after metric relabeling.",
                    "\(health.samplesPostRelabeling)"
                ),
                ("scrape_series_added", "Series new in this scrape.", "\(health.seriesAdded)"),
            ],
            type: .gauge,
            targetLabels: labels,
            timestampMilliseconds: timestamps ? health.timestampMilliseconds : nil
        )
    }
}
