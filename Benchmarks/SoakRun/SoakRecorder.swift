import Foundation
import Synchronization

/// One row of the soak CSV.
struct SoakSample: Sendable {
    var seconds: Double
    var phase: String
    var residentKilobytes: Int
    var openFiles: Int
    var threads: Int
    var cpuSeconds: Double
    var loadAverage: Double
    var seriesHeld: Int?
    var targetsUp: Int
    var targetsTotal: Int
    var clustersOK: Int
    var clusters: Int
    var metricsSeconds: Double?
    var metricsBytes: Int?
    var metricsSamples: Int?
    var churnPods: Int
    var activeFaults: Int
    var actionsDone: Int

    static let csvHeader =
        "seconds,phase,rss_kb,open_fds,threads,cpu_seconds,loadavg1,series_held,targets_up,targets_total,clusters_ok,clusters,"
        + "metrics_seconds,metrics_bytes,metrics_samples,churn_pods,active_faults,actions_done"

    var csvLine: String {
        func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "" }
        return [
            String(format: "%.1f", seconds), phase, "\(residentKilobytes)", "\(openFiles)", "\(threads)",
            String(format: "%.2f", cpuSeconds), String(format: "%.2f", loadAverage),
            optional(seriesHeld), "\(targetsUp)", "\(targetsTotal)", "\(clustersOK)", "\(clusters)",
            metricsSeconds.map { String(format: "%.4f", $0) } ?? "", optional(metricsBytes), optional(metricsSamples),
            "\(churnPods)", "\(activeFaults)", "\(actionsDone)",
        ].joined(separator: ",")
    }
}

/// One timed `GET /metrics`.
struct LatencyRecord: Sendable {
    var seconds: Double
    var phase: String
    /// nil when the request failed.
    var latency: Double?
    var series: Int?
    var bytes: Int?
    var sampleLines: Int?
    var error: String?
}

/// Collects samples and latencies (and appends the samples to the CSV as they come, so a broken run keeps them).
final class SoakRecorder: Sendable {
    private struct State: Sendable {
        var samples: [SoakSample] = []
        var latencies: [LatencyRecord] = []
    }

    private let state = Mutex(State())
    private let csv: FileHandle
    private let latencyCSV: FileHandle

    init(csvPath: String, latencyPath: String) throws {
        _ = FileManager.default.createFile(atPath: csvPath, contents: Data((SoakSample.csvHeader + "\n").utf8))
        _ = FileManager.default.createFile(
            atPath: latencyPath,
            contents: Data("seconds,phase,latency_seconds,series,error\n".utf8)
        )
        csv = try FileHandle(forWritingTo: URL(fileURLWithPath: csvPath))
        csv.seekToEndOfFile()
        latencyCSV = try FileHandle(forWritingTo: URL(fileURLWithPath: latencyPath))
        latencyCSV.seekToEndOfFile()
    }

    func add(_ sample: SoakSample) {
        state.withLock { state in
            state.samples.append(sample)
            csv.write(Data((sample.csvLine + "\n").utf8))
        }
    }

    func add(_ record: LatencyRecord) {
        state.withLock { state in
            state.latencies.append(record)
            let latency = record.latency.map { String(format: "%.4f", $0) } ?? ""
            let error = (record.error ?? "").replacingOccurrences(of: ",", with: ";").replacingOccurrences(
                of: "\n",
                with: " "
            )
            let series = record.series.map(String.init) ?? ""
            latencyCSV.write(
                Data("\(String(format: "%.1f", record.seconds)),\(record.phase),\(latency),\(series),\(error)\n".utf8)
            )
        }
    }

    var samples: [SoakSample] { state.withLock { $0.samples } }
    var latencies: [LatencyRecord] { state.withLock { $0.latencies } }

    /// The series held at the last sample (for latency rows).
    var lastSeriesHeld: Int? { state.withLock { $0.samples.last?.seriesHeld } }

    /// The latest successful `GET /metrics`.
    var lastSuccessfulFetch: LatencyRecord? { state.withLock { $0.latencies.last { $0.latency != nil } } }
}
