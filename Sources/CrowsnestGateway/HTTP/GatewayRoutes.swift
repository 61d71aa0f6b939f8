import CrowsnestCore
import Foundation
public import Hummingbird

/// The gateway's own endpoints besides `/metrics`: liveness, readiness, reload, its own metrics, and (through
/// ``HealthPageRoutes``) the health pages and the cluster JSON API.
public struct GatewayRoutes: Sendable {
    /// The clusters.
    public let directory: ClusterSupervisor
    /// The snapshots.
    public let store: SnapshotStore
    /// The gateway's own metrics.
    public let metrics: GatewayMetrics
    /// Remote write, when configured.
    public let remoteWrite: RemoteWriteService?

    /// Creates the routes.
    public init(
        directory: ClusterSupervisor,
        store: SnapshotStore,
        metrics: GatewayMetrics,
        remoteWrite: RemoteWriteService? = nil
    ) {
        self.directory = directory
        self.store = store
        self.metrics = metrics
        self.remoteWrite = remoteWrite
    }

    /// Registers the routes (the health pages and the cluster JSON API are ``HealthPageRoutes``).
    public func register<Context: RequestContext>(on router: Router<Context>) {
        HealthPageRoutes(directory: directory, store: store, remoteWrite: remoteWrite).register(on: router)
        router.get("/-/healthy") { _, _ in "Healthy\n" }
        router.get("/-/ready") { _, _ -> Response in
            directory.isReady
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "Ready\n")))
                : Response(
                    status: .serviceUnavailable,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "Not ready: first discovery pending\n"))
                )
        }
        // As Prometheus' own: answers once the reload is done, 200, or 500 with what is wrong (the last good
        // configuration keeps serving).
        router.post("/-/reload") { _, _ -> Response in
            let outcome = await directory.reloadAndWait()
            guard !outcome.successful else {
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "Reloaded\n")))
            }
            let text =
                "Reload failed; the last good configuration keeps serving:\n"
                + outcome.problems.map { $0 + "\n" }.joined()
            return Response(status: .internalServerError, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/-/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: ExpositionFormat.text.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(directory: directory, store: store)))
            )
        }
    }
}
