import Testing

@testable import CrowsnestCore

@Suite("Relabeling: caches and concurrency")
struct RelabelCacheTests {
    /// Rules whose regexes need the regex engine (so their outcomes are cached), one per cached action.
    static let engineRules: [RelabelRule] = [
        RelabelRule(sourceLabels: ["__name__"], regex: "(?:go|process)_[a-z_]+_(?:total|seconds)", action: .drop),
        RelabelRule(sourceLabels: ["instance"], targetLabel: "host", regex: "([^:]+)(?::\\d+)?"),
        RelabelRule(sourceLabels: ["id"], regex: "[0-9]{1,3}(?:-[a-z]+)?", action: .keep),
        RelabelRule(regex: "tmp_[0-9]+", action: .labeldrop),
        RelabelRule(regex: "label_([a-z]+)_[0-9]", replacement: "l_$1", action: .labelmap),
    ]

    static func sample(_ index: Int) -> LabelSet {
        [
            "__name__": index % 10 == 0 ? "go_gc_total" : "http_requests_total",
            "instance": "10.0.\(index % 7).\(index % 251):\(8000 + index % 5)",
            "id": index % 13 == 0 ? "x\(index)" : "\(index % 1000)-abc",
            "tmp_\(index % 4)": "t",
            "label_app_\(index % 3)": "a\(index % 2)",
        ]
    }

    @Test("cached and uncached relabelers agree, on cold and warm caches")
    func cachedEqualsUncached() throws {
        let cached = try Relabeler(rules: Self.engineRules)
        let uncached = try Relabeler(rules: Self.engineRules, cacheCapacity: 0)
        var kept = 0
        for round in 0..<2 {
            for index in 0..<2_000 {
                let result = cached.processed(Self.sample(index))
                #expect(result == uncached.processed(Self.sample(index)), "round \(round), sample \(index)")
                if result != nil { kept += 1 }
            }
        }
        #expect(kept > 1_000)
        #expect(kept < 4_000)
        #expect(cached.cachedEntryCount > 0)
        #expect(uncached.cachedEntryCount == 0)
    }

    @Test("caches stay bounded however many distinct values they see")
    func bounded() throws {
        let capacity = 64
        let relabeler = try Relabeler(rules: Self.engineRules, cacheCapacity: capacity)
        for index in 0..<20_000 {
            _ = relabeler.processed(Self.sample(index))
            #expect(relabeler.cachedEntryCount <= capacity * Self.engineRules.count)
        }
        let cache = try #require(RelabelCache<Int>(capacity: capacity))
        for index in 0..<10_000 {
            #expect(cache.value(for: "v\(index)") { _ in index } == index)
        }
        #expect(cache.count <= cache.capacity)
        #expect(cache.capacity < capacity + 16)
    }

    @Test("fast-path rules do not cache at all")
    func fastPathsDoNotCache() throws {
        let relabeler = try Relabeler(rules: RelabelArticleTests.rules)
        for index in 0..<100 {
            _ = relabeler.processed(
                RelabelArticleTests.candidate(
                    namespace: "monitoring",
                    pod: "prometheus-\(index)",
                    portName: "web",
                    port: 9090,
                    podLabels: ["service": "s\(index)"]
                )
            )
        }
        #expect(relabeler.cachedEntryCount == 0)
    }

    @Test("cache keys compare bytes, not canonical equivalence")
    func bytesNotCanonicalEquivalence() throws {
        // `\w` is ASCII: "e" + U+0301 matches `(\w)\W`, the precomposed U+00E9 does not.
        let relabeler = try Relabeler(rules: [
            RelabelRule(sourceLabels: ["v"], targetLabel: "first", regex: "(\\w)\\W")
        ])
        for _ in 0..<2 {
            #expect(relabeler.processed(["v": "\u{E9}"]) == ["v": "\u{E9}"])
            #expect(relabeler.processed(["v": "e\u{301}"]) == ["v": "e\u{301}", "first": "e"])
        }
        let cache = try #require(RelabelCache<String>(capacity: 8))
        #expect(cache.value(for: "\u{E9}") { _ in "precomposed" } == "precomposed")
        #expect(cache.value(for: "e\u{301}") { _ in "decomposed" } == "decomposed")
    }

    @Test("long inputs bypass the cache")
    func longInputs() throws {
        let cache = try #require(RelabelCache<Int>(capacity: 8))
        let long = String(repeating: "x", count: RelabelCache<Int>.maximumKeyLength + 1)
        #expect(cache.value(for: long) { _ in 1 } == 1)
        #expect(cache.value(for: long) { _ in 2 } == 2)
        #expect(cache.count == 0)
        #expect(RelabelCache<Int>(capacity: 0) == nil)
    }

    @Test("one relabeler shared by concurrent scrapes gives every scrape the sequential result")
    func concurrentUse() async throws {
        let shared = try Relabeler(rules: Self.engineRules + RelabelArticleTests.rules.dropFirst(), cacheCapacity: 256)
        let reference = try Relabeler(rules: Self.engineRules + RelabelArticleTests.rules.dropFirst(), cacheCapacity: 0)
        let expected = (0..<3_000).map { reference.processed(Self.sample($0)) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for step in 0..<3_000 {
                        let index = (step * 7 + worker * 389) % 3_000
                        if shared.processed(Self.sample(index)) != expected[index] { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
