/// Turns text-format families into families that are valid OpenMetrics 1.0.
///
/// OpenMetrics names a counter family without `_total` and lets it own `_total` and `_created` samples, forbids
/// one sample name in two families, and constrains values (no negative or NaN counters, cumulative histograms
/// ending at `+Inf`, `_count`/`_sum` together). Text allows all of that, so a text family that cannot be written
/// as its own type is emitted as `unknown`, split into one family per sample name, with its samples unchanged:
///
/// - counter `x_total` → counter `x` (sample names unchanged); a counter not ending in `_total` → unknown;
/// - counters with a NaN or negative value, histograms and summaries whose shape or values OpenMetrics rejects
///   → unknown per sample name;
/// - two families claiming one name (counter `x_total` → `x` beside a gauge `x`) → the typed one becomes unknown;
/// - gauges and untyped families pass unchanged (`unknown`).
public enum OpenMetricsConversion {
    /// The OpenMetrics family name and sample names a text family would take, before value checks.
    public static func plannedName(textName: String, type: MetricType) -> (
        name: String, type: MetricType, claims: [String]
    ) {
        switch type {
        case .counter:
            guard textName.hasSuffix("_total"), textName.utf8.count > 6 else { return (textName, .unknown, [textName]) }
            let base = String(textName.dropLast(6))
            return (base, .counter, [base, textName, base + "_created"])
        case .histogram:
            return (
                textName, .histogram,
                [textName, textName + "_bucket", textName + "_sum", textName + "_count", textName + "_created"]
            )
        case .summary:
            return (textName, .summary, [textName, textName + "_sum", textName + "_count", textName + "_created"])
        case .gauge:
            return (textName, .gauge, [textName])
        default:
            return (textName, .unknown, [textName])
        }
    }

    /// Converts text families (already merged: one group per name) into valid OpenMetrics families, in name order.
    public static func convert(_ families: [MetricFamily]) -> [MetricFamily] {
        var planned = families.map {
            family -> (family: MetricFamily, plan: (name: String, type: MetricType, claims: [String])) in
            (family, plannedName(textName: family.name, type: family.type))
        }
        // Collisions: first demote renamed families (counter `x_total` → `x`) whose claims collide, then any
        // remaining multi-name family (histogram, summary) that still collides. Gauges and untyped families keep
        // their single name: a collision with them is always resolved by demoting the other family.
        var demoted = Set<Int>()
        for pass in 0..<2 {
            var claimCount: [String: Int] = [:]
            for (index, entry) in planned.enumerated() {
                let claims = demoted.contains(index) ? Set(entry.family.samples.map(\.name)) : Set(entry.plan.claims)
                for name in claims { claimCount[name, default: 0] += 1 }
            }
            for (index, entry) in planned.enumerated() where !demoted.contains(index) {
                let renamed = entry.plan.name != entry.family.name
                let multiName = entry.plan.claims.count > 1
                guard pass == 0 ? renamed : multiName else { continue }
                if entry.plan.claims.contains(where: { claimCount[$0, default: 0] > 1 }) { demoted.insert(index) }
            }
        }
        var output: [MetricFamily] = []
        for index in planned.indices {
            let entry = planned[index]
            if demoted.contains(index) || !isValid(entry.family, as: entry.plan.type) {
                output.append(contentsOf: demote(entry.family))
            } else {
                var family = entry.family
                family.name = entry.plan.name
                family.type = entry.plan.type
                if family.type == .histogram || family.type == .summary {
                    family.samples = canonicalOrder(family.samples, textName: entry.family.name, type: family.type)
                }
                if family.type == .unknown && family.samples.contains(where: { $0.name != family.name }) {
                    output.append(contentsOf: demote(entry.family))
                } else {
                    output.append(family)
                }
            }
            planned[index].family.samples = []
        }
        // Merge same-named unknown families created by demotion.
        var merged: [MetricFamily] = []
        var index: [String: Int] = [:]
        for family in output {
            if let existing = index[family.name] {
                merged[existing].samples.append(contentsOf: family.samples)
                if merged[existing].type != family.type { merged[existing].type = .unknown }
            } else {
                index[family.name] = merged.count
                merged.append(family)
            }
        }
        merged.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return merged
    }

    /// Orders histogram/summary samples as OpenMetrics requires: metric points (label sets without `le`/`quantile`)
    /// contiguous in order of first appearance; within one, buckets or quantiles ascending, then `_count`, `_sum`.
    static func canonicalOrder(_ samples: [Sample], textName: String, type: MetricType) -> [Sample] {
        let special = type == .histogram ? "le" : "quantile"
        var order: [[Label]] = []
        var points: [[Label]: [Sample]] = [:]
        for sample in samples {
            var key = sample.labels.filter { $0.name != special }
            key.sort()
            if points[key] == nil { order.append(key) }
            points[key, default: []].append(sample)
        }
        func rank(_ sample: Sample) -> (Int, Double) {
            if let bound = sample.label(special) {
                return (0, bound == "+Inf" ? .infinity : bound == "-Inf" ? -.infinity : Double(bound) ?? .nan)
            }
            return sample.name.hasSuffix("_count") ? (1, 0) : (2, 0)
        }
        return order.flatMap { key in
            points[key]!.enumerated().sorted { lhs, rhs in
                let (a, b) = (rank(lhs.element), rank(rhs.element))
                return a.0 != b.0 ? a.0 < b.0 : (a.1 != b.1 ? a.1 < b.1 : lhs.offset < rhs.offset)
            }.map(\.element)
        }
    }

    /// Splits a family into unknown families, one per sample name, keeping HELP on the one named like the family.
    public static func demote(_ family: MetricFamily) -> [MetricFamily] {
        var order: [String] = []
        var samples: [String: [Sample]] = [:]
        for sample in family.samples {
            if samples[sample.name] == nil { order.append(sample.name) }
            samples[sample.name, default: []].append(sample)
        }
        if order.isEmpty { order = [family.name] }
        return order.map { name in
            MetricFamily(
                name: name,
                type: .unknown,
                help: name == family.name ? family.help : nil,
                samples: samples[name] ?? []
            )
        }
    }

    /// Whether a family's samples satisfy OpenMetrics' rules for `type`.
    public static func isValid(_ family: MetricFamily, as type: MetricType) -> Bool {
        func counterLike(_ value: Double) -> Bool { !value.isNaN && value >= 0 }
        switch type {
        case .counter:
            return family.samples.allSatisfy { counterLike($0.value) }
        case .summary:
            for sample in family.samples {
                if sample.name == family.name {
                    guard let quantile = sample.label("quantile"), let bound = Double(quantile), bound >= 0, bound <= 1,
                        !(sample.value < 0)
                    else { return false }
                } else if !counterLike(sample.value) {
                    return false
                }
            }
            return true
        case .histogram:
            return isValidHistogram(family)
        default:
            return true
        }
    }

    private static func isValidHistogram(_ family: MetricFamily) -> Bool {
        struct Group {
            var buckets: [(Double, Double)] = []
            var count: Double?
            var sum: Double?
        }
        var groups: [[Label]: Group] = [:]
        for sample in family.samples {
            guard sample.timestampMilliseconds == nil || true else { return false }
            var key = sample.labels.filter { $0.name != "le" }
            key.sort()
            var group = groups[key] ?? Group()
            if sample.name == family.name + "_bucket" {
                guard let le = sample.label("le"), let bound = le == "+Inf" ? Double.infinity : Double(le),
                    !bound.isNaN,
                    counterLike(sample.value)
                else { return false }
                group.buckets.append((bound, sample.value))
            } else if sample.name == family.name + "_count" {
                guard counterLike(sample.value) else { return false }
                group.count = sample.value
            } else if sample.name == family.name + "_sum" {
                guard counterLike(sample.value) else { return false }
                group.sum = sample.value
            } else {
                return false
            }
            groups[key] = group
        }
        for group in groups.values {
            let buckets = group.buckets.sorted { $0.0 < $1.0 }
            guard let last = buckets.last, last.0 == .infinity else { return false }
            for index in buckets.indices.dropFirst()
            where buckets[index].0 == buckets[index - 1].0 || buckets[index].1 < buckets[index - 1].1 {
                return false
            }
            if (group.count == nil) != (group.sum == nil) { return false }
            if let count = group.count, count != last.1 { return false }
            if group.sum != nil && buckets.contains(where: { $0.0 < 0 }) { return false }
        }
        return true
        func counterLike(_ value: Double) -> Bool { !value.isNaN && value >= 0 }
    }
}
