internal import Synchronization

/// A bounded, thread-safe memo of a pure function of a string (the outcome of one rule's regex on one input).
///
/// Label values repeat heavily from one scrape to the next, so `metric_relabel_configs` see the same inputs over
/// and over. The table is split in shards, each behind its own `Mutex`, so concurrent scrapes rarely contend;
/// a shard that reaches its capacity is emptied and refilled (no LRU bookkeeping on the hot path). Inputs longer
/// than `maximumKeyLength` bytes are not cached. The computation runs outside the lock.
final class RelabelCache<Value: Sendable>: Sendable {
    /// Inputs longer than this (in UTF-8 bytes) are computed each time instead of being cached.
    static var maximumKeyLength: Int { 512 }
    private static var shardCount: Int { 16 }

    private final class Shard: Sendable {
        let table = Mutex<[Key: Value]>([:])
    }

    /// A string compared and hashed by its UTF-8 bytes (Swift's `==` on `String` uses canonical equivalence,
    /// which would let `"é"` and `"e\u{301}"` share an entry), with the hash computed once.
    private struct Key: Hashable, Sendable {
        let text: String
        let hash: Int

        init(_ text: String) {
            self.text = text
            var hasher = Hasher()
            var copy = text
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            self.hash = hasher.finalize()
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            guard lhs.hash == rhs.hash, lhs.text.utf8.count == rhs.text.utf8.count else { return false }
            var left = lhs.text
            var right = rhs.text
            return left.withUTF8 { a in right.withUTF8 { b in a.elementsEqual(b) } }
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    private let shards: [Shard]
    private let shardCapacity: Int

    /// A cache holding at most about `capacity` entries; `nil` when `capacity` is 0 (caching disabled).
    init?(capacity: Int) {
        guard capacity > 0 else { return nil }
        shards = (0..<Self.shardCount).map { _ in Shard() }
        shardCapacity = max(1, (capacity + Self.shardCount - 1) / Self.shardCount)
    }

    /// The memoised `compute(input)`.
    func value(for input: String, _ compute: (String) -> Value) -> Value {
        guard input.utf8.count <= Self.maximumKeyLength else { return compute(input) }
        let key = Key(input)
        let shard = shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
        if let hit = shard.table.withLock({ $0[key] }) { return hit }
        let value = compute(input)
        shard.table.withLock { table in
            if table.count >= shardCapacity { table.removeAll(keepingCapacity: true) }
            table[key] = value
        }
        return value
    }

    /// The number of cached entries (for tests and diagnostics).
    var count: Int {
        shards.reduce(0) { total, shard in total + shard.table.withLock { $0.count } }
    }

    /// The most entries the cache holds at once.
    var capacity: Int { shardCapacity * shards.count }
}
