internal import Synchronization

/// Renderers shared by the concurrent scrapes of one scheduler.
///
/// A scrape borrows a renderer for its render and gives it back, so the per-family buffers a renderer has grown
/// serve the next scrape instead of being allocated and grown again: on a 70 kB payload of 20 families a fresh
/// renderer takes about half again the time of a reused one (`CrowsnestBench scrape-render FILE`).
///
/// At most `maximumIdle` renderers wait in the pool, and one whose buffers grew past `maximumRetainedBytes` is
/// let go instead of kept, so a single huge target does not pin its buffers for the life of the cluster.
public final class ScrapeRendererPool: Sendable {
    /// The idle renderers' buffers (a renderer is non-copyable; its buffers are what it keeps between scrapes).
    private let idle = Mutex<[(families: [ByteSink], scratch: ByteSink?)]>([])
    private let maximumIdle: Int
    private let maximumRetainedBytes: Int

    /// Creates an empty pool.
    /// - Parameters:
    ///   - maximumIdle: renderers kept between scrapes (about as many as scrapes run at once).
    ///   - maximumRetainedBytes: a renderer holding more buffer bytes than this is not kept.
    public init(maximumIdle: Int, maximumRetainedBytes: Int = 1 << 20) {
        self.maximumIdle = max(0, maximumIdle)
        self.maximumRetainedBytes = maximumRetainedBytes
    }

    /// Runs `body` with a renderer from the pool (a new one when none is idle) and returns the renderer afterwards,
    /// whether `body` returned or threw.
    public func withRenderer<Result, Failure: Error>(_ body: (inout ScrapeRenderer) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        let recycled = idle.withLock { $0.popLast() }
        var renderer = ScrapeRenderer(recycling: recycled?.families ?? [], scratch: recycled?.scratch)
        defer { giveBack(renderer.takeBuffers()) }
        return try body(&renderer)
    }

    /// How many renderers wait in the pool.
    public var idleCount: Int { idle.withLock { $0.count } }

    private func giveBack(_ buffers: (families: [ByteSink], scratch: ByteSink?)) {
        let retained = buffers.families.reduce(buffers.scratch?.capacity ?? 0) { $0 + $1.capacity }
        guard retained > 0, retained <= maximumRetainedBytes else { return }
        idle.withLock { idle in
            if idle.count < maximumIdle { idle.append(buffers) }
        }
    }
}
