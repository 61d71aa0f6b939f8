import CrowsnestCore
import Foundation

/// A shard's queue on disk: batches appended to numbered segment files (``BufferRecord`` framing) and read back
/// from a cursor that moves only when the receiver has taken them, so unacknowledged samples survive a receiver
/// outage and a gateway restart.
///
/// Files in the shard's folder: `00000000000000000001.seg`, … and `cursor` (segment and offset of the first
/// unacknowledged record, replaced atomically at most once a second and on close: after a crash, not a graceful
/// stop, up to a second of samples may be sent twice, never lost).
///
/// Every batch is written, but while the receiver keeps up it is sent from a copy kept in memory (``recent``), so
/// steady state costs one append per batch and no reads back; after a failed send the copies are dropped and the
/// backlog is read from the files, one request at a time, until the shard has caught up. Memory stays bounded
/// (``recentLimit``) whatever the backlog.
///
/// - Opening checks every record's CRC: a torn last record (a crash mid-write) is cut off, a corrupted record in an
///   older segment ends that segment; both are counted (``RemoteWriteStats/recordCorrupt(records:)``) and the rest
///   is kept.
/// - Past `maxBytes` the oldest segments go, past `maxAge` old records are skipped; their samples are counted as
///   dropped. A segment with samples in flight is never removed under the request.
final class SegmentShardStorage: ShardStorage {
    /// One segment file.
    struct Segment {
        var number: Int
        /// Bytes of valid records (the file may hold a corrupted rest).
        var validEnd: Int
        /// Samples not yet committed.
        var remaining: Int
        /// The newest sample in it.
        var newest: Int64
    }

    let directory: String
    private let maxBytes: Int
    private let segmentSize: Int
    private let maxAgeMilliseconds: Int64
    private let stats: RemoteWriteStats
    private var segments: [Segment] = []
    private var cursor = ShardPosition(segment: 0, offset: 0)
    private var writer: FileHandle?
    private var reader: (number: Int, handle: FileHandle)?
    private var pending = 0
    private var totalBytes = 0
    /// Segments the request out now reads from (never removed under it).
    private var inFlight: ClosedRange<Int>?
    /// Copies of the newest records, oldest first, a contiguous run ending at the write position (empty while
    /// ``caching`` is off): peeks take them from here instead of the files.
    private var recent: [CachedRecord] = []
    /// The first live entry of ``recent`` (entries before it are committed; compacted now and then).
    private var recentStart = 0
    private var recentBytes = 0
    /// The most bytes ``recent`` holds per shard.
    let recentLimit: Int
    /// Whether appends are copied into ``recent``: off from a failed send until a peek reaches the write position.
    private var caching = true
    /// Records read back from the segment files (the rest came from ``recent``).
    private(set) var fileReads = 0
    /// When the cursor file was last written.
    private var cursorWritten = ContinuousClock.now
    /// Whether the cursor moved since it was last written.
    private var cursorDirty = false

    /// A record kept in memory: where it starts and ends in its segment, and its batch.
    private struct CachedRecord {
        var start: ShardPosition
        var end: ShardPosition
        var batch: RemoteWriteBatch
    }

    /// Opens (or creates) the shard folder and recovers what it holds.
    init(
        directory: String,
        maxBytes: Int,
        segmentSize: Int,
        maxAge: Duration,
        stats: RemoteWriteStats,
        recentLimit: Int = 1 << 20
    ) throws(RemoteWriteBufferError) {
        self.directory = directory
        self.recentLimit = recentLimit
        self.maxBytes = max(maxBytes, 2 * segmentSize)
        self.segmentSize = segmentSize
        self.maxAgeMilliseconds = maxAge.components.seconds * 1000
        self.stats = stats
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RemoteWriteBufferError("cannot create \(directory): \(Self.reason(error))")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw RemoteWriteBufferError("\(directory) is not writable")
        }
        try recover()
        openWriterIfNeeded()
    }

    var pendingSamples: Int { pending }

    var isDurable: Bool { true }

    // MARK: Recovery

    private func recover() throws(RemoteWriteBufferError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw RemoteWriteBufferError("cannot read \(directory): \(Self.reason(error))")
        }
        let numbers = names.compactMap { name -> Int? in
            guard name.hasSuffix(".seg") else { return nil }
            return Int(name.dropLast(4))
        }.sorted()
        if let text = try? String(contentsOfFile: directory + "/cursor", encoding: .utf8) {
            let parts = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            if parts.count == 2 { cursor = ShardPosition(segment: parts[0], offset: parts[1]) }
        }
        for (index, number) in numbers.enumerated() {
            let path = self.path(number)
            if number < cursor.segment {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
                continue
            }
            var segment = Segment(number: number, validEnd: 0, remaining: 0, newest: 0)
            var corrupt = false
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    switch BufferRecord.read(bytes, at: offset) {
                    case .record(let batch, let end):
                        if number > cursor.segment || offset >= cursor.offset { segment.remaining += batch.sampleCount }
                        segment.newest = max(segment.newest, batch.newestTimestamp)
                        offset = end
                    case .end:
                        break
                    case .corrupt:
                        corrupt = true
                    }
                    if corrupt { break }
                }
                segment.validEnd = offset
            }
            if corrupt {
                stats.recordCorrupt(records: 1)
                if index == numbers.count - 1 {
                    // A torn last record: cut it off so new records follow the last whole one.
                    if let handle = FileHandle(forWritingAtPath: path) {
                        try? handle.truncate(atOffset: UInt64(segment.validEnd))
                        try? handle.close()
                    }
                }
            }
            segments.append(segment)
            totalBytes += corrupt && index < numbers.count - 1 ? data.count : segment.validEnd
            pending += segment.remaining
        }
        if let first = segments.first, first.number != cursor.segment || cursor.offset > first.validEnd {
            // The cursor's segment is gone (dropped, or never written): resume at the oldest one left.
            if first.number != cursor.segment { cursor = ShardPosition(segment: first.number, offset: 0) }
        }
        if segments.isEmpty {
            cursor = ShardPosition(segment: max(cursor.segment, 1), offset: 0)
        }
        stats.addPending(pending)
        stats.addBufferBytes(totalBytes)
    }

    // MARK: Writing

    func append(_ batch: RemoteWriteBatch) throws(RemoteWriteBufferError) {
        guard !batch.isEmpty else { return }
        var bytes: [UInt8] = []
        // While the receiver keeps up the record is read back from memory and soon deleted: written as is. While it
        // is away the backlog grows on disk: compressed (as it will be sent), about a fifth of the bytes.
        let compressed = caching ? nil : SnappyBlock.compress(batch.payload)
        bytes.reserveCapacity(BufferRecord.headerSize + (compressed?.count ?? batch.payload.count))
        BufferRecord.append(batch, compressed: compressed, into: &bytes)
        if writer == nil || (segments.last.map { $0.validEnd > 0 && $0.validEnd + bytes.count > segmentSize } ?? true) {
            try startSegment()
        }
        guard let writer else { throw RemoteWriteBufferError("no segment open") }
        let start = ShardPosition(
            segment: segments[segments.count - 1].number,
            offset: segments[segments.count - 1].validEnd
        )
        do {
            try writer.write(contentsOf: bytes)
        } catch {
            // A partial write leaves a torn record: cut it off so the segment stays readable.
            if let last = segments.last { try? writer.truncate(atOffset: UInt64(last.validEnd)) }
            throw RemoteWriteBufferError("cannot write to \(directory): \(Self.reason(error))")
        }
        segments[segments.count - 1].validEnd += bytes.count
        segments[segments.count - 1].remaining += batch.sampleCount
        segments[segments.count - 1].newest = max(segments[segments.count - 1].newest, batch.newestTimestamp)
        pending += batch.sampleCount
        totalBytes += bytes.count
        stats.addPending(batch.sampleCount)
        stats.addBufferBytes(bytes.count)
        if caching {
            recent.append(
                CachedRecord(
                    start: start,
                    end: ShardPosition(segment: start.segment, offset: segments[segments.count - 1].validEnd),
                    batch: batch
                )
            )
            recentBytes += batch.payload.count
            while recentBytes > recentLimit && recentStart < recent.count {
                // The oldest copies go first; what they held is read from the file when its turn comes.
                recentBytes -= recent[recentStart].batch.payload.count
                recentStart += 1
            }
            compactRecent()
        }
        enforceLimits(now: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// A send failed: the receiver may stay away for long, so the in-memory copies go (the files hold them) until
    /// the shard has caught up again.
    func sendFailed() {
        caching = false
        recent = []
        recentStart = 0
        recentBytes = 0
    }

    /// The in-memory copy of the record starting at `position`, if there is one; `hint` is where the previous
    /// lookup of this peek found its record.
    private func cachedRecord(at position: ShardPosition, hint: inout Int) -> CachedRecord? {
        if hint + 1 < recent.count, hint + 1 >= recentStart, recent[hint + 1].start == position {
            hint += 1
            return recent[hint]
        }
        guard recentStart < recent.count, recent[recentStart].start <= position,
            position < recent[recent.count - 1].end
        else { return nil }
        var low = recentStart
        var high = recent.count - 1
        while low < high {
            let middle = (low + high) / 2
            if recent[middle].start < position { low = middle + 1 } else { high = middle }
        }
        guard recent[low].start == position else { return nil }
        hint = low
        return recent[low]
    }

    /// Drops committed entries from the front of ``recent`` once they are half of it.
    private func compactRecent() {
        if recentStart > 64 && recentStart * 2 > recent.count {
            recent.removeFirst(recentStart)
            recentStart = 0
        }
    }

    private func startSegment() throws(RemoteWriteBufferError) {
        try? writer?.close()
        writer = nil
        let number = (segments.last?.number ?? (cursor.segment - 1)) + 1
        let path = self.path(number)
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw RemoteWriteBufferError("cannot create a segment in \(directory)")
        }
        if segments.isEmpty { cursor = ShardPosition(segment: number, offset: 0) }
        segments.append(Segment(number: number, validEnd: 0, remaining: 0, newest: 0))
        writer = handle
    }

    /// Opens the last segment for appending (after recovery), or leaves it to the first append to start one.
    private func openWriterIfNeeded() {
        guard writer == nil, let last = segments.last, last.validEnd < segmentSize,
            let handle = FileHandle(forWritingAtPath: path(last.number))
        else { return }
        _ = try? handle.seek(toOffset: UInt64(last.validEnd))
        writer = handle
    }

    /// Drops the oldest segments while over `maxBytes`, and segments wholly older than `max_age`, never one the
    /// request out reads from nor the one being written.
    private func enforceLimits(now: Int64) {
        while segments.count > 1 {
            let oldest = segments[0]
            let tooBig = totalBytes > maxBytes
            let tooOld = maxAgeMilliseconds > 0 && oldest.newest < now - maxAgeMilliseconds
            guard tooBig || tooOld, inFlight.map({ !$0.contains(oldest.number) }) ?? true else { break }
            removeSegment(at: 0, reason: tooBig ? .maxSize : .maxAge)
        }
    }

    private func removeSegment(at index: Int, reason: RemoteWriteStats.DropReason) {
        let segment = segments.remove(at: index)
        while recentStart < recent.count && recent[recentStart].start.segment <= segment.number {
            recentBytes -= recent[recentStart].batch.payload.count
            recentStart += 1
        }
        if reader?.number == segment.number {
            try? reader?.handle.close()
            reader = nil
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path(segment.number))[.size] as? Int) ?? nil
        try? FileManager.default.removeItem(atPath: path(segment.number))
        let bytes = size ?? segment.validEnd
        totalBytes -= bytes
        pending -= segment.remaining
        stats.addBufferBytes(-bytes)
        stats.addPending(-segment.remaining)
        stats.recordDropped(samples: segment.remaining, reason: reason)
        if cursor.segment <= segment.number, let next = segments.first {
            cursor = ShardPosition(segment: next.number, offset: 0)
            writeCursor()
        }
    }

    // MARK: Reading

    func peek(maxSamples: Int, oldestAllowed: Int64) -> PeekedRequest? {
        openWriterIfNeeded()
        var request = PeekedRequest(batch: RemoteWriteBatch(), end: cursor)
        var position = cursor
        var cacheHint = -2
        var first = position.segment
        while request.batch.isEmpty || request.batch.sampleCount < maxSamples {
            guard let index = segments.firstIndex(where: { $0.number >= position.segment }) else { break }
            if segments[index].number != position.segment {
                position = ShardPosition(segment: segments[index].number, offset: 0)
            }
            if request.batch.isEmpty && request.skippedSamples == 0 { first = position.segment }
            if position.offset >= segments[index].validEnd {
                guard index + 1 < segments.count else { break }
                position = ShardPosition(segment: segments[index + 1].number, offset: 0)
                continue
            }
            let read =
                cachedRecord(at: position, hint: &cacheHint).map { .record($0.batch, end: $0.end.offset) }
                ?? readRecord(segment: position.segment, offset: position.offset)
            switch read {
            case .record(let batch, let end):
                if !request.batch.isEmpty && request.batch.sampleCount + batch.sampleCount > maxSamples { break }
                if maxAgeMilliseconds > 0 && batch.newestTimestamp < oldestAllowed {
                    request.skippedSamples += batch.sampleCount
                    stats.recordDropped(samples: batch.sampleCount, reason: .maxAge)
                } else {
                    request.batch.append(batch)
                }
                request.samplesPerSegment[position.segment, default: 0] += batch.sampleCount
                position.offset = end
                request.end = position
                continue
            case .end, .corrupt:
                // A record that reads back damaged: the rest of this segment is lost; count it and move on.
                stats.recordCorrupt(records: 1)
                loseRest(of: index, from: position.offset, keeping: request.samplesPerSegment[position.segment] ?? 0)
                guard index + 1 < segments.count else { break }
                position = ShardPosition(segment: segments[index + 1].number, offset: 0)
                request.end = position
                continue
            }
            break
        }
        if !caching, let last = segments.last, request.end == ShardPosition(segment: last.number, offset: last.validEnd)
        {
            // Caught up: from now on new batches are sent from memory again.
            caching = true
        }
        guard !request.batch.isEmpty || request.skippedSamples > 0 || request.end != cursor else { return nil }
        inFlight = first...max(first, request.end.segment)
        return request
    }

    /// Ends segment `index` at `offset` after a damaged record: its uncommitted samples past it (all but the
    /// `keeping` the request took) are counted as dropped, their copies in memory go, and when it is the segment
    /// being written, new records go right after the last good one.
    private func loseRest(of index: Int, from offset: Int, keeping: Int) {
        let number = segments[index].number
        segments[index].validEnd = offset
        let lost = max(0, segments[index].remaining - keeping)
        segments[index].remaining -= lost
        pending -= lost
        stats.addPending(-lost)
        stats.recordDropped(samples: lost, reason: .bufferError)
        recent.removeAll { $0.start.segment == number && $0.start.offset >= offset }
        recentStart = min(recentStart, recent.count)
        recentBytes = recent[recentStart...].reduce(0) { $0 + $1.batch.payload.count }
        if index == segments.count - 1 { try? writer?.truncate(atOffset: UInt64(offset)) }
    }

    private func readRecord(segment: Int, offset: Int) -> BufferRecord.ReadResult {
        fileReads += 1
        if reader?.number != segment {
            try? reader?.handle.close()
            reader = FileHandle(forReadingAtPath: path(segment)).map { (segment, $0) }
        }
        guard let handle = reader?.handle else { return .corrupt }
        do {
            try handle.seek(toOffset: UInt64(offset))
            guard let header = try handle.read(upToCount: BufferRecord.headerSize), !header.isEmpty else {
                return .end
            }
            let size = header.withUnsafeBytes { BufferRecord.header($0, at: 0)?.size } ?? 0
            guard size > 0, size <= 256 << 20 else { return .corrupt }
            let rest = try handle.read(upToCount: size - BufferRecord.headerSize) ?? Data()
            let whole = header + rest
            return whole.withUnsafeBytes { bytes in
                switch BufferRecord.read(bytes, at: 0, decompress: { try? SnappyBlock.decompress($0) }) {
                case .record(let batch, let end): .record(batch, end: offset + end)
                case .end: .end
                case .corrupt: .corrupt
                }
            }
        } catch {
            return .corrupt
        }
    }

    func commit(_ request: PeekedRequest) {
        inFlight = nil
        var done = 0
        for (number, samples) in request.samplesPerSegment {
            guard let index = segments.firstIndex(where: { $0.number == number }) else { continue }
            segments[index].remaining -= samples
            done += samples
        }
        pending -= done
        stats.addPending(-done)
        if request.end > cursor {
            cursor = request.end
            cursorDirty = true
        }
        while recentStart < recent.count && recent[recentStart].end <= cursor {
            recentBytes -= recent[recentStart].batch.payload.count
            recentStart += 1
        }
        compactRecent()
        // Segments wholly before the cursor are acknowledged: delete them (not the one being written).
        while segments.count > 1,
            segments[0].number < cursor.segment
                || (segments[0].number == cursor.segment && cursor.offset >= segments[0].validEnd
                    && segments[0].remaining <= 0)
        {
            let segment = segments.removeFirst()
            if reader?.number == segment.number {
                try? reader?.handle.close()
                reader = nil
            }
            try? FileManager.default.removeItem(atPath: path(segment.number))
            totalBytes -= segment.validEnd
            stats.addBufferBytes(-segment.validEnd)
            if cursor.segment == segment.number, let next = segments.first {
                cursor = ShardPosition(segment: next.number, offset: 0)
            }
        }
        // A create and a rename per request were a tenth of remote write's CPU: at most once a second.
        if cursorDirty && ContinuousClock.now - cursorWritten >= .seconds(1) { writeCursor() }
    }

    func close() {
        writeCursor()
        try? writer?.close()
        try? reader?.handle.close()
        writer = nil
        reader = nil
    }

    /// Replaces the cursor file (write then rename: a crash leaves the old or the new one, never half of one).
    private func writeCursor() {
        cursorWritten = .now
        cursorDirty = false
        let temporary = directory + "/cursor.tmp"
        let text = "\(cursor.segment) \(cursor.offset)\n"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else { return }
        _ = rename(temporary, directory + "/cursor")
    }

    private func path(_ number: Int) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return (error as NSError).localizedDescription
    }
}
