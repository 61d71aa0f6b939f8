import AsyncHTTPClient
import CoreMetrics
public import CrowsnestCore
import Foundation
import Logging
import Synchronization

/// One `remote_write` entry at run time: its encoder, its shards (one set per cluster when a header holds
/// `{{cluster}}`, since such samples need requests of their own), its storage and its counts.
public final class RemoteWriteDestination: Sendable {
    /// The entry.
    public let config: RemoteWriteConfig
    /// Its counts (health page, `/-/metrics`).
    public let stats: RemoteWriteStats
    /// Encodes rendered lines for it.
    let encoder: RemoteWriteEncoder
    private let client: RemoteWriteClient
    /// Shards by lane (cluster name, or "" when headers do not depend on it); lanes not yet running are in
    /// `unstarted`.
    private let lanes = Mutex<(shards: [String: [RemoteWriteShard]], unstarted: [String])>(([:], []))
    /// Why the disk buffer is not used, when it cannot be (samples then wait in memory only).
    let bufferProblem = Mutex<String?>(nil)

    /// Creates a destination; `relabeler` is the compiled `write_relabel_configs`.
    init(config: RemoteWriteConfig, relabeler: Relabeler?, httpClient: HTTPClient, metricsFactory: any MetricsFactory) {
        self.config = config
        self.stats = RemoteWriteStats(name: config.name, url: config.url, metricsFactory: metricsFactory)
        self.encoder = RemoteWriteEncoder(shardCount: config.queue.maxShards, relabeler: relabeler)
        self.client = RemoteWriteClient(config: config, httpClient: httpClient)
        stats.recordShards(config.queue.maxShards)
    }

    /// The lane of a cluster's samples.
    func lane(cluster: String) -> String { config.headersDependOnCluster ? cluster : "" }

    /// Queues encoded samples of `cluster`, each shard's share split into requests of at most
    /// `max_samples_per_send`.
    func submit(_ shards: [RemoteWriteBatch], cluster: String) {
        guard shards.contains(where: { !$0.isEmpty }) else { return }
        let targets = self.shards(lane: lane(cluster: cluster), minimum: shards.count)
        for (index, batch) in shards.enumerated() where !batch.isEmpty {
            for part in batch.split(maxSamples: config.queue.maxSamplesPerSend) { targets[index].enqueue(part) }
        }
    }

    /// The shards of `lane`, created (and queued for starting) on first use.
    private func shards(lane: String, minimum: Int) -> [RemoteWriteShard] {
        lanes.withLock { lanes in
            if let existing = lanes.shards[lane], existing.count >= minimum { return existing }
            var shards = lanes.shards[lane] ?? []
            let count = max(minimum, config.queue.maxShards)
            while shards.count < count {
                shards.append(
                    RemoteWriteShard(cluster: lane, index: shards.count, capacity: config.queue.capacity, stats: stats)
                )
            }
            if lanes.shards[lane] == nil { lanes.unstarted.append(lane) }
            lanes.shards[lane] = shards
            return shards
        }
    }

    /// Sends family metadata (per cluster, by name), each lane its clusters' in requests of at most 500 entries.
    func sendMetadata(_ byCluster: [String: [String: FamilyMetadata]], logger: Logger) async {
        var byLane: [String: [String: FamilyMetadata]] = [:]
        for (cluster, families) in byCluster {
            byLane[lane(cluster: cluster), default: [:]].merge(families) { first, _ in first }
        }
        for (lane, families) in byLane.sorted(by: { $0.key < $1.key }) {
            let sorted = families.values.sorted { $0.name < $1.name }
            for start in stride(from: 0, to: sorted.count, by: 500) {
                var payload: [UInt8] = []
                for family in sorted[start..<min(start + 500, sorted.count)] {
                    WriteRequestEncoding.appendMetadata(
                        family: family.name,
                        type: family.type,
                        help: family.help,
                        unit: nil,
                        into: &payload
                    )
                }
                let result = await client.send(payload, cluster: lane)
                if result.response != .accepted {
                    logger.debug("remote-write metadata not delivered", metadata: ["reason": "\(result.problem ?? "")"])
                }
            }
        }
    }

    /// The folder of a lane's buffer.
    func laneDirectory(_ lane: String, buffer: RemoteWriteBufferConfig) -> String {
        guard !lane.isEmpty else { return buffer.directory + "/all" }
        let safe = lane.unicodeScalars.map { scalar -> String in
            scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || scalar == "-"
                ? String(scalar) : String(format: "_%02X", scalar.value)
        }.joined()
        return buffer.directory + "/cluster-" + safe
    }

    /// Lanes found in the buffer folder (a restart with samples of clusters not seen yet): started at once, so
    /// their backlog drains.
    private func lanesOnDisk() -> [(lane: String, shards: Int)] {
        guard let buffer = config.buffer,
            let names = try? FileManager.default.contentsOfDirectory(atPath: buffer.directory)
        else { return [] }
        return names.compactMap { name -> (String, Int)? in
            let lane: String
            if name == "all" {
                lane = ""
            } else if name.hasPrefix("cluster-") {
                lane = Self.decodeLane(String(name.dropFirst(8)))
            } else {
                return nil
            }
            let shardDirectories =
                (try? FileManager.default.contentsOfDirectory(atPath: buffer.directory + "/" + name))?
                .compactMap { Int($0) } ?? []
            return (lane, (shardDirectories.max() ?? -1) + 1)
        }
    }

    private static func decodeLane(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var iterator = Array(text.unicodeScalars)[...]
        while let scalar = iterator.popFirst() {
            if scalar == "_", iterator.count >= 2,
                let value = UInt32(String(String.UnicodeScalarView(iterator.prefix(2))), radix: 16),
                let decoded = Unicode.Scalar(value)
            {
                iterator = iterator.dropFirst(2)
                scalars.append(decoded)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Runs every shard until `isStopping`, then until each has flushed (``RemoteWriteConfig/flushDeadline``);
    /// lanes created meanwhile start within a tick, and lanes created just before the stop still flush.
    func run(logger: Logger, isStopping: @escaping @Sendable () -> Bool) async {
        if config.buffer != nil {
            for (lane, count) in lanesOnDisk() { _ = shards(lane: lane, minimum: count) }
        }
        if !config.headersDependOnCluster { _ = shards(lane: "", minimum: 0) }
        await withDiscardingTaskGroup { group in
            while !isStopping() && !Task.isCancelled {
                startNewLanes(in: &group, logger: logger, isStopping: isStopping)
                try? await Task.sleep(for: RemoteWriteShard.tick)
            }
            startNewLanes(in: &group, logger: logger, isStopping: isStopping)
        }
    }

    /// Starts one task per shard of every lane created since the last call.
    private func startNewLanes(
        in group: inout DiscardingTaskGroup,
        logger: Logger,
        isStopping: @escaping @Sendable () -> Bool
    ) {
        let started = lanes.withLock { lanes -> [(String, [RemoteWriteShard])] in
            defer { lanes.unstarted = [] }
            return lanes.unstarted.compactMap { lane in lanes.shards[lane].map { (lane, $0) } }
        }
        for (lane, shards) in started {
            let count = shards.count
            for shard in shards {
                let client = self.client
                let config = self.config
                group.addTask {
                    // Opened in the shard's own task, which alone uses it.
                    let storage = self.makeStorage(lane: lane, shard: shard.index, shardCount: count, logger: logger)
                    await shard.run(
                        storage: storage,
                        client: client,
                        queue: config.queue,
                        maxAge: config.buffer?.maxAge,
                        flushDeadline: config.flushDeadline,
                        logger: logger,
                        isStopping: isStopping
                    )
                }
            }
        }
    }

    /// The storage of one shard: the disk buffer when configured and usable, else memory.
    private func makeStorage(lane: String, shard: Int, shardCount: Int, logger: Logger) -> any ShardStorage {
        if let buffer = config.buffer {
            do {
                return try SegmentShardStorage(
                    directory: laneDirectory(lane, buffer: buffer) + "/\(shard)",
                    maxBytes: Int(buffer.maxSize.bytes) / max(1, shardCount),
                    segmentSize: Int(
                        min(
                            buffer.segmentSize.bytes,
                            max(64 << 10, buffer.maxSize.bytes / Int64(max(1, shardCount)) / 4)
                        )
                    ),
                    maxAge: buffer.maxAge,
                    stats: stats
                )
            } catch {
                let message = "buffer unusable, samples kept in memory only: \(error.message)"
                bufferProblem.withLock { $0 = message }
                stats.recordError(message)
                logger.error(
                    "remote-write buffer unusable; keeping samples in memory only",
                    metadata: ["remote_write": "\(config.name)", "error": "\(error.message)"]
                )
            }
        }
        return MemoryShardStorage(capacity: config.queue.capacity, stats: stats)
    }
}
