import Foundation

/// The series a simulated exporter serves: a realistic mix of counters, gauges, histograms and summaries sized
/// to an exact series count, with each line's name and labels pre-rendered so a scrape only formats numbers.
struct MetricCatalog: Sendable {
    enum FamilyType: String, Sendable {
        case counter, gauge, histogram, summary
    }

    /// How a series' value is computed at time `t` (seconds since the exporter started).
    enum Value: Sendable {
        case counter(base: Double, rate: Double, integral: Bool)
        case gauge(base: Double, amplitude: Double, period: Double, phase: Double)
        case constant(Double)
        case bucket(group: Int, fraction: Double)
        case groupSum(group: Int)
        case groupCount(group: Int)
        case quantile(group: Int, factor: Double)
    }

    struct Series: Sendable {
        /// `name{labels} ` (with the trailing space).
        var prefix: [UInt8]
        var value: Value
    }

    struct Family: Sendable {
        var textHeader: [UInt8]
        var openMetricsHeader: [UInt8]
        var series: [Series]
    }

    /// A histogram or summary observation stream: `count = base + rate·t`, `sum = count·mean`.
    struct Group: Sendable {
        var base: Double
        var rate: Double
        var mean: Double
    }

    var families: [Family]
    var groups: [Group]
    var seriesCount: Int

    static let histogramBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// A catalog of exactly `seriesCount` series (at least 1), deterministic for a `seed`.
    init(seriesCount requested: Int, seed: UInt64, labels extraLabels: [(String, String)] = []) {
        let total = max(1, requested)
        var random = SplitMix64(seed: seed)
        var families: [Family] = []
        var groups: [Group] = []
        var remaining = total

        func labelText(_ labels: [(String, String)]) -> String {
            let all = extraLabels + labels
            guard !all.isEmpty else { return "" }
            return "{" + all.map { "\($0.0)=\"\(MetricCatalog.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        func header(
            _ name: String,
            _ type: FamilyType,
            _ help: String,
            openMetricsName: String? = nil,
            unit: String? = nil
        )
            -> ([UInt8], [UInt8])
        {
            let text = "# HELP \(name) \(help)\n# TYPE \(name) \(type.rawValue)\n"
            let omName = openMetricsName ?? name
            var om = "# TYPE \(omName) \(type.rawValue)\n"
            if let unit { om += "# UNIT \(omName) \(unit)\n" }
            om += "# HELP \(omName) \(help)\n"
            return (Array(text.utf8), Array(om.utf8))
        }
        func addFamily(
            _ name: String,
            _ type: FamilyType,
            _ help: String,
            omName: String? = nil,
            unit: String? = nil,
            _ series: [Series]
        ) {
            guard !series.isEmpty else { return }
            let (text, om) = header(name, type, help, openMetricsName: omName, unit: unit)
            families.append(Family(textHeader: text, openMetricsHeader: om, series: series))
            remaining -= series.count
        }
        func line(_ name: String, _ labels: [(String, String)]) -> [UInt8] {
            Array((name + labelText(labels) + " ").utf8)
        }

        // A few fixed process-level series.
        let fixed: [(String, FamilyType, String, String?, String?, Value)] = [
            (
                "process_cpu_seconds_total", .counter, "Total user and system CPU time spent in seconds.",
                "process_cpu_seconds",
                "seconds", .counter(base: 12, rate: 0.05 + random.unit() * 0.2, integral: false)
            ),
            (
                "process_resident_memory_bytes", .gauge, "Resident memory size in bytes.", nil, "bytes",
                .gauge(
                    base: 64_000_000 + random.unit() * 1e8,
                    amplitude: 4_000_000,
                    period: 300,
                    phase: random.unit() * 6
                )
            ),
            (
                "process_start_time_seconds", .gauge, "Start time of the process since unix epoch in seconds.", nil,
                "seconds",
                .constant(1_700_000_000 + (random.unit() * 1e6).rounded())
            ),
            (
                "app_build_info", .gauge, "A metric with a constant '1' value labeled by version and revision.", nil,
                nil,
                .constant(1)
            ),
        ]
        for (name, type, help, omName, unit, value) in fixed where remaining > 0 {
            let labels: [(String, String)] =
                name == "app_build_info" ? [("version", "1.4.2"), ("revision", "9f3c2e1")] : []
            addFamily(name, type, help, omName: omName, unit: unit, [Series(prefix: line(name, labels), value: value)])
        }

        let budget = remaining
        let histogramCount = budget * 30 / 100 / 14
        let summaryCount = budget * 15 / 100 / 5
        let counterCount = budget * 35 / 100

        // http_requests_total{method,code,handler}
        let methods = ["GET", "POST", "PUT", "DELETE"]
        let codes = ["200", "201", "204", "400", "404", "500"]
        var counters: [Series] = []
        for index in 0..<counterCount {
            let labels = [
                ("method", methods[index % 4]), ("code", codes[(index / 4) % 6]),
                ("handler", "/api/v1/endpoint-\(index / 24)"),
            ]
            let rate = (index / 4) % 6 == 0 ? 5 + random.unit() * 45 : random.unit() * 2
            counters.append(
                Series(
                    prefix: line("http_requests_total", labels),
                    value: .counter(base: (random.unit() * 1e4).rounded(), rate: rate, integral: true)
                )
            )
        }
        addFamily("http_requests_total", .counter, "Total number of HTTP requests.", omName: "http_requests", counters)

        // http_request_duration_seconds histogram
        var histogramSeries: [Series] = []
        for index in 0..<histogramCount {
            let group = groups.count
            groups.append(
                Group(
                    base: (random.unit() * 5000).rounded(),
                    rate: 1 + random.unit() * 20,
                    mean: 0.02 + random.unit() * 0.3
                )
            )
            let handler = "/api/v1/endpoint-\(index)"
            // A log-normal-ish CDF over the buckets.
            let scale = 0.05 + random.unit() * 0.4
            for bound in MetricCatalog.histogramBounds {
                let fraction = 1 - 1 / (1 + bound / scale * bound / scale)
                histogramSeries.append(
                    Series(
                        prefix: line(
                            "http_request_duration_seconds_bucket",
                            [("handler", handler), ("le", MetricCatalog.format(bound))]
                        ),
                        value: .bucket(group: group, fraction: fraction)
                    )
                )
            }
            histogramSeries.append(
                Series(
                    prefix: line("http_request_duration_seconds_bucket", [("handler", handler), ("le", "+Inf")]),
                    value: .bucket(group: group, fraction: 1)
                )
            )
            histogramSeries.append(
                Series(
                    prefix: line("http_request_duration_seconds_sum", [("handler", handler)]),
                    value: .groupSum(group: group)
                )
            )
            histogramSeries.append(
                Series(
                    prefix: line("http_request_duration_seconds_count", [("handler", handler)]),
                    value: .groupCount(group: group)
                )
            )
        }
        addFamily(
            "http_request_duration_seconds",
            .histogram,
            "HTTP request latencies in seconds.",
            unit: "seconds",
            histogramSeries
        )

        // rpc_latency_seconds summary
        var summarySeries: [Series] = []
        for index in 0..<summaryCount {
            let group = groups.count
            groups.append(
                Group(
                    base: (random.unit() * 2000).rounded(),
                    rate: 0.5 + random.unit() * 10,
                    mean: 0.01 + random.unit() * 0.1
                )
            )
            let service = "service-\(index)"
            for (quantile, factor) in [("0.5", 0.8), ("0.9", 1.9), ("0.99", 4.2)] {
                summarySeries.append(
                    Series(
                        prefix: line("rpc_latency_seconds", [("service", service), ("quantile", quantile)]),
                        value: .quantile(group: group, factor: factor)
                    )
                )
            }
            summarySeries.append(
                Series(prefix: line("rpc_latency_seconds_sum", [("service", service)]), value: .groupSum(group: group))
            )
            summarySeries.append(
                Series(
                    prefix: line("rpc_latency_seconds_count", [("service", service)]),
                    value: .groupCount(group: group)
                )
            )
        }
        addFamily("rpc_latency_seconds", .summary, "RPC latency distributions.", unit: "seconds", summarySeries)

        // app_queue_depth{queue} gauges for the rest.
        var gauges: [Series] = []
        for index in 0..<max(remaining, 0) {
            gauges.append(
                Series(
                    prefix: line("app_queue_depth", [("queue", "queue-\(index)")]),
                    value: .gauge(
                        base: random.unit() * 100,
                        amplitude: random.unit() * 50,
                        period: 30 + random.unit() * 600,
                        phase: random.unit() * 6.28
                    )
                )
            )
        }
        addFamily("app_queue_depth", .gauge, "Items waiting in each work queue.", gauges)

        self.families = families
        self.groups = groups
        self.seriesCount = total
    }

    /// Label value escaping of the text format.
    static func escapeLabelValue(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A float as Prometheus writes it (integers without a fraction).
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// A small deterministic PRNG (SplitMix64), so simulated exporters, topologies and benchmark runs repeat with
/// their seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose first state is `seed` advanced by one step (so seed 0 does not start from 0).
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// A generator whose state is `state` as is (the textbook SplitMix64 seeding).
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
