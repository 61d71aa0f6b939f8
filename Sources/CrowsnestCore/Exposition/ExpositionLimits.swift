/// Limits applied while parsing and rendering one scrape (SPEC §3 `scrape:`).
///
/// Zero means no limit.
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
