public import AsyncHTTPClient
public import CoreMetrics
public import CrowsnestCore
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Remote write: every sample the gateway serves, sent to each `remote_write` destination as it is scraped, with
/// staleness markers when a series disappears, a target fails or goes away, or its cluster is removed — as
/// Prometheus writes them, so receivers end the series at once.
///
/// It watches the ``SnapshotStore`` (``SnapshotObserver``): a replaced snapshot's lines are encoded for each
/// destination; series of the previous snapshot missing from the new one get a stale marker at the new scrape's
/// time; a removed snapshot's series all get one at the removal time. Sending runs in ``run()``, a service of the
/// gateway's group; on graceful shutdown queued samples go to the disk buffer (when configured) for the next start.
public final class RemoteWriteService: Service, SnapshotObserver {
    /// The destinations, in file order.
    public let destinations: [RemoteWriteDestination]
    private let logger: Logger
    /// Each target's series (hashes of the rendered series text, sorted) at its last scrape.
    private let lastSeries = Mutex<[TargetKey: [UInt64]]>([:])
    private let stopping = Atomic<Bool>(false)
    /// Family metadata (type, HELP) per cluster and family name, from the targets' scrapes: sent to every
    /// destination every ``metadataInterval`` as Prometheus sends it (`WriteRequest.metadata`).
    private let metadata = Mutex<[String: [String: FamilyMetadata]]>([:])
    /// How often metadata goes out (Prometheus' `metadata_config.send_interval`); the first time a few seconds
    /// after the start.
    let metadataInterval: Duration

    /// Creates the service for `configs`; an entry whose `write_relabel_configs` do not compile is left out and
    /// logged (the config decoder already refuses those).
    public init(
        configs: [RemoteWriteConfig],
        httpClient: HTTPClient,
        metricsFactory: any MetricsFactory,
        logger: Logger,
        metadataInterval: Duration = .seconds(60)
    ) {
        var destinations: [RemoteWriteDestination] = []
        for config in configs {
            do throws(RelabelError) {
                let relabeler = config.writeRelabelRules.isEmpty ? nil : try Relabeler(rules: config.writeRelabelRules)
                destinations.append(
                    RemoteWriteDestination(
                        config: config,
                        relabeler: relabeler,
                        httpClient: httpClient,
                        metricsFactory: metricsFactory
                    )
                )
            } catch {
                logger.error(
                    "remote_write entry left out: write_relabel_configs invalid",
                    metadata: ["remote_write": "\(config.name)", "error": "\(error)"]
                )
            }
        }
        self.destinations = destinations
        self.logger = logger
        self.metadataInterval = metadataInterval
    }

    /// Sends until graceful shutdown.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for destination in destinations {
                    let logger = self.logger
                    group.addTask {
                        var logger = logger
                        logger[metadataKey: "remote_write"] = "\(destination.config.name)"
                        await destination.run(
                            logger: logger,
                            isStopping: { [self] in stopping.load(ordering: .relaxed) }
                        )
                    }
                    group.addTask { await self.sendMetadata(to: destination) }
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
    }

    public func snapshotReplaced(_ snapshot: TargetSnapshot, previous: TargetSnapshot?) {
        guard !destinations.isEmpty else { return }
        if !SnapshotStore.sameMetadata(previous, snapshot) {
            let families = snapshot.metadata
            metadata.withLock { all in
                for family in families { all[snapshot.key.cluster, default: [:]][family.name] = family }
            }
        }
        let timestamp = snapshot.health.timestampMilliseconds
        var hashes: [UInt64] = []
        for (index, destination) in destinations.enumerated() {
            let output = destination.encoder.encode(
                snapshot.bytes,
                defaultTimestamp: timestamp,
                collectHashes: index == 0
            )
            if index == 0 { hashes = output.seriesHashes.sorted() }
            destination.submit(output.shards, cluster: snapshot.key.cluster)
        }
        let before = lastSeries.withLock { $0.updateValue(hashes, forKey: snapshot.key) }
        guard let previous, let before else { return }
        let gone = Self.missing(before, from: hashes)
        guard !gone.isEmpty else { return }
        // The series that disappeared (a failed scrape: all the scraped ones) end now.
        for destination in destinations {
            let output = destination.encoder.encode(
                previous.bytes,
                defaultTimestamp: previous.health.timestampMilliseconds,
                staleAt: timestamp,
                only: gone
            )
            destination.submit(output.shards, cluster: snapshot.key.cluster)
        }
    }

    public func snapshotsRemoved(_ snapshots: [TargetSnapshot]) {
        // A gateway shutting down drops every target; its series have not ended (the next start continues them), so
        // no stale markers then, as Prometheus writes none on shutdown.
        guard !destinations.isEmpty, !Task.isShuttingDownGracefully else { return }
        lastSeries.withLock { series in
            for snapshot in snapshots { series[snapshot.key] = nil }
        }
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        for snapshot in snapshots {
            let staleAt = max(now, snapshot.health.timestampMilliseconds + 1)
            for destination in destinations {
                let output = destination.encoder.encode(
                    snapshot.bytes,
                    defaultTimestamp: snapshot.health.timestampMilliseconds,
                    staleAt: staleAt
                )
                destination.submit(output.shards, cluster: snapshot.key.cluster)
            }
        }
    }

    /// Sends every family's metadata to `destination` a few seconds after the start, then every
    /// ``metadataInterval``, until shutdown; best effort, as Prometheus does (not buffered, not retried).
    private func sendMetadata(to destination: RemoteWriteDestination) async {
        var next = ContinuousClock.now + min(.seconds(5), metadataInterval)
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            guard ContinuousClock.now >= next else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            next = ContinuousClock.now + metadataInterval
            await destination.sendMetadata(metadata.withLock { $0 }, logger: logger)
        }
    }

    /// The hashes in sorted `old` that sorted `new` lacks.
    static func missing(_ old: [UInt64], from new: [UInt64]) -> Set<UInt64> {
        var gone = Set<UInt64>()
        var index = 0
        for hash in old {
            while index < new.count && new[index] < hash { index += 1 }
            if index >= new.count || new[index] != hash { gone.insert(hash) }
        }
        return gone
    }
}
