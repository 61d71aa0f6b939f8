import AsyncHTTPClient
import Foundation
import PeerSupport
import Testing

/// A real remote-write receiver on loopback — Debian's VictoriaMetrics single-node or Prometheus 2.42 with its
/// receiver enabled — and the raw samples it stores, read back through its own HTTP API.
final class RemoteWriteReceiver: @unchecked Sendable {
    enum Kind: String, Sendable, CustomStringConvertible {
        case victoriaMetrics = "VictoriaMetrics"
        case prometheus = "Prometheus"
        var description: String { rawValue }
    }

    /// One stored series: its labels and raw samples (`nil` value: a staleness marker, where the API shows one).
    struct Series: Sendable {
        var labels: [String: String]
        var samples: [(timestamp: Int64, value: Double?)]
    }

    let kind: Kind
    let port: Int
    let scratch: TemporaryDirectory
    let client: HTTPClient
    private var process: PeerProcess?
    private let binary: PeerBinary

    /// Finds the receiver's binary (failing the test, naming the Debian package, when it is missing).
    init(_ kind: Kind, client: HTTPClient) throws {
        self.kind = kind
        self.client = client
        port = try freeLoopbackPort()
        scratch = try TemporaryDirectory("rw-\(kind.rawValue)")
        switch kind {
        case .victoriaMetrics: binary = try PeerBinary.require("victoria-metrics", debianPackage: "victoria-metrics")
        case .prometheus: binary = try PeerBinary.require("prometheus", debianPackage: "prometheus")
        }
    }

    deinit {
        process?.stop()
        scratch.remove()
    }

    /// The remote-write URL.
    var writeURL: String { "http://127.0.0.1:\(port)/api/v1/write" }

    /// Starts it (again, on the same port and data) and waits until it answers.
    func start() async throws {
        switch kind {
        case .victoriaMetrics:
            process = try PeerProcess(
                binary,
                [
                    "-httpListenAddr=127.0.0.1:\(port)", "-storageDataPath=\(scratch.file("data"))",
                    "-loggerLevel=ERROR", "-retentionPeriod=100y", "-search.disableCache", "-search.latencyOffset=0s",
                ],
                home: scratch.path
            )
        case .prometheus:
            let config = try scratch.write("prometheus.yml", "global:\n  scrape_interval: 1m\n")
            process = try PeerProcess(
                binary,
                [
                    "--config.file=\(config)", "--storage.tsdb.path=\(scratch.file("data"))",
                    "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver",
                    "--log.level=warn",
                ],
                home: scratch.path
            )
        }
        let ready = kind == .prometheus ? "/-/ready" : "/health"
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if await LoopbackHTTP.get(client, "http://127.0.0.1:\(port)\(ready)", timeout: 2).status == 200 { return }
            guard process?.isRunning == true else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(kind) did not start: \(process?.stderr ?? "")")
    }

    /// Stops it (its data stays for the next start).
    func stop() {
        process?.stop()
        process = nil
    }

    /// What it logged.
    var stderr: String { process?.stderr ?? "" }

    /// Every raw sample of the series matching `selector`.
    func series(_ selector: String) async throws -> [Series] {
        switch kind {
        case .victoriaMetrics:
            let (status, body) = await LoopbackHTTP.get(
                client,
                "http://127.0.0.1:\(port)/api/v1/export?match%5B%5D=" + LoopbackHTTP.encode(selector)
            )
            guard status == 200 else { throw TestFailure("export: \(status.map(String.init) ?? "no answer") \(body)") }
            return try body.split(separator: "\n").map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let labels = object["metric"] as? [String: String],
                    let values = object["values"] as? [Any], let timestamps = object["timestamps"] as? [NSNumber]
                else { throw TestFailure("unexpected export line \(line)") }
                return Series(
                    labels: labels,
                    samples: zip(timestamps, values).map { timestamp, value in
                        (timestamp.int64Value, (value as? NSNumber)?.doubleValue ?? Self.special(value))
                    }
                )
            }
        case .prometheus:
            let data = try await prometheusQuery("\(selector)[1h]")
            guard let results = data["result"] as? [[String: Any]] else {
                throw TestFailure("unexpected matrix \(data)")
            }
            return results.map { result in
                Series(
                    labels: result["metric"] as? [String: String] ?? [:],
                    samples: (result["values"] as? [[Any]] ?? []).map { pair in
                        (
                            Int64((((pair.first as? NSNumber)?.doubleValue ?? 0) * 1000).rounded()),
                            (pair.last as? String).flatMap(PrometheusAPI.parseValue)
                        )
                    }
                )
            }
        }
    }

    /// The label sets an instant query at now returns (a series that ended with a stale marker returns none).
    func instant(_ selector: String) async throws -> [[String: String]] {
        switch kind {
        case .prometheus:
            let data = try await prometheusQuery(selector)
            return (data["result"] as? [[String: Any]] ?? []).map { $0["metric"] as? [String: String] ?? [:] }
        case .victoriaMetrics:
            let (status, body) = await LoopbackHTTP.get(
                client,
                "http://127.0.0.1:\(port)/api/v1/query?query=" + LoopbackHTTP.encode(selector)
            )
            guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let data = object["data"] as? [String: Any]
            else { throw TestFailure("query: \(body)") }
            return (data["result"] as? [[String: Any]] ?? []).map { $0["metric"] as? [String: String] ?? [:] }
        }
    }

    private func prometheusQuery(_ query: String) async throws -> [String: Any] {
        let (status, body) = await LoopbackHTTP.get(
            client,
            "http://127.0.0.1:\(port)/api/v1/query?query=" + LoopbackHTTP.encode(query)
        )
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = object["data"] as? [String: Any]
        else { throw TestFailure("Prometheus query \(query): \(body.prefix(300))") }
        return data
    }

    /// VictoriaMetrics exports NaN and infinities as strings, and a staleness marker as null.
    private static func special(_ value: Any) -> Double? {
        guard let text = value as? String else { return nil }
        return PrometheusAPI.parseValue(text)
    }
}
