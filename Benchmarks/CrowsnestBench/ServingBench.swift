import CrowsnestCore
import CrowsnestGateway
import Foundation
import NIOCore

/// Resident memory of this process, bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A realistic pod payload: `families` families, `series` series in all (counters, gauges, a histogram).
func podPayload(series: Int, pod: Int) -> [UInt8] {
    var text = ""
    var written = 0
    var family = 0
    while written < series {
        let name = "app_metric_\(family)_total"
        text += "# HELP \(name) Requests handled by the handler.\n# TYPE \(name) counter\n"
        for index in 0..<min(50, series - written) {
            text += "\(name){handler=\"/api/v1/items/\(index)\",method=\"GET\",code=\"200\"} \(index * 7919 + pod)\n"
            written += 1
        }
        family += 1
    }
    return Array(text.utf8)
}

func benchServing() async throws {
    let targets = Int(option("--targets") ?? "1000") ?? 1000
    let seriesPerTarget = Int(option("--series") ?? "1000") ?? 1000
    print(
        "Serving benchmark: \(targets) targets × \(seriesPerTarget) series = \(targets * seriesPerTarget) series held"
    )
    let store = SnapshotStore()
    let before = residentBytes()
    var renderer = ScrapeRenderer()
    let payload = podPayload(series: seriesPerTarget, pod: 0)
    let buildStart = now()
    for index in 0..<targets {
        let cluster = "cluster-\(index % 10)"
        let pod = "pod-\(index)"
        let labels = [Label("cluster", cluster), Label("namespace", "app"), Label("pod_name", pod)]
        let rendered = try renderer.render(
            payload,
            format: .text,
            options: ScrapeRenderOptions(targetLabels: labels, timestampMilliseconds: 1_764_000_000_000)
        )
        let health = ScrapeHealth(
            up: true,
            timestampMilliseconds: 1_764_000_000_000,
            durationSeconds: 0.01,
            samplesScraped: rendered.samplesScraped
        )
        store.replace(
            TargetSnapshot(
                key: TargetKey(cluster: cluster, namespace: "app", pod: pod, port: "metrics"),
                labels: labels,
                scrape: rendered,
                synthetic: SyntheticSeries.render(health, labels: labels, timestamps: true),
                health: health
            )
        )
    }
    let buildSeconds = now() - buildStart
    let held = store.seriesCount
    let after = residentBytes()
    print("  built in \(format(buildSeconds, 2)) s (parse + inject + render of every target)")
    print(
        "  resident memory for the snapshots: \((after - before) / 1_048_576) MiB = \(format(Double(after - before) / Double(held), 1)) B/series (goal <= 200; Prometheus ~2,400 measured by the issue)"
    )

    for gzip in [false, true] {
        var firstByte = 0.0
        var total = 0
        var times: [Double] = []
        for run in 0..<3 {
            let start = now()
            var first = -1.0
            var bytes = 0
            let stream = gzip ? try GzipStream() : nil
            var pending: ByteBuffer?
            try await FederationWriter().write(store.view(), request: FederationRequest()) { chunk in
                if first < 0 { first = now() - start }
                if let stream {
                    if let previous = pending { bytes += try stream.compress(previous, final: false).readableBytes }
                    pending = chunk
                } else {
                    bytes += chunk.readableBytes
                }
            }
            if let stream { bytes += try stream.compress(pending ?? ByteBuffer(), final: true).readableBytes }
            times.append(now() - start)
            if run == 0 { firstByte = first }
            total = bytes
        }
        let best = times.min()!
        print(
            "  /metrics \(gzip ? "gzip " : "plain"): \(format(best * 1000, 0)) ms for \(total / 1_048_576) MiB"
                + " (\(format(Double(held) / best / 1e6, 2)) M series/s), first chunk after \(format(firstByte * 1000, 1)) ms"
        )
    }
    print(
        "  Compare: Prometheus /federate needs about 13 s for 1 M series on this machine (issue 5); goal >= 30x faster."
    )
}
