public import CrowsnestCore
import Synchronization

/// The last scrape of one target, immutable, already rendered: what `/metrics` serves for it.
///
/// Sample lines of every family (the scrape's and the synthetic `up`, `scrape_*` series) sit in one contiguous
/// buffer; ``families`` gives each family's byte range. A snapshot is replaced whole after every scrape.
///
/// The lines are held as text until the store compresses them (``deflated(using:)``, then ``holdCompressed()``):
/// one raw-deflate piece per family, about a fourteenth of the text. Gzip responses copy the pieces; plain ones
/// inflate them. What is served never changes, only how it is held.
public final class TargetSnapshot: Sendable {
    /// The target.
    public let key: TargetKey
    /// The target labels.
    public let labels: [Label]
    /// Families with their byte ranges in the text (``bytes``).
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
    /// Length of the text, however it is held: what the target's next scrape reserves.
    public let textCount: Int
    /// Where the text buffer goes once no longer held (compressed, or the snapshot freed): a later scrape renders
    /// into it.
    let recycler: BufferRecycler<[UInt8]>?

    /// How the lines are held right now.
    public enum Lines: Sendable {
        /// As text.
        case text([UInt8])
        /// As raw-deflate pieces, one per family.
        case compressed(DeflatedRanges)
    }

    /// The lines, and their pieces once made (kept beside the text until ``holdCompressed()``).
    private struct Storage {
        var lines: Lines
        var deflated: DeflatedRanges?
    }

    private let storage: Mutex<Storage>

    /// Creates a snapshot holding `lines`: the scrape's lines followed by the synthetic ones; `recycler` gets the
    /// lines' buffer back once the snapshot no longer holds it.
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
        self.families = lines.families
        self.seriesCount = lines.families.reduce(0) { $0 + $1.sampleCount }
        self.textCount = lines.bytes.count
        self.recycler = recycler
        self.storage = Mutex(Storage(lines: .text(lines.bytes), deflated: nil))
    }

    deinit {
        if case .text(let text) = storage.withLock({ $0.lines }) { recycler?.giveBack(text) }
    }

    /// The lines as held right now (a reference, not a copy): what a response reads for its whole length.
    public var lines: Lines { storage.withLock { $0.lines } }

    /// The sample lines, family after family: the text, or (held compressed) every piece inflated.
    public var bytes: [UInt8] {
        switch lines {
        case .text(let text):
            return text
        case .compressed(let pieces):
            let inflater = RawInflater()
            var bytes = [UInt8](repeating: 0, count: textCount)
            bytes.withUnsafeMutableBytes { bytes in
                for (index, family) in families.enumerated() {
                    let destination = UnsafeMutableRawBufferPointer(rebasing: bytes[family.range])
                    _ = inflater.inflate(pieces, piece: index, into: destination)
                }
            }
            return bytes
        }
    }

    /// Calls `body` with family `index`'s lines: a slice of the text, or its piece inflated with `inflater`.
    public func withFamilyBytes<Result>(
        _ index: Int,
        inflater: RawInflater,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        switch lines {
        case .text(let text):
            return try text.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[families[index].range])) }
        case .compressed(let pieces):
            return try inflater.inflate(pieces, piece: index).withUnsafeBytes(body)
        }
    }

    /// Each family's lines as raw deflate, piece `i` for ``families``[`i`]: what a gzip `/metrics` response copies
    /// instead of compressing. Compressed with `deflater` on first use (outside any lock; when two callers race,
    /// the first result is kept) and held for the snapshot's life.
    public func deflated(using deflater: RawDeflater) -> DeflatedRanges {
        let text: [UInt8]
        switch storage.withLock({ ($0.lines, $0.deflated) }) {
        case (_, .some(let pieces)), (.compressed(let pieces), _): return pieces
        case (.text(let lines), nil): text = lines
        }
        let made = DeflatedRanges(text, ranges: families.map(\.range), deflater: deflater)
        return storage.withLock { storage in
            if let pieces = storage.deflated { return pieces }
            storage.deflated = made
            return made
        }
    }

    /// Whether ``deflated(using:)`` has been made.
    public var isDeflated: Bool { storage.withLock { $0.deflated != nil } }

    /// Bytes the lines take as held now: the text, or the pieces.
    public var heldBytes: Int {
        switch lines {
        case .text(let text): text.capacity
        case .compressed(let pieces): pieces.heldBytes
        }
    }

    /// Whether the lines are held compressed only.
    public var isHeldCompressed: Bool {
        if case .compressed = lines { return true }
        return false
    }

    /// Drops the text once the pieces are made, so that only they are held; the text buffer goes back to the
    /// recycler. Does nothing unless the families cover the text exactly (else inflating could not rebuild it).
    public func holdCompressed() {
        guard Self.rangesCover(families, count: textCount) else { return }
        let text = storage.withLock { storage -> [UInt8]? in
            guard let pieces = storage.deflated, case .text(let text) = storage.lines else { return nil }
            storage.lines = .compressed(pieces)
            return text
        }
        if let text { recycler?.giveBack(text) }
    }

    /// Whether the families' ranges follow each other from 0 to `count`.
    static func rangesCover(_ families: [RenderedFamily], count: Int) -> Bool {
        var end = 0
        for family in families {
            guard family.range.lowerBound == end else { return false }
            end = family.range.upperBound
        }
        return end == count
    }

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
