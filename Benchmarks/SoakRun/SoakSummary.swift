import Foundation

/// The figures of a finished soak and the verdict.
struct SoakSummary {
    /// The budget of one full `GET /metrics` (p99 over the run). See `scripts/soak.sh` for why 1 s.
    static let latencyBudget = 1.0
    /// Open files and threads may not grow by more than this between the end of the warm-up and the end of the
    /// quiet tail (same topology, no faults): a leak of one per fault or per churned pod would exceed it.
    static let openFilesSlack = 16
    static let threadsSlack = 4

    let options: SoakOptions
    let samples: [SoakSample]
    let latencies: [LatencyRecord]
    let counts: [String: Int]
    let chaosFailures: [String]
    let crashes: [String]
    let gatewayShutdown: String

    /// start / end / max / drift of one column, start being the first sample after the warm-up.
    struct Curve {
        var start: Double
        var end: Double
        var max: Double
        var min: Double
        var drift: Double { end - start }
    }

    /// The samples from the last one of the warm-up (the "start") to the end.
    var afterWarmUp: [SoakSample] {
        guard let lastWarm = samples.lastIndex(where: { $0.phase == "warm-up" }) else { return samples }
        return Array(samples[lastWarm...])
    }

    /// Targets up at the end (quiet tail, every fault undone) compared with the start (same topology): a
    /// cluster that did not come back (a rotated token not re-read, a re-added file not picked up) shows here.
    var recovered: Bool {
        guard let start = afterWarmUp.first, let end = afterWarmUp.last else { return false }
        return end.targetsUp >= start.targetsUp && end.targetsTotal >= start.targetsTotal
            && end.clustersOK >= start.clustersOK
    }

    func curve(_ value: (SoakSample) -> Double) -> Curve? {
        let values = afterWarmUp.map(value)
        guard let first = values.first, let last = values.last else { return nil }
        return Curve(start: first, end: last, max: values.max()!, min: values.min()!)
    }

    var successfulLatencies: [Double] { latencies.compactMap(\.latency) }

    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    var metricsErrors: Int { latencies.filter { $0.latency == nil || $0.error != nil }.count }

    var passed: Bool {
        guard crashes.isEmpty, metricsErrors == 0, let p99 = Self.percentile(successfulLatencies, 99),
            p99 <= Self.latencyBudget, let fds = curve({ Double($0.openFiles) }),
            let threads = curve({ Double($0.threads) })
        else { return false }
        return fds.drift <= Double(Self.openFilesSlack) && threads.drift <= Double(Self.threadsSlack) && recovered
    }

    /// Least squares `rss = a + b·series + c·minutes` over the samples after the warm-up: `b` is the memory per
    /// held series, `c` the growth per minute that the series count does not explain (a leak shows here).
    func rssModel() -> (perSeriesKB: Double, perMinuteKB: Double)? {
        let points = afterWarmUp.compactMap { sample -> (Double, Double, Double)? in
            guard let series = sample.seriesHeld else { return nil }
            return (Double(series), sample.seconds / 60, Double(sample.residentKilobytes))
        }
        guard points.count >= 5 else { return nil }
        let n = Double(points.count)
        let meanX = points.map(\.0).reduce(0, +) / n
        let meanT = points.map(\.1).reduce(0, +) / n
        let meanY = points.map(\.2).reduce(0, +) / n
        var sxx = 0.0
        var stt = 0.0
        var sxt = 0.0
        var sxy = 0.0
        var sty = 0.0
        for (x, t, y) in points {
            let dx = x - meanX
            let dt = t - meanT
            let dy = y - meanY
            sxx += dx * dx
            stt += dt * dt
            sxt += dx * dt
            sxy += dx * dy
            sty += dt * dy
        }
        let determinant = sxx * stt - sxt * sxt
        guard abs(determinant) > 1e-9 else { return nil }
        return ((sxy * stt - sty * sxt) / determinant, (sty * sxx - sxy * sxt) / determinant)
    }

    func text(outputDirectory: String) -> String {
        var out = "== Crowsnest soak: \(format(options.minutes)) min, seed \(options.seed) ==\n"
        out += "scrape interval \(format(options.scrapeInterval)) s, \(options.seriesPerPod) series per pod, "
        out += "action every ~\(format(options.actionEvery)) s, sample every \(format(options.sampleEvery)) s, "
        out += "warm-up \(Int(seconds(options.warmUp))) s, quiet tail \(Int(seconds(options.quietTail))) s\n"
        out += "files: \(outputDirectory)/samples.csv, metrics-latency.csv, gateway-stderr.log\n\n"

        out += "gateway process (start = last warm-up sample, end = last sample, in the quiet tail):\n"
        let columns: [(String, String, (SoakSample) -> Double)] = [
            ("RSS", "MiB", { Double($0.residentKilobytes) / 1024 }),
            ("open fds", "", { Double($0.openFiles) }),
            ("threads", "", { Double($0.threads) }),
            ("series held", "", { Double($0.seriesHeld ?? 0) }),
            ("targets total", "", { Double($0.targetsTotal) }),
        ]
        for (name, unit, value) in columns {
            guard let c = curve(value) else { continue }
            let u = unit.isEmpty ? "" : " " + unit
            out +=
                "  \(name.padding(toLength: 14, withPad: " ", startingAt: 0)) start \(format(c.start))\(u)  end \(format(c.end))\(u)  "
            out += "max \(format(c.max))\(u)  min \(format(c.min))\(u)  drift \(signed(c.drift))\(u)\n"
        }
        if let model = rssModel() {
            out += "  RSS vs series (least squares over \(afterWarmUp.count) samples): "
            out += "\(format(model.perSeriesKB * 1024 / 1024)) kB per held series, "
            out += "\(signed(model.perMinuteKB / 1024)) MiB per minute not explained by series\n"
        }
        let bySeries = afterWarmUp.filter { $0.seriesHeld != nil }
        if let low = bySeries.min(by: { $0.seriesHeld! < $1.seriesHeld! }),
            let high = bySeries.max(by: { $0.seriesHeld! < $1.seriesHeld! })
        {
            out +=
                "  fewest series \(low.seriesHeld!) at \(Int(low.seconds)) s: RSS \(low.residentKilobytes / 1024) MiB; "
            out += "most \(high.seriesHeld!) at \(Int(high.seconds)) s: RSS \(high.residentKilobytes / 1024) MiB\n"
        }
        for phase in ["warm-up", "chaos", "quiet"] {
            let rows = samples.filter { $0.phase == phase }
            guard let first = rows.first, let last = rows.last else { continue }
            out +=
                "  \(phase): \(rows.count) samples, RSS \(first.residentKilobytes / 1024) → \(last.residentKilobytes / 1024) MiB, "
            out += "fds \(first.openFiles) → \(last.openFiles), threads \(first.threads) → \(last.threads), "
            out += "series \(first.seriesHeld ?? -1) → \(last.seriesHeld ?? -1)\n"
        }

        if let first = samples.first, let last = samples.last, last.seconds > first.seconds {
            let cpu = (last.cpuSeconds - first.cpuSeconds) / (last.seconds - first.seconds) * 100
            let loads = samples.map(\.loadAverage)
            out += "  gateway CPU \(String(format: "%.1f", cpu)) % of one core on average; machine load average "
            out +=
                "mean \(String(format: "%.1f", loads.reduce(0, +) / Double(loads.count))) max \(String(format: "%.1f", loads.max()!)) "
            out += "(2 shared cores, other builds running)\n"
        }
        out += curveTable()

        out += "\nGET /metrics (full body, text 0.0.4; budget p99 ≤ \(format(Self.latencyBudget)) s):\n"
        let all = successfulLatencies
        out += "  all: \(latencyLine(all))\n"
        for phase in ["warm-up", "chaos", "quiet"] {
            out += "  \(phase): \(latencyLine(latencies.filter { $0.phase == phase }.compactMap(\.latency)))\n"
        }
        let overBudget = all.filter { $0 > Self.latencyBudget }.count
        out += "  over budget: \(overBudget) of \(all.count); failed requests: \(metricsErrors)\n"
        if let biggest = latencies.max(by: { ($0.bytes ?? 0) < ($1.bytes ?? 0) }), let bytes = biggest.bytes {
            out += "  largest body \(bytes / 1024) KiB, \(biggest.sampleLines ?? 0) samples\n"
        }
        for failure in latencies.filter({ $0.error != nil }).prefix(5) {
            out += "    at \(Int(failure.seconds)) s: \(failure.error!)\n"
        }

        out += "\nactions (\(counts.filter { !$0.key.contains(".") }.values.reduce(0, +)) in all):\n"
        for key in counts.keys.sorted() {
            out += "  \(key): \(counts[key]!)\n"
        }
        for failure in chaosFailures { out += "  action failed: \(failure)\n" }

        out += "\ngateway crashes: \(crashes.count); shutdown at the end: \(gatewayShutdown)\n"
        for crash in crashes { out += "  \(crash)\n" }

        if let fds = curve({ Double($0.openFiles) }), let threads = curve({ Double($0.threads) }) {
            out += "\nverdict: open fds drift \(signed(fds.drift)) (allowed +\(Self.openFilesSlack)), "
            out += "threads drift \(signed(threads.drift)) (allowed +\(Self.threadsSlack)), "
        } else {
            out += "\nverdict: no samples after the warm-up, "
        }
        if let start = afterWarmUp.first, let end = afterWarmUp.last {
            out += "targets up \(start.targetsUp)/\(start.targetsTotal) → \(end.targetsUp)/\(end.targetsTotal), "
            out +=
                "clusters ok \(start.clustersOK) → \(end.clustersOK) (\(recovered ? "recovered" : "NOT recovered")), "
        }
        out +=
            "/metrics p99 \(Self.percentile(all, 99).map { format($0) } ?? "-") s (budget \(format(Self.latencyBudget)) s), "
        out += "crashes \(crashes.count) → \(passed ? "PASS" : "FAIL")\n"
        return out
    }

    /// About 16 rows of the curve: time, phase, RSS, fds, threads, series, targets, last /metrics latency.
    func curveTable() -> String {
        guard !samples.isEmpty else { return "" }
        let step = max(1, samples.count / 16)
        var rows = stride(from: 0, to: samples.count, by: step).map { samples[$0] }
        if rows.last?.seconds != samples.last?.seconds { rows.append(samples.last!) }
        var out = "  curve:   t(s)  phase     RSS(MiB)  fds  threads  series  targets up/total  /metrics(ms)  load\n"
        for row in rows {
            out += "        "
            out +=
                String(format: "%6d", Int(row.seconds)) + "  "
                + row.phase.padding(toLength: 8, withPad: " ", startingAt: 0)
            out += String(
                format: "%9.1f %5d %8d %7d",
                Double(row.residentKilobytes) / 1024,
                row.openFiles,
                row.threads,
                row.seriesHeld ?? -1
            )
            out += String(format: "  %7d/%-8d", row.targetsUp, row.targetsTotal)
            out += String(format: " %12.1f  %4.1f\n", (row.metricsSeconds ?? 0) * 1000, row.loadAverage)
        }
        return out
    }

    private func latencyLine(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "no requests" }
        let p50 = Self.percentile(values, 50)!
        let p99 = Self.percentile(values, 99)!
        return "n=\(values.count) p50 \(ms(p50)) p99 \(ms(p99)) max \(ms(values.max()!))"
    }

    private func ms(_ value: Double) -> String { String(format: "%.1f ms", value * 1000) }
    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.2f", value)
    }
    private func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + format(value) }
}
