/// Parses a scraped payload (scrape mode), injects target labels and renders text sample lines grouped by family:
/// the gateway's hot path.
///
/// Reuse one renderer across scrapes (it is non-copyable: one per scraping task, or borrowed from a
/// ``ScrapeRendererPool``): its per-family buffers are kept, so a steady-state scrape allocates only the output
/// (one buffer) and per-family metadata, never per sample.
public struct ScrapeRenderer: ~Copyable, Sendable {
    private var buffers: [ByteSink] = []
    private var scratch: ByteSink?

    /// Creates a renderer.
    public init() {}

    /// A renderer that writes into `buffers` and `scratch` (emptied by the renderer that had them).
    init(recycling buffers: [ByteSink], scratch: ByteSink?) {
        self.buffers = buffers
        self.scratch = scratch
    }

    /// Hands the buffers over (to a ``ScrapeRendererPool``), leaving none.
    mutating func takeBuffers() -> (families: [ByteSink], scratch: ByteSink?) {
        defer {
            buffers = []
            scratch = nil
        }
        return (buffers, scratch)
    }

    /// Renders `payload` in `format`.
    ///
    /// The result's ``RenderedScrape/bytes`` is `output` (emptied first) when its capacity is about what they
    /// need: a caller that passes the buffer of an earlier scrape of the same size gets its lines written into
    /// memory already mapped, instead of a fresh multi-MB allocation whose every page faults in.
    public mutating func render(
        _ payload: UnsafeRawBufferPointer,
        format: ExpositionFormat,
        options: ScrapeRenderOptions,
        reusing output: consuming [UInt8] = []
    )
        throws(ExpositionError) -> RenderedScrape
    {
        let limits = options.limits
        if limits.labelValueLengthLimit > 0,
            let label = options.targetLabels.first(where: { limits.exceedsLabelValueLengthLimit($0.value.utf8.count) })
        {
            throw limits.targetLabelValueLengthError(label)
        }
        var visitor = RenderVisitor(
            options: options,
            format: format,
            buffers: buffers,
            scratch: scratch ?? ByteSink(capacity: RenderVisitor.flushSize + 4096),
            output: consume output
        )
        defer { (buffers, scratch) = visitor.recycle() }
        let summary = try ExpositionParser(format: format, mode: .scrape).parse(payload, visitor: &visitor)
        return visitor.finish(samplesScraped: summary.sampleCount)
    }

    /// Renders a payload held in an array.
    public mutating func render(_ payload: [UInt8], format: ExpositionFormat, options: ScrapeRenderOptions)
        throws(ExpositionError) -> RenderedScrape
    {
        let result: Result<RenderedScrape, ExpositionError> = payload.withUnsafeBytes { buffer in
            do throws(ExpositionError) {
                return .success(try render(buffer, format: format, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
