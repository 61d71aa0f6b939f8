import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport

extension PeerBinary {
    /// The built `crowsnest` executable (see ``CrowsnestBinary``).
    static func crowsnest() throws -> PeerBinary { PeerBinary(path: try CrowsnestBinary.url().path) }
}

/// Plain HTTP GETs to loopback peers (Prometheus' API, a gateway child process).
enum LoopbackHTTP {
    /// GETs `url`; returns status and body (nil status when the peer does not answer).
    static func get(_ client: HTTPClient, _ url: String, timeout: Int64 = 10) async -> (status: Int?, body: String) {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(timeout))
            let body = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return (nil, "\(error)")
        }
    }

    /// Percent-encodes a query parameter value.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? value
    }
}

extension SimulatedCluster {
    /// Adds a Running pod whose port 9102 is served by an exporter with `series` series frozen in time (its values
    /// are those of the exporter's start, an hour from now), so two fetches at different times agree.
    @discardableResult
    func addFrozenExporterPod(
        namespace: String,
        name: String,
        series: Int = 20,
        annotations: [String: String] = ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"]
    ) throws -> SimulatedExporter {
        let exporter = SimulatedExporter(
            series: series,
            seed: (namespace + "/" + name).utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 },
            startedAt: Date().addingTimeInterval(3600)
        )
        try pods.add(
            SimulatedPod(
                namespace: namespace,
                name: name,
                labels: ["app": name],
                annotations: annotations,
                owner: .init(kind: "StatefulSet", name: name),
                nodeName: "node-1",
                containers: [.init(name: "app", ports: [.init(name: "metrics", containerPort: 9102)])],
                podIP: pods.allocatePodIP(),
                backends: [9102: .exporter(exporter)]
            )
        )
        return exporter
    }
}
