import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1  // via AsyncHTTPClient (the SoakRun target does not list it; see the report)

/// Reads the gateway over HTTP: a timed full `GET /metrics`, its own `/-/metrics` and `/api/v1/clusters`.
struct GatewayProbe: Sendable {
    let client: HTTPClient
    let base: String

    /// One timed `GET /metrics` (plain text, whole body read).
    struct MetricsFetch: Sendable {
        var seconds: Double
        var bytes: Int
        var sampleLines: Int
        var status: Int
    }

    /// What `/-/metrics` and `/api/v1/clusters` said.
    struct Health: Sendable {
        var seriesHeld: Int?
        var targetsUp = 0
        var targetsTotal = 0
        var clustersOK = 0
        var clusters = 0
    }

    /// Fetches `/metrics` in full and times it (up to the body's last byte).
    func fetchMetrics(timeout: TimeAmount = .seconds(30)) async throws -> MetricsFetch {
        let clock = ContinuousClock()
        let start = clock.now
        var request = HTTPClientRequest(url: base + "/metrics")
        request.headers.add(name: "Accept", value: "text/plain;version=0.0.4")
        let response = try await client.execute(request, timeout: timeout)
        var body = try await response.body.collect(upTo: 1 << 30)
        let elapsed = clock.now - start
        var lines = 0
        let bytes = body.readableBytes
        body.withUnsafeReadableBytes { raw in
            var atLineStart = true
            for byte in raw {
                if atLineStart && byte != UInt8(ascii: "#") && byte != UInt8(ascii: "\n") { lines += 1 }
                atLineStart = byte == UInt8(ascii: "\n")
            }
        }
        body.clear()
        return MetricsFetch(
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            bytes: bytes,
            sampleLines: lines,
            status: Int(response.status.code)
        )
    }

    /// Reads series held and target/cluster counts.
    func health() async -> Health {
        var health = Health()
        if let own = try? await text("/-/metrics") {
            for line in own.split(separator: "\n") where line.hasPrefix("crowsnest_series_held ") {
                health.seriesHeld = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }.map { Int($0) }
            }
        }
        if let json = try? await text("/api/v1/clusters"),
            let reports = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        {
            health.clusters = reports.count
            for report in reports {
                health.targetsUp += report["targetsUp"] as? Int ?? 0
                health.targetsTotal += report["targetsTotal"] as? Int ?? 0
                if report["status"] as? String == "ok" { health.clustersOK += 1 }
            }
        }
        return health
    }

    /// Whether `/-/ready` answers 200.
    func isReady() async -> Bool {
        guard let response = try? await client.execute(HTTPClientRequest(url: base + "/-/ready"), timeout: .seconds(2))
        else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status.code == 200
    }

    private func text(_ path: String) async throws -> String {
        let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return String(buffer: body)
    }
}
