import CoreMetrics
import CrowsnestCore
import Foundation
import PeerSupport
import Testing

@testable import CrowsnestGateway

/// The shard queues: memory bounded by capacity, the disk buffer surviving restarts, torn segments and limits.
@Suite("Remote write storage")
struct RemoteWriteStorageTests {
    static func stats() -> RemoteWriteStats {
        RemoteWriteStats(name: "t", url: "http://127.0.0.1:1/", metricsFactory: NOOPMetricsHandler.instance)
    }

    /// A batch of `count` samples with timestamps from `timestamp`.
    static func batch(_ count: Int, timestamp: Int64, name: String = "m") -> RemoteWriteBatch {
        let text = (0..<count).map { "\(name){i=\"\($0)\"} \($0) \(timestamp + Int64($0))\n" }.joined()
        return RemoteWriteEncoder(shardCount: 1).encode(Array(text.utf8), defaultTimestamp: 0).shards[0]
    }

    /// A disk buffer in `folder` with one large segment, no age limit, and `recentLimit` bytes of copies in memory.
    static func disk(
        _ folder: TemporaryDirectory,
        _ stats: RemoteWriteStats,
        recentLimit: Int
    ) throws -> SegmentShardStorage {
        try SegmentShardStorage(
            directory: folder.path,
            maxBytes: 1 << 30,
            segmentSize: 1 << 20,
            maxAge: .seconds(0),
            stats: stats,
            recentLimit: recentLimit
        )
    }

    @Test("memory: FIFO, commit removes what was peeked, the oldest go past capacity (counted), never in flight")
    func memory() throws {
        let stats = Self.stats()
        let storage = MemoryShardStorage(capacity: 25, stats: stats)
        for index in 0..<3 { storage.append(Self.batch(10, timestamp: Int64(index) * 100)) }
        #expect(storage.pendingSamples == 20)
        #expect(stats.snapshot.dropped == 10)
        let request = try #require(storage.peek(maxSamples: 15, oldestAllowed: .min))
        #expect(request.batch.sampleCount == 10)
        #expect(request.batch.newestTimestamp == 109)
        storage.append(Self.batch(10, timestamp: 300))
        storage.append(Self.batch(10, timestamp: 400))
        // Over capacity again, twice: the oldest batches not in flight (200, then 300) went, the peeked one (100)
        // stayed, and the newest is kept.
        #expect(stats.snapshot.dropped == 30)
        storage.commit(request)
        let next = try #require(storage.peek(maxSamples: 100, oldestAllowed: .min))
        #expect(next.batch.sampleCount == 10)
        #expect(next.batch.newestTimestamp == 409)
        storage.commit(next)
        #expect(storage.pendingSamples == 0)
        #expect(stats.snapshot.pending == 0)
        #expect(storage.peek(maxSamples: 10, oldestAllowed: .min) == nil)
    }

    @Test("disk: what was not committed is there after a reopen, in order, and never twice")
    func diskSurvivesRestart() throws {
        let folder = try TemporaryDirectory("rw-disk")
        defer { folder.remove() }
        let stats = Self.stats()
        func open() throws -> SegmentShardStorage {
            try SegmentShardStorage(
                directory: folder.file("0"),
                maxBytes: 1 << 30,
                segmentSize: 4096,
                maxAge: .seconds(0),
                stats: stats
            )
        }
        var storage = try open()
        for index in 0..<40 { try storage.append(Self.batch(10, timestamp: Int64(index) * 1000)) }
        let segments = try FileManager.default.contentsOfDirectory(atPath: folder.file("0")).filter {
            $0.hasSuffix(".seg")
        }
        #expect(segments.count > 3, "several segments")
        var sent: [Int64] = []
        for _ in 0..<5 {
            let request = try #require(storage.peek(maxSamples: 30, oldestAllowed: .min))
            sent.append(request.batch.newestTimestamp)
            storage.commit(request)
        }
        // A peek that is never committed (the gateway stopped mid-request) is sent again after the restart.
        _ = storage.peek(maxSamples: 30, oldestAllowed: .min)
        storage.close()
        storage = try open()
        #expect(storage.pendingSamples == 400 - 150)
        while let request = storage.peek(maxSamples: 30, oldestAllowed: .min) {
            sent.append(request.batch.newestTimestamp)
            storage.commit(request)
        }
        let expected: [Int64] = (0..<40).filter { $0 % 3 == 2 || $0 == 39 }.map { Int64($0) * 1000 + 9 }
        #expect(sent == expected)
        #expect(storage.pendingSamples == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.file("0")).filter { $0.hasSuffix(".seg") }
        #expect(left.count <= 1, "acknowledged segments are deleted")
    }

    @Test("disk: a torn last record is cut off and counted; a corrupted older segment loses only its rest")
    func tornSegments() throws {
        let folder = try TemporaryDirectory("rw-torn")
        defer { folder.remove() }
        let stats = Self.stats()
        func open() throws -> SegmentShardStorage {
            try SegmentShardStorage(
                directory: folder.path,
                maxBytes: 1 << 30,
                segmentSize: 2048,
                maxAge: .seconds(0),
                stats: stats
            )
        }
        var storage = try open()
        for index in 0..<12 { try storage.append(Self.batch(10, timestamp: Int64(index) * 1000)) }
        storage.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".seg") }
            .sorted()
        #expect(segments.count >= 3)
        // Tear the last segment (a crash mid-write) and flip a byte in the middle of the first one.
        let last = folder.file(segments.last!)
        let lastData = try Data(contentsOf: URL(fileURLWithPath: last))
        try lastData.prefix(lastData.count - 7).write(to: URL(fileURLWithPath: last))
        let first = folder.file(segments[0])
        var firstData = try Data(contentsOf: URL(fileURLWithPath: first))
        let firstRecordSize = Self.batch(10, timestamp: 0).payload.count + BufferRecord.headerSize
        firstData[firstRecordSize + BufferRecord.headerSize + 5] ^= 0xFF
        try firstData.write(to: URL(fileURLWithPath: first))

        storage = try open()
        #expect(stats.snapshot.corruptRecords == 2)
        try storage.append(Self.batch(10, timestamp: 99_000))
        var timestamps: [Int64] = []
        while let request = storage.peek(maxSamples: 10, oldestAllowed: .min) {
            timestamps.append(request.batch.newestTimestamp)
            storage.commit(request)
        }
        let perSegment = 2048 / firstRecordSize
        // The first segment keeps its first record; the torn last record is gone; everything else arrives once.
        #expect(timestamps.first == 9)
        #expect(!timestamps.contains(1009))
        #expect(!timestamps.contains(11_009))
        #expect(timestamps.last == 99_009)
        #expect(timestamps == timestamps.sorted())
        #expect(timestamps.count == 12 - perSegment + 1 - 1 + 1)
    }

    @Test("disk: past max_size the oldest segments go (counted as dropped); past max_age old records are skipped")
    func limits() throws {
        let folder = try TemporaryDirectory("rw-limits")
        defer { folder.remove() }
        let stats = Self.stats()
        let storage = try SegmentShardStorage(
            directory: folder.path,
            maxBytes: 8192,
            segmentSize: 2048,
            maxAge: .seconds(3600),
            stats: stats
        )
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for index in 0..<60 { try storage.append(Self.batch(10, timestamp: now - 7_200_000 + Int64(index))) }
        #expect(stats.snapshot.bufferBytes <= 8192 + 2048)
        #expect(stats.snapshot.dropped > 0)
        #expect(stats.snapshot.dropped + storage.pendingSamples == 600)
        try storage.append(Self.batch(10, timestamp: now))
        var sent = 0
        while let request = storage.peek(maxSamples: 1000, oldestAllowed: now - 3_600_000) {
            sent += request.batch.sampleCount
            storage.commit(request)
        }
        #expect(sent == 10, "only the fresh batch; the two-hour-old ones are past max_age")
        #expect(stats.snapshot.dropped == 600)
        #expect(stats.snapshot.pending == 0)
    }

    @Test("disk: batches are sent from memory while the receiver keeps up, from the files after a failed send")
    func memoryCopies() throws {
        let folder = try TemporaryDirectory("rw-copies")
        defer { folder.remove() }
        let stats = Self.stats()
        let batches = (0..<9).map { Self.batch(10, timestamp: Int64($0) * 1000) }
        let storage = try Self.disk(folder, stats, recentLimit: batches[2..<5].map(\.payload.count).reduce(0, +))
        func drain() -> [RemoteWriteBatch] {
            var sent: [RemoteWriteBatch] = []
            while let request = storage.peek(maxSamples: 10, oldestAllowed: .min) {
                sent.append(request.batch)
                storage.commit(request)
            }
            return sent
        }
        // Five batches, of which only the newest three fit in memory: two are read back from the file.
        for batch in batches[0..<5] { try storage.append(batch) }
        #expect(drain() == Array(batches[0..<5]))
        #expect(storage.fileReads == 2)
        // A failed send: the copies go, and what follows is read from the file until the shard has caught up.
        try storage.append(batches[5])
        storage.sendFailed()
        try storage.append(batches[6])
        #expect(drain() == Array(batches[5..<7]))
        #expect(storage.fileReads == 4, "the one copied before the failure went too")
        #expect(stats.snapshot.corruptRecords == 0)
        // Caught up: new batches are sent from memory again.
        try storage.append(batches[7])
        try storage.append(batches[8])
        #expect(drain() == Array(batches[7..<9]))
        #expect(storage.fileReads == 4)
        #expect(storage.pendingSamples == 0 && stats.snapshot.pending == 0)
    }

    @Test("disk: while the receiver is away records are stored compressed, and read back and reopened intact")
    func compressedBacklog() throws {
        let folder = try TemporaryDirectory("rw-compressed")
        defer { folder.remove() }
        let stats = Self.stats()
        let batches = (0..<20).map { Self.batch(50, timestamp: Int64($0) * 1000) }
        var storage = try Self.disk(folder, stats, recentLimit: 1 << 20)
        try storage.append(batches[0])
        let plainBytes = stats.snapshot.bufferBytes
        storage.sendFailed()
        for batch in batches[1...] { try storage.append(batch) }
        let backlogBytes = stats.snapshot.bufferBytes - plainBytes
        #expect(
            backlogBytes * 3 < plainBytes * 19,
            "19 compressed records take \(backlogBytes) bytes; 1 plain \(plainBytes)"
        )
        storage.close()
        storage = try Self.disk(folder, stats, recentLimit: 1 << 20)
        #expect(storage.pendingSamples == 20 * 50, "sample counts survive the flag bit")
        var sent: [RemoteWriteBatch] = []
        while let request = storage.peek(maxSamples: 50, oldestAllowed: .min) {
            sent.append(request.batch)
            storage.commit(request)
        }
        #expect(sent == batches)
        #expect(stats.snapshot.corruptRecords == 0)
    }

    @Test("disk: a damaged record in the segment being written ends it there; new records follow the last good one")
    func damagedWriteSegment() throws {
        let folder = try TemporaryDirectory("rw-damaged")
        defer { folder.remove() }
        let stats = Self.stats()
        let storage = try Self.disk(folder, stats, recentLimit: 0)
        for index in 0..<3 { try storage.append(Self.batch(10, timestamp: Int64(index) * 1000)) }
        // Flip a byte of the second record's payload in the file.
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasSuffix(".seg") }
        )
        let url = URL(fileURLWithPath: folder.file(segment))
        var data = try Data(contentsOf: url)
        data[Self.batch(10, timestamp: 0).payload.count + 2 * BufferRecord.headerSize + 3] ^= 0xFF
        try data.write(to: url)
        var timestamps: [Int64] = []
        while let request = storage.peek(maxSamples: 100, oldestAllowed: .min) {
            timestamps.append(request.batch.newestTimestamp)
            storage.commit(request)
        }
        #expect(timestamps == [9])
        #expect(stats.snapshot.corruptRecords == 1)
        #expect(stats.snapshot.dropped == 20 && storage.pendingSamples == 0, "the two lost batches are counted")
        try storage.append(Self.batch(10, timestamp: 5000))
        let next = try #require(storage.peek(maxSamples: 100, oldestAllowed: .min))
        #expect(next.batch == Self.batch(10, timestamp: 5000))
    }

    @Test("a buffer folder that cannot be written is a clear error")
    func unwritable() throws {
        let folder = try TemporaryDirectory("rw-readonly")
        defer { folder.remove() }
        try "x".write(toFile: folder.file("file"), atomically: true, encoding: .utf8)
        #expect(throws: RemoteWriteBufferError.self) {
            try SegmentShardStorage(
                directory: folder.file("file") + "/0",
                maxBytes: 1 << 20,
                segmentSize: 4096,
                maxAge: .seconds(60),
                stats: Self.stats()
            )
        }
    }
}
