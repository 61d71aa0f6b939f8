/// Limits applied while parsing and rendering one scrape (SPEC §3 `scrape:`). Zero means no limit.
public struct ExpositionLimits: Sendable, Hashable {
    /// Maximum samples in one payload; over it the whole scrape fails.
    public var sampleLimit: Int
    /// Maximum labels on one sample (scraped plus target labels).
    public var labelLimit: Int
    /// Maximum bytes of one label name.
    public var labelNameLengthLimit: Int
    /// Maximum bytes of one label value.
    public var labelValueLengthLimit: Int
    /// Maximum payload bytes (applies to decompressed bodies too).
    public var bodySizeLimit: Int

    /// Creates limits; every limit defaults to none.
    public init(
        sampleLimit: Int = 0,
        labelLimit: Int = 0,
        labelNameLengthLimit: Int = 0,
        labelValueLengthLimit: Int = 0,
        bodySizeLimit: Int = 0
    ) {
        self.sampleLimit = sampleLimit
        self.labelLimit = labelLimit
        self.labelNameLengthLimit = labelNameLengthLimit
        self.labelValueLengthLimit = labelValueLengthLimit
        self.bodySizeLimit = bodySizeLimit
    }

    /// No limits.
    public static let none = ExpositionLimits()
}

/// Collects a body arriving in chunks and refuses it as soon as it grows past a limit, so an oversized payload
/// is never held whole in memory.
public struct BoundedByteCollector: Sendable {
    /// The bytes collected so far.
    public private(set) var bytes: [UInt8] = []
    /// The limit in bytes; 0 means none.
    public let limit: Int

    /// Thrown when the limit is exceeded.
    public struct LimitExceeded: Error, Sendable, CustomStringConvertible {
        /// The limit that was exceeded.
        public let limit: Int
        public var description: String { "body exceeds the size limit of \(limit) bytes" }
    }

    /// Creates a collector; `expectedSize` reserves capacity up to the limit.
    public init(limit: Int, expectedSize: Int = 0) {
        self.limit = limit
        if expectedSize > 0 { bytes.reserveCapacity(limit > 0 ? min(expectedSize, limit) : expectedSize) }
    }

    /// Appends a chunk, throwing (and keeping nothing more) when the limit would be exceeded.
    public mutating func append(_ chunk: some Collection<UInt8>) throws(LimitExceeded) {
        if limit > 0 && bytes.count + chunk.count > limit { throw LimitExceeded(limit: limit) }
        bytes.append(contentsOf: chunk)
    }
}
