import CrowsnestCore
import Foundation
public import Hummingbird

/// The health pages and the cluster JSON API (SPEC §6):
///
/// - `GET /`: the overview (``HealthPage/overview(_:now:refreshSeconds:)``); `?refresh=N` reloads every N seconds.
/// - `GET /clusters/{name}`: one cluster (``HealthPage/cluster(_:now:refreshSeconds:)``).
/// - `GET /clusters/{name}/targets/{namespace}/{pod}/{port}`: that target's last scrape as stored (text/plain).
/// - `GET /clusters/{name}/nodes/{node}/{kubelet}`: a node target's (`kubelet`, `cadvisor`, `resource`, `probes`).
/// - `GET /api/v1/clusters`, `GET /api/v1/clusters/{name}`: the same reports as JSON (`docs/api.md`).
///
/// Pages and JSON share one ``HealthPageProbe`` so the API server check runs at most every 10 s per cluster.
public struct HealthPageRoutes: Sendable {
    /// The clusters.
    public let directory: ClusterSupervisor
    /// The snapshots.
    public let store: SnapshotStore
    /// Remote write, when configured (its destinations are shown on the overview).
    public let remoteWrite: RemoteWriteService?
    private let probe = HealthPageProbe()

    /// Creates the routes.
    public init(directory: ClusterSupervisor, store: SnapshotStore, remoteWrite: RemoteWriteService? = nil) {
        self.directory = directory
        self.store = store
        self.remoteWrite = remoteWrite
    }

    /// Registers the routes.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/") { request, _ -> Response in
            let entries = directory.entries
            let checks = await probe.checks(for: entries)
            let reports = ClusterReport.all(directory: directory, store: store, checks: checks)
            return Self.html(
                HealthPage.overview(
                    reports,
                    now: Date().timeIntervalSince1970,
                    refreshSeconds: Self.refresh(request),
                    directoryProblems: directory.directoryProblems.map(\.description),
                    remoteWrite: remoteWrite?.reports ?? []
                )
            )
        }
        router.get("/clusters/{name}") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            guard let entry = directory.entries.first(where: { $0.name == name }) else {
                return Self.html(HealthPage.notFound(name: name), status: .notFound)
            }
            let checks = await probe.checks(for: [entry])
            guard
                let report = ClusterReport.all(
                    directory: directory,
                    store: store,
                    detailed: true,
                    only: name,
                    checks: checks
                ).first
            else {
                return Self.html(HealthPage.notFound(name: name), status: .notFound)
            }
            return Self.html(
                HealthPage.cluster(report, now: Date().timeIntervalSince1970, refreshSeconds: Self.refresh(request))
            )
        }
        router.get("/clusters/{name}/targets/{namespace}/{pod}/{port}") { _, context -> Response in
            let key = TargetKey(
                cluster: Self.decoded(try context.parameters.require("name")),
                namespace: Self.decoded(try context.parameters.require("namespace")),
                pod: Self.decoded(try context.parameters.require("pod")),
                port: Self.decoded(try context.parameters.require("port"))
            )
            guard let snapshot = store.snapshot(for: key) else {
                return Self.plain(ByteBuffer(string: "No scrape stored for \(key).\n"), status: .notFound)
            }
            return Self.plain(ByteBuffer(bytes: snapshot.bytes), status: .ok)
        }
        router.get("/clusters/{name}/nodes/{node}/{kubelet}") { _, context -> Response in
            let kubelet = Self.decoded(try context.parameters.require("kubelet"))
            guard let path = KubeletPath(rawValue: kubelet) else {
                return Self.plain(ByteBuffer(string: "No kubelet endpoint \(kubelet).\n"), status: .notFound)
            }
            let key = TargetKey(
                cluster: Self.decoded(try context.parameters.require("name")),
                node: Self.decoded(try context.parameters.require("node")),
                path: path.path
            )
            guard let snapshot = store.snapshot(for: key) else {
                return Self.plain(ByteBuffer(string: "No scrape stored for \(key).\n"), status: .notFound)
            }
            return Self.plain(ByteBuffer(bytes: snapshot.bytes), status: .ok)
        }
        router.get("/api/v1/clusters") { _, _ -> Response in
            let checks = await probe.checks(for: directory.entries)
            return Self.json(ClusterReport.all(directory: directory, store: store, checks: checks))
        }
        router.get("/api/v1/clusters/{name}") { _, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            let checks = await probe.checks(for: directory.entries.filter { $0.name == name })
            guard
                let report = ClusterReport.all(
                    directory: directory,
                    store: store,
                    detailed: true,
                    only: name,
                    checks: checks
                ).first
            else {
                throw HTTPError(.notFound, message: "no cluster named \(name)")
            }
            return Self.json(report)
        }
    }

    /// `?refresh=N`, clamped to 2…3600 seconds.
    static func refresh(_ request: Request) -> Int? {
        guard let text = QueryString(request.uri.query).first("refresh"), let seconds = Int(text) else { return nil }
        return min(max(seconds, 2), 3_600)
    }

    static func decoded(_ segment: String) -> String { segment.removingPercentEncoding ?? segment }

    /// Security headers for pages built from untrusted texts: no scripts, no external loads, no sniffing.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'",
        .init("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: pageHeaders, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    static func plain(_ body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/plain; charset=utf-8",
                .contentSecurityPolicy: "default-src 'none'; sandbox",
                .init("X-Content-Type-Options")!: "nosniff",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: body)
        )
    }

    static func json(_ value: some Encodable) -> Response {
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
