/// Which share of the targets one replica keeps: `--shard INDEX/COUNT`, or `--shard auto` in a StatefulSet.
///
/// With `auto` the index is the ordinal at the end of the pod's name (`crowsnest-2` → 2), the count comes from
/// `--shard-count` (or `CROWSNEST_SHARD_COUNT`), as kube-state-metrics' autosharding takes them. Targets are assigned
/// by a jump consistent hash of ``TargetKey/stableHash``, so N replicas together cover every target exactly once, and
/// going from N to N+1 replicas moves only about 1/(N+1) of the targets (all to the new replica) instead of most of
/// them, as a plain modulo would.
public struct ShardSpec: Sendable, Hashable, CustomStringConvertible {
    /// This replica's index, `0 ..< count`.
    public var index: Int
    /// The number of replicas sharing the targets.
    public var count: Int

    /// Every target: one replica.
    public static let all = ShardSpec(uncheckedIndex: 0, count: 1)

    /// A checked spec: `count >= 1` and `0 <= index < count`.
    public init(index: Int, count: Int) throws(ShardSpecError) {
        guard count >= 1 else { throw .countNotPositive(count) }
        guard (0..<count).contains(index) else { throw .indexOutOfRange(index: index, count: count) }
        self.index = index
        self.count = count
    }

    private init(uncheckedIndex: Int, count: Int) {
        self.index = uncheckedIndex
        self.count = count
    }

    /// Parses `INDEX/COUNT`.
    public init(parsing text: String) throws(ShardSpecError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .malformed(text)
        }
        try self.init(index: index, count: count)
    }

    /// The spec of a StatefulSet pod: the index is the ordinal at the end of `podName` (`NAME-ORDINAL`).
    public init(podName: String, count: Int) throws(ShardSpecError) {
        guard let ordinal = Self.ordinal(of: podName) else { throw .noOrdinal(podName: podName) }
        guard count >= 1 else { throw .countNotPositive(count) }
        guard ordinal < count else { throw .ordinalNotBelowCount(podName: podName, ordinal: ordinal, count: count) }
        self.init(uncheckedIndex: ordinal, count: count)
    }

    /// The ordinal a StatefulSet gives its pod: the decimal number after the last `-` (`web-0` → 0), or nil when the
    /// name does not end that way.
    public static func ordinal(of podName: String) -> Int? {
        guard let dash = podName.lastIndex(of: "-"), dash != podName.startIndex else { return nil }
        let digits = podName[podName.index(after: dash)...]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            digits == "0" || digits.first != "0"
        else { return nil }
        return Int(digits)
    }

    /// The replica, `0 ..< count`, that owns `key`.
    public func owner(of key: TargetKey) -> Int { Self.jumpHash(key.stableHash, buckets: count) }

    /// Whether this replica keeps `key`.
    public func keeps(_ key: TargetKey) -> Bool { count <= 1 || owner(of: key) == index }

    /// `INDEX/COUNT`.
    public var description: String { "\(index)/\(count)" }

    /// Lamping and Veach's jump consistent hash ("A Fast, Minimal Memory, Consistent Hash Algorithm", 2014): a
    /// bucket in `0 ..< buckets` such that growing `buckets` by one moves a key only to the new bucket, and only with
    /// probability 1/(buckets+1).
    static func jumpHash(_ key: UInt64, buckets: Int) -> Int {
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < Int64(buckets) {
            bucket = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(bucket + 1) * (Double(Int64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(bucket)
    }
}

/// Why a shard specification is refused.
public enum ShardSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not `INDEX/COUNT`.
    case malformed(String)
    /// A count of zero or less.
    case countNotPositive(Int)
    /// An index outside `0 ..< count`.
    case indexOutOfRange(index: Int, count: Int)
    /// `auto` on a pod whose name has no StatefulSet ordinal.
    case noOrdinal(podName: String)
    /// `auto` on a pod whose ordinal is not below the shard count (the StatefulSet has more replicas than the count).
    case ordinalNotBelowCount(podName: String, ordinal: Int, count: Int)
    /// `auto` without a count, or with one that is not a number (the text given, if any).
    case autoWithoutCount(String?)

    /// The message shown to the operator.
    public var description: String {
        switch self {
        case .malformed(let text):
            "shard must be INDEX/COUNT (e.g. 0/2) or auto, not \(text)"
        case .countNotPositive(let count):
            "shard count must be at least 1, not \(count)"
        case .indexOutOfRange(let index, let count):
            "shard index \(index) is not in 0..<\(count)"
        case .noOrdinal(let podName):
            "shard auto: pod name \"\(podName)\" does not end in a StatefulSet ordinal (NAME-0, NAME-1, ...); "
                + "run it in a StatefulSet or give --shard INDEX/COUNT"
        case .ordinalNotBelowCount(let podName, let ordinal, let count):
            "shard auto: pod \(podName) has ordinal \(ordinal), but the shard count is \(count); "
                + "set --shard-count (CROWSNEST_SHARD_COUNT) to the StatefulSet's replicas"
        case .autoWithoutCount(let text?):
            "shard auto: the shard count must be a number (the StatefulSet's replicas), not \"\(text)\""
        case .autoWithoutCount(nil):
            "shard auto needs the shard count: --shard-count N or CROWSNEST_SHARD_COUNT (the StatefulSet's replicas)"
        }
    }
}
