/// Encoded samples bound for one shard: `WriteRequest` fragments (see ``WriteRequestEncoding``), how many samples
/// they hold and the newest sample's timestamp.
public struct RemoteWriteBatch: Sendable, Hashable {
    /// Concatenated `WriteRequest` fragments: a valid request body on its own.
    public var payload: [UInt8]
    /// Samples in ``payload``.
    public var sampleCount: Int
    /// The newest sample's timestamp, milliseconds since the epoch (0 when empty).
    public var newestTimestamp: Int64

    /// Creates a batch.
    public init(payload: [UInt8] = [], sampleCount: Int = 0, newestTimestamp: Int64 = 0) {
        self.payload = payload
        self.sampleCount = sampleCount
        self.newestTimestamp = newestTimestamp
    }

    /// Whether it holds no sample.
    public var isEmpty: Bool { sampleCount == 0 }

    /// Appends another batch's samples after these.
    public mutating func append(_ other: RemoteWriteBatch) {
        payload.append(contentsOf: other.payload)
        sampleCount += other.sampleCount
        newestTimestamp = max(newestTimestamp, other.newestTimestamp)
    }
}

extension RemoteWriteBatch {
    /// Splits into batches of at most `maxSamples` samples each, at fragment boundaries (every fragment holds one
    /// sample), in order.
    public func split(maxSamples: Int) -> [RemoteWriteBatch] {
        guard sampleCount > maxSamples, maxSamples > 0 else { return isEmpty ? [] : [self] }
        var parts: [RemoteWriteBatch] = []
        var start = 0
        var offset = 0
        var count = 0
        while offset < payload.count {
            // Every fragment is field 1 (tag 0x0A), a varint length, the `TimeSeries` bytes.
            var cursor = offset + 1
            var length = 0
            var shift = 0
            while cursor < payload.count {
                let byte = payload[cursor]
                length |= Int(byte & 0x7F) << shift
                cursor += 1
                shift += 7
                if byte < 0x80 { break }
            }
            offset = min(cursor + length, payload.count)
            count += 1
            if count == maxSamples {
                parts.append(
                    RemoteWriteBatch(
                        payload: Array(payload[start..<offset]),
                        sampleCount: count,
                        newestTimestamp: newestTimestamp
                    )
                )
                start = offset
                count = 0
            }
        }
        if count > 0 {
            parts.append(
                RemoteWriteBatch(
                    payload: Array(payload[start...]),
                    sampleCount: count,
                    newestTimestamp: newestTimestamp
                )
            )
        }
        return parts
    }
}
