import CrowsnestCore
import Foundation
public import Hummingbird

/// The gateway's own endpoints besides `/metrics`: liveness, readiness, reload and the cluster JSON API.
public struct GatewayRoutes: Sendable {
    /// The clusters.
    public let directory: ClusterDirectoryService
    /// The snapshots.
    public let store: SnapshotStore

    /// Creates the routes.
    public init(directory: ClusterDirectoryService, store: SnapshotStore) {
        self.directory = directory
        self.store = store
    }

    /// Registers the routes.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/-/healthy") { _, _ in "Healthy\n" }
        router.get("/-/ready") { _, _ -> Response in
            directory.isReady
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "Ready\n")))
                : Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "Not ready: first discovery pending\n")))
        }
        router.post("/-/reload") { _, _ -> Response in
            directory.reload()
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "Reloading\n")))
        }
        router.get("/api/v1/clusters") { _, _ -> Response in
            json(ClusterReport.all(directory: directory, store: store))
        }
        router.get("/api/v1/clusters/{name}") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard let report = ClusterReport.all(directory: directory, store: store, detailed: true).first(where: { $0.name == name }) else {
                throw HTTPError(.notFound, message: "no cluster named \(name)")
            }
            return json(report)
        }
        router.get("/-/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: ExpositionFormat.text.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: GatewayMetrics.render(directory: directory, store: store)))
            )
        }
    }

    private func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
