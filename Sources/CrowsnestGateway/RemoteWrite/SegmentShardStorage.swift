import CrowsnestCore
import Foundation

/// A shard's queue on disk: batches appended to numbered segment files (``BufferRecord`` framing) and read back
/// from a cursor that moves only when the receiver has taken them, so unacknowledged samples survive a receiver
/// outage and a gateway restart.
///
/// Files in the shard's folder: `00000000000000000001.seg`, … and `cursor` (segment and offset of the first
/// unacknowledged record, replaced atomically). Memory holds one request at a time, whatever the backlog.
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

    /// Opens (or creates) the shard folder and recovers what it holds.
    init(
        directory: String,
        maxBytes: Int,
        segmentSize: Int,
        maxAge: Duration,
        stats: RemoteWriteStats
    ) throws(RemoteWriteBufferError) {
        self.directory = directory
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
        bytes.reserveCapacity(BufferRecord.headerSize + batch.payload.count)
        BufferRecord.append(batch, into: &bytes)
        if writer == nil || (segments.last.map { $0.validEnd > 0 && $0.validEnd + bytes.count > segmentSize } ?? true) {
            try startSegment()
        }
        guard let writer else { throw RemoteWriteBufferError("no segment open") }
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
        enforceLimits(now: Int64(Date().timeIntervalSince1970 * 1000))
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
            switch readRecord(segment: position.segment, offset: position.offset) {
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
                segments[index].validEnd = position.offset
                guard index + 1 < segments.count else { break }
                position = ShardPosition(segment: segments[index + 1].number, offset: 0)
                request.end = position
                continue
            }
            break
        }
        guard !request.batch.isEmpty || request.skippedSamples > 0 || request.end != cursor else { return nil }
        inFlight = first...max(first, request.end.segment)
        return request
    }

    private func readRecord(segment: Int, offset: Int) -> BufferRecord.ReadResult {
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
                switch BufferRecord.read(bytes, at: 0) {
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
        if request.end > cursor { cursor = request.end }
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
        writeCursor()
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
