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
