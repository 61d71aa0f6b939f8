import CrowsnestCore
import Testing

/// `--shard INDEX/COUNT` and `--shard auto`: parsing, StatefulSet ordinals, and the jump-hash assignment.
@Suite("ShardSpec")
struct ShardSpecTests {
    /// Targets of three clusters, many pods, two ports each.
    static let keys: [TargetKey] = (0..<6000).map {
        TargetKey(
            cluster: "c\($0 % 3)",
            namespace: "ns\($0 % 7)",
            pod: "pod-\($0 / 2)",
            port: $0 % 2 == 0 ? "metrics" : "9100"
        )
    }

    @Test("INDEX/COUNT parses; bad forms, a zero count and an index outside the count are refused")
    func parsing() throws {
        #expect(try ShardSpec(parsing: "1/3") == ShardSpec(index: 1, count: 3))
        #expect(try ShardSpec(parsing: "0/1").description == "0/1")
        let refused: [(String, ShardSpecError)] = [
            ("1", .malformed("1")), ("a/b", .malformed("a/b")), ("1/2/3", .malformed("1/2/3")),
            ("/2", .malformed("/2")),
            ("0/0", .countNotPositive(0)), ("0/-1", .countNotPositive(-1)),
            ("3/3", .indexOutOfRange(index: 3, count: 3)), ("-1/3", .indexOutOfRange(index: -1, count: 3)),
        ]
        for (text, expected) in refused {
            #expect(throws: expected, "\(text)") { try ShardSpec(parsing: text) }
        }
        #expect("\(ShardSpecError.countNotPositive(0))" == "shard count must be at least 1, not 0")
    }

    @Test("a StatefulSet pod's ordinal is the number after the last dash; names without one are refused")
    func ordinals() throws {
        let ordinals: [(String, Int?)] = [
            ("crowsnest-0", 0), ("crowsnest-12", 12), ("my-shards-3", 3), ("crowsnest", nil), ("crowsnest-", nil),
            ("crowsnest-7c9d5b8f4-x2k9p", nil), ("-3", nil), ("crowsnest-01", nil), ("crowsnest-1a", nil),
            ("crowsnest-٣", nil), ("crowsnest-99999999999", nil),
        ]
        for (name, ordinal) in ordinals { #expect(ShardSpec.ordinal(of: name) == ordinal, "\(name)") }
        #expect(try ShardSpec(podName: "crowsnest-2", count: 3) == ShardSpec(index: 2, count: 3))
        #expect(throws: ShardSpecError.noOrdinal(podName: "crowsnest-7c9d5b8f4-x2k9p")) {
            try ShardSpec(podName: "crowsnest-7c9d5b8f4-x2k9p", count: 3)
        }
        #expect(throws: ShardSpecError.ordinalNotBelowCount(podName: "crowsnest-3", ordinal: 3, count: 3)) {
            try ShardSpec(podName: "crowsnest-3", count: 3)
        }
        #expect(throws: ShardSpecError.countNotPositive(0)) { try ShardSpec(podName: "crowsnest-0", count: 0) }
        let message = "\(ShardSpecError.noOrdinal(podName: "crowsnest-abc"))"
        #expect(message.contains("crowsnest-abc") && message.contains("StatefulSet ordinal"))
    }

    @Test("resolve: the flag wins over CROWSNEST_SHARD; auto takes POD_NAME, then HOSTNAME, then the host name")
    func resolve() throws {
        let none = try ShardSpec.resolve(argument: nil, count: nil, environment: [:], hostName: "h-1")
        #expect(none == nil)
        #expect(
            try ShardSpec.resolve(argument: "1/2", count: nil, environment: ["CROWSNEST_SHARD": "0/4"], hostName: "h")
                == ShardSpec(index: 1, count: 2)
        )
        #expect(
            try ShardSpec.resolve(argument: nil, count: nil, environment: ["CROWSNEST_SHARD": "3/4"], hostName: "h")
                == ShardSpec(index: 3, count: 4)
        )
        let statefulSet = ["CROWSNEST_SHARD": "auto", "CROWSNEST_SHARD_COUNT": "3", "HOSTNAME": "crowsnest-1"]
        #expect(
            try ShardSpec.resolve(argument: nil, count: nil, environment: statefulSet, hostName: "x")
                == ShardSpec(index: 1, count: 3)
        )
        var withPodName = statefulSet
        withPodName["POD_NAME"] = "crowsnest-2"
        #expect(
            try ShardSpec.resolve(argument: "auto", count: 5, environment: withPodName, hostName: "x")
                == ShardSpec(index: 2, count: 5)
        )
        #expect(
            try ShardSpec.resolve(argument: "auto", count: 2, environment: [:], hostName: "crowsnest-0")
                == ShardSpec(index: 0, count: 2)
        )
        #expect(throws: ShardSpecError.autoWithoutCount(nil)) {
            try ShardSpec.resolve(argument: "auto", count: nil, environment: [:], hostName: "crowsnest-0")
        }
        #expect(throws: ShardSpecError.autoWithoutCount("three")) {
            try ShardSpec.resolve(
                argument: "auto",
                count: nil,
                environment: ["CROWSNEST_SHARD_COUNT": "three"],
                hostName: "crowsnest-0"
            )
        }
        #expect(throws: ShardSpecError.noOrdinal(podName: "laptop")) {
            try ShardSpec.resolve(argument: "auto", count: 2, environment: [:], hostName: "laptop")
        }
        #expect(throws: ShardSpecError.countNotPositive(0)) {
            try ShardSpec.resolve(argument: "auto", count: 0, environment: [:], hostName: "crowsnest-0")
        }
    }

    @Test("N replicas together keep every target exactly once, in near-equal shares", arguments: [1, 2, 3, 5, 8])
    func coverage(replicas: Int) throws {
        let specs = try (0..<replicas).map { try ShardSpec(index: $0, count: replicas) }
        var shares = [Int](repeating: 0, count: replicas)
        for key in Self.keys {
            let keepers = specs.filter { $0.keeps(key) }
            #expect(keepers.count == 1, "\(key)")
            if let keeper = keepers.first { shares[keeper.index] += 1 }
            #expect(key.belongs(toShard: specs[0].owner(of: key), of: replicas))
        }
        let fair = Double(Self.keys.count) / Double(replicas)
        for share in shares { #expect(abs(Double(share) - fair) < 0.1 * fair, "\(shares)") }
    }

    @Test("going from N to N+1 replicas moves only the targets the new replica takes, about 1/(N+1) of them")
    func growing() throws {
        for replicas in 1...6 {
            let before = try ShardSpec(index: 0, count: replicas)
            let after = try ShardSpec(index: 0, count: replicas + 1)
            var moved = 0
            for key in Self.keys where before.owner(of: key) != after.owner(of: key) {
                moved += 1
                #expect(after.owner(of: key) == replicas, "\(key) moved to an old replica")
            }
            let expected = Double(Self.keys.count) / Double(replicas + 1)
            #expect(abs(Double(moved) - expected) < 0.1 * expected, "\(replicas) → \(replicas + 1): \(moved) moved")
            // A plain modulo would have moved most targets: the point of the consistent hash.
            let moduloMoved = Self.keys.filter {
                $0.stableHash % UInt64(replicas) != $0.stableHash % UInt64(replicas + 1)
            }.count
            if replicas > 1 { #expect(moved * 3 < moduloMoved * 2, "jump \(moved) vs modulo \(moduloMoved)") }
        }
    }

    @Test("the assignment is stable across processes and releases (owners computed independently, in Python)")
    func stable() throws {
        let expected: [(TargetKey, [Int])] = [
            (TargetKey(cluster: "a", namespace: "b", pod: "c", port: "d"), [0, 1, 2, 2, 2, 2, 2, 2]),
            (
                TargetKey(cluster: "prod", namespace: "default", pod: "web-0", port: "metrics"),
                [0, 1, 2, 3, 3, 3, 3, 3]
            ),
            (
                TargetKey(cluster: "prod", namespace: "default", pod: "web-1", port: "metrics"),
                [0, 0, 0, 3, 3, 3, 3, 3]
            ),
            (
                TargetKey(cluster: "prod", namespace: "default", pod: "web-2", port: "metrics"),
                [0, 0, 2, 2, 4, 4, 4, 4]
            ),
        ]
        for (key, owners) in expected {
            #expect(try (1...8).map { try ShardSpec(index: 0, count: $0).owner(of: key) } == owners, "\(key)")
        }
    }
}
