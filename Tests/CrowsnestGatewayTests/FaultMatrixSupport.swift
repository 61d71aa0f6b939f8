import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import Hummingbird
import KubeSim
import Logging
import Testing

/// The fault matrix's world and its five checks (issue 8): three simulated clusters with realistic pods behind one
/// gateway, and for every fault row
///
/// - (a) the gateway keeps serving `/metrics` (HTTP 200, strictly valid),
/// - (b) the other clusters are unaffected (status ok, every target up, samples fresh),
/// - (c) the faulted cluster shows the right health state and reason (`GET /api/v1/clusters/{name}`),
/// - (d) full recovery after the fault ends (the same check as (b), for the faulted cluster),
/// - (e) no lost or mislabelled series (every sample names a pod of its cluster and namespace; every target that
///   is up has all its series).
///
/// A row is usually one call of ``row(_:inject:during:heal:recoverySeconds:sourceLocation:)``; rows that need
/// more steps call ``expectHealthy(_:seconds:sourceLocation:)``, ``expectFault(_:_:seconds:sourceLocation:until:)``
/// and ``expectServingAndLabels(sourceLocation:)`` themselves. Every check records an issue naming what was
/// wrong (so a failing row says which property broke) and never waits longer than its `seconds`.
struct FaultMatrix: Sendable {
    /// The clusters every row runs: `alpha`, `beta`, `gamma`.
    static let clusterNames = ["alpha", "beta", "gamma"]
    /// Series each exporter pod of the world serves.
    static let seriesPerPod = 25
    /// Discovery options with short backoffs, so a row recovers within a few seconds of its fault ending (the
    /// product's defaults are client-go's: 0.8 s doubling to 30 s).
    static let fastDiscovery = DiscoveryOptions(
        initialBackoff: .milliseconds(200),
        maximumBackoff: .milliseconds(1500),
        listTimeout: .seconds(10)
    )

    /// The gateway and its HTTP client.
    let harness: GatewayHarness
    /// The running clusters, in ``clusterNames`` order (or as passed to ``run(_:writeFiles:body:)``).
    let clusters: [SimulatedCluster]
    /// The least number of non-synthetic samples a target that is up must have in `/metrics` (property e).
    var minimumSeriesPerTarget = FaultMatrix.seriesPerPod

    /// The world of three clusters: in each, namespace `shop` with `web-0…2` and namespace `billing` with
    /// `api-0…1`, each pod an annotated exporter of ``seriesPerPod`` series (counters, gauges, histograms and
    /// summaries from KubeSim's catalog), spread over three nodes.
    static func makeClusters(_ names: [String] = clusterNames) throws -> [SimulatedCluster] {
        try names.map { name in
            let cluster = try SimulatedCluster(ClusterConfiguration(name: name, labels: ["world": "fault-matrix"]))
            try cluster.addExporterPods(namespace: "shop", count: 3, seriesPerPod: seriesPerPod, namePrefix: "web")
            try cluster.addExporterPods(namespace: "billing", count: 2, seriesPerPod: seriesPerPod, namePrefix: "api")
            return cluster
        }
    }

    /// Runs `clusters` (default: ``makeClusters(_:)``), writes their cluster files (1 s interval, 800 ms timeout)
    /// unless `writeFiles` is false, runs a gateway with ``fastDiscovery`` on them and calls `body`.
    static func run(
        _ clusters: [SimulatedCluster]? = nil,
        writeFiles: Bool = true,
        body: @Sendable (FaultMatrix) async throws -> Void
    ) async throws {
        try await GatewayHarness.run(
            clusters ?? makeClusters(),
            writeFiles: writeFiles,
            discoveryOptions: fastDiscovery,
            logLevel: .critical
        ) { harness, running in
            try await body(FaultMatrix(harness: harness, clusters: running))
        }
    }

    /// The running cluster named `name`.
    func cluster(_ name: String) -> SimulatedCluster {
        guard let cluster = clusters.first(where: { $0.name == name }) else {
            preconditionFailure("no cluster \(name)")
        }
        return cluster
    }

    /// The names of every cluster but `name`.
    func others(than name: String) -> [String] { clusters.map(\.name).filter { $0 != name } }

    /// `DIR/clusters.d/NAME.yaml`.
    func clusterFile(_ name: String) -> String { harness.directory + "/clusters.d/\(name).yaml" }

    // MARK: - Reading the gateway

    /// `GET /api/v1/clusters/{name}`, decoded; nil when the gateway does not know the name (404).
    func health(_ name: String) async throws -> ClusterHealth? {
        let (status, body, _) = try await harness.get("/api/v1/clusters/\(name)")
        guard status == 200 else { return nil }
        return try ClusterHealth.decode(body)
    }

    /// Polls ``health(_:)`` every 250 ms until `condition` holds or `seconds` pass; returns the last report.
    func waitForHealth(
        _ name: String,
        seconds: Double,
        until condition: (ClusterHealth?) -> Bool
    ) async throws -> (health: ClusterHealth?, met: Bool) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last: ClusterHealth?
        repeat {
            last = try await health(name)
            if condition(last) { return (last, true) }
            try await Task.sleep(for: .milliseconds(250))
        } while ContinuousClock.now < deadline
        return (last, false)
    }

    /// The targets the simulator says `name` has: Running, not terminating, with an IP and
    /// `prometheus.io/scrape: "true"`.
    func expectedTargets(_ name: String) -> Set<PodRef> {
        Set(
            cluster(name).pods.all().filter {
                $0.annotations["prometheus.io/scrape"] == "true" && $0.phase == .running && $0.podIP != nil
                    && $0.deletionTimestamp == nil
            }.map { PodRef(namespace: $0.namespace, pod: $0.name) }
        )
    }

    // MARK: - The five properties

    /// (b) and (d): each cluster in `names` is `ok`, discovery `watching`, every expected target scraped
    /// successfully with fresh samples and all its series, within `seconds`. With `scrapingOnly`, only the
    /// targets are checked (for a cluster that is rightly reported, such as running the last good version of a
    /// broken file, but must keep being scraped).
    @discardableResult
    func expectHealthy(
        _ names: [String],
        seconds: Double = 15,
        scrapingOnly: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [MetricFamily] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var problems: [String] = []
        var families: [MetricFamily] = []
        repeat {
            problems = []
            families = try await harness.metrics()
            for name in names {
                problems += healthProblems(name, in: families)
                if scrapingOnly { continue }
                if let health = try await health(name) {
                    if health.status != "ok" || health.discovery != "watching" {
                        problems.append("\(name): \(health.summary)")
                    }
                } else {
                    problems.append("\(name): unknown to the gateway")
                }
            }
            if problems.isEmpty { return families }
            try await Task.sleep(for: .milliseconds(250))
        } while ContinuousClock.now < deadline
        Issue.record(
            "not healthy after \(seconds) s: \(problems.prefix(8).joined(separator: "; "))",
            sourceLocation: sourceLocation
        )
        return families
    }

    /// Why cluster `name` is not healthy in `families` (empty when it is): every expected target has `up 1`
    /// scraped within the last three seconds and at least ``minimumSeriesPerTarget`` samples.
    func healthProblems(_ name: String, in families: [MetricFamily]) -> [String] {
        let expected = expectedTargets(name)
        var upSamples: [PodRef: Sample] = [:]
        for sample in families.first(where: { $0.name == "up" })?.samples ?? [] where sample.label("cluster") == name {
            upSamples[PodRef(namespace: sample.label("namespace") ?? "", pod: sample.label("pod_name") ?? "")] = sample
        }
        var counts: [PodRef: Int] = [:]
        for family in families where family.name != "up" && !family.name.hasPrefix("scrape_") {
            for sample in family.samples where sample.label("cluster") == name {
                counts[
                    PodRef(namespace: sample.label("namespace") ?? "", pod: sample.label("pod_name") ?? ""),
                    default: 0
                ] += 1
            }
        }
        let now = Date().timeIntervalSince1970 * 1000
        var problems: [String] = []
        for target in expected.sorted() {
            guard let up = upSamples[target] else {
                problems.append("\(name)/\(target): no up series")
                continue
            }
            if up.value != 1 { problems.append("\(name)/\(target): up \(up.value)") }
            if let stamp = up.timestampMilliseconds, now - stamp > 3000 {
                problems.append("\(name)/\(target): last scrape \(Int((now - stamp) / 1000)) s ago")
            }
            if up.value == 1, counts[target, default: 0] < minimumSeriesPerTarget {
                problems.append(
                    "\(name)/\(target): \(counts[target, default: 0]) series, expected ≥ \(minimumSeriesPerTarget)"
                )
            }
        }
        let extra = Set(upSamples.keys).subtracting(expected)
        if !extra.isEmpty { problems.append("\(name): targets of pods that are gone: \(extra.sorted().prefix(5))") }
        return problems
    }

    /// (c): polls cluster `name`'s report until `condition` holds (at most `seconds`); records an issue with
    /// `what` and the last report otherwise. Returns the last report.
    @discardableResult
    func expectFault(
        _ name: String,
        _ what: String,
        seconds: Double = 10,
        sourceLocation: SourceLocation = #_sourceLocation,
        until condition: (ClusterHealth?) -> Bool
    ) async throws -> ClusterHealth? {
        let (health, met) = try await waitForHealth(name, seconds: seconds, until: condition)
        if !met {
            Issue.record(
                "\(name) did not show \(what) within \(seconds) s; last report: \(health?.summary ?? "none")",
                sourceLocation: sourceLocation
            )
        }
        return health
    }

    /// (a) and (e): `/metrics` answers 200 with a strictly valid payload, and every sample carries a cluster,
    /// namespace and pod_name of a pod the simulator has; every target that is up has all its series. Returns
    /// the families. Samples of pods in `tolerating` (`cluster/namespace/pod`, such as pods deleted a moment ago)
    /// may appear although the simulator no longer has the pod.
    @discardableResult
    func expectServingAndLabels(
        tolerating: Set<String> = [],
        maxSeconds: Double = 5,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [MetricFamily] {
        let started = ContinuousClock.now
        let (status, text, _) = try await harness.get("/metrics")
        let elapsed = ContinuousClock.now - started
        if status != 200 { Issue.record("/metrics answered \(status)", sourceLocation: sourceLocation) }
        // Generous: CI machines are shared; a gateway blocked by a fault takes far longer (the 30 s client timeout).
        if elapsed > .milliseconds(Int64(maxSeconds * 1000)) {
            Issue.record("/metrics took \(elapsed)", sourceLocation: sourceLocation)
        }
        let families: [MetricFamily]
        do {
            families = try MetricFamily.parse(text, format: .text, mode: .strict)
        } catch {
            Issue.record("/metrics is not valid: \(error)", sourceLocation: sourceLocation)
            return []
        }
        for problem in labelProblems(families, tolerating: tolerating).prefix(10) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
        return families
    }

    /// Why `families` has lost or mislabelled series (empty when it has none).
    func labelProblems(_ families: [MetricFamily], tolerating: Set<String> = []) -> [String] {
        var known: [String: Set<PodRef>] = [:]
        for cluster in clusters {
            known[cluster.name] = Set(cluster.pods.all().map { PodRef(namespace: $0.namespace, pod: $0.name) })
        }
        var problems: [String] = []
        var counts: [String: Int] = [:]
        var up: [String: Double] = [:]
        for family in families {
            for sample in family.samples {
                guard let cluster = sample.label("cluster"), let namespace = sample.label("namespace"),
                    let pod = sample.label("pod_name")
                else {
                    problems.append("sample without cluster/namespace/pod_name: \(sample.name)\(sample.labels)")
                    continue
                }
                guard let pods = known[cluster] else {
                    problems.append("sample of unknown cluster \(cluster): \(sample.name)")
                    continue
                }
                let ref = PodRef(namespace: namespace, pod: pod)
                if !pods.contains(ref) && !tolerating.contains("\(cluster)/\(ref)") {
                    problems.append("sample of \(cluster)/\(ref), a pod that cluster does not have")
                }
                let key = "\(cluster)/\(ref)"
                if family.name == "up" {
                    up[key] = sample.value
                } else if !family.name.hasPrefix("scrape_") {
                    counts[key, default: 0] += 1
                }
            }
        }
        for (key, value) in up where value == 1 && counts[key, default: 0] < minimumSeriesPerTarget {
            problems.append("\(key) is up with \(counts[key, default: 0]) series, expected ≥ \(minimumSeriesPerTarget)")
        }
        return problems
    }

    // MARK: - A whole row

    /// One fault row on cluster `faulted`: waits until every cluster is healthy, calls `inject`, checks (c) with
    /// `until` (described by `what`), (a), (e) and (b) for the other clusters, calls `heal`, then checks (d) for
    /// every cluster within `recoverySeconds`, and (a) and (e) again. With `discoverAfterHeal`, a pod added to the
    /// faulted cluster right after `heal` must be scraped too (discovery recovered, not only scraping).
    func row(
        _ faulted: String,
        inject: () async throws -> Void,
        during what: String,
        until condition: (ClusterHealth?) -> Bool,
        faultSeconds: Double = 10,
        heal: () async throws -> Void,
        recoverySeconds: Double = 15,
        discoverAfterHeal: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await expectHealthy(clusters.map(\.name), sourceLocation: sourceLocation)
        try await inject()
        try await expectFault(faulted, what, seconds: faultSeconds, sourceLocation: sourceLocation, until: condition)
        try await expectServingAndLabels(sourceLocation: sourceLocation)
        try await expectHealthy(others(than: faulted), seconds: 5, sourceLocation: sourceLocation)
        try await heal()
        if discoverAfterHeal { try Self.addPod(to: cluster(faulted), namespace: "shop", name: "after-heal-0") }
        try await expectHealthy(clusters.map(\.name), seconds: recoverySeconds, sourceLocation: sourceLocation)
        try await expectServingAndLabels(sourceLocation: sourceLocation)
    }
}

/// A pod, by namespace and name.
struct PodRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    var namespace: String
    var pod: String

    static func < (lhs: PodRef, rhs: PodRef) -> Bool { (lhs.namespace, lhs.pod) < (rhs.namespace, rhs.pod) }
    var description: String { "\(namespace)/\(pod)" }
}

/// `GET /api/v1/clusters/{name}` as the fault matrix and the peer tests read it (docs/api.md).
struct ClusterHealth: Decodable, Sendable {
    struct APIServer: Decodable, Sendable {
        var reachable: Bool
        var httpStatus: Int?
        var error: String?
    }

    struct Target: Decodable, Sendable {
        var namespace: String
        var pod: String
        var port: String
        var labels: [String: String]
        var up: Bool?
        var lastScrape: String?
        var durationSeconds: Double?
        var error: String?
    }

    struct Refused: Decodable, Sendable {
        var namespace: String
        var pod: String
        var reason: String
    }

    var name: String
    var status: String
    var configProblems: [String]?
    var runningLastGoodVersion: Bool?
    var discovery: String?
    var discoveryError: String?
    var credentialKind: String?
    var auth: String?
    var apiServer: APIServer?
    var targetsUp: Int
    var targetsTotal: Int
    var series: Int
    var lastError: String?
    var targets: [Target]?
    var refusedPods: [Refused]?

    /// Decodes a report (the body of `GET /api/v1/clusters/{name}`).
    static func decode(_ text: String) throws -> ClusterHealth {
        try JSONDecoder().decode(ClusterHealth.self, from: Data(text.utf8))
    }

    /// Every error text of the report, lowercased: `lastError`, `discoveryError`, the API server check's, the
    /// targets' and the config problems.
    var allErrors: String {
        ([lastError, discoveryError, apiServer?.error] + (targets ?? []).map(\.error)
            + (configProblems ?? []).map { Optional($0) })
            .compactMap { $0 }.joined(separator: " | ").lowercased()
    }

    /// Whether some error text contains `text` (case-insensitive).
    func mentions(_ text: String) -> Bool { allErrors.contains(text.lowercased()) }

    /// Whether `status` is one of `statuses`.
    func isIn(_ statuses: String...) -> Bool { statuses.contains(status) }

    /// One line for failure messages.
    var summary: String {
        "status \(status), discovery \(discovery ?? "-"), auth \(auth ?? "-"), targets \(targetsUp)/\(targetsTotal), "
            + "series \(series), errors: \(allErrors.prefix(400))"
    }
}

// MARK: - Fault helpers

extension FaultMatrix {
    /// `DIR/ca/NAME.crt`, the CA file the cluster file of `name` names.
    func caFile(_ name: String) -> String { harness.directory + "/ca/\(name).crt" }

    /// `DIR/tokens/NAME`, the token file the cluster file of `name` names.
    func tokenFile(_ name: String) -> String { harness.directory + "/tokens/\(name)" }

    /// Replaces a file's content atomically (new inode, as a secret volume or `mv` does).
    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A new API server for cluster `name`, not yet listening: the same pods, gateway token, permissions and port,
    /// but a new CA and a serving certificate of `certificate`. Run it with ``withReplacement(_:of:body:)``.
    func makeReplacement(of name: String, certificate: ServingCertificateKind = .valid) throws -> SimulatedCluster {
        let original = cluster(name)
        guard let port = original.port else { throw HarnessError("\(name) has no port") }
        let replacement = try SimulatedCluster(
            ClusterConfiguration(
                name: name,
                port: port,
                servingCertificate: certificate,
                labels: original.configuration.labels
            )
        )
        try replacement.pods.add(contentsOf: original.pods.all())
        let token = try String(contentsOfFile: tokenFile(name), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        replacement.tokens.add(token, for: GatewayHarness.gatewayIdentity)
        replacement.policy.allowScraping(.user(GatewayHarness.gatewayIdentity.user))
        return replacement
    }

    /// Restarts `name`'s API server as `replacement` (same port) for the duration of `body`: the original stops
    /// listening, the replacement serves; afterwards the replacement stops and the original listens again.
    func withReplacement(
        _ replacement: SimulatedCluster,
        of name: String,
        body: (SimulatedCluster) async throws -> Void
    ) async throws {
        let original = cluster(name)
        original.stopListening()
        do {
            // The original's socket closes asynchronously: until it has, binding the port fails; try again.
            var attempt = 0
            var entered = false
            while true {
                attempt += 1
                do {
                    try await replacement.withRunning { replacement in
                        entered = true
                        try await body(replacement)
                    }
                    break
                } catch let error as KubeSimError where !entered && attempt < 20 {
                    _ = error
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        } catch {
            _ = try? await original.resumeListening()
            throw error
        }
        try await original.resumeListening()
    }

    /// Points `name`'s cluster file at a new CA file holding the PEMs of `authorities` (a bundle); the cluster
    /// restarts with it at once (the file changed). Returns the bundle's path.
    @discardableResult
    func trust(_ authorities: [String], for name: String) throws -> String {
        let bundle = harness.directory + "/ca/\(name)-bundle-\(UUID().uuidString.prefix(6)).crt"
        try write(authorities.joined(), to: bundle)
        try rewriteClusterFile(name) { line in
            line.hasPrefix("  ca_file:") ? "  ca_file: \"\(bundle)\"" : line
        }
        return bundle
    }

    /// Rewrites `name`'s cluster file line by line.
    func rewriteClusterFile(_ name: String, _ change: (String) -> String) throws {
        let text = try String(contentsOfFile: clusterFile(name), encoding: .utf8)
        try write(text.components(separatedBy: "\n").map(change).joined(separator: "\n"), to: clusterFile(name))
    }

    /// Adds one annotated exporter pod `namespace/name` of ``seriesPerPod`` series to `cluster`.
    @discardableResult
    static func addPod(
        to cluster: SimulatedCluster,
        namespace: String,
        name: String,
        series: Int = seriesPerPod
    ) throws
        -> SimulatedPod
    {
        let exporter = SimulatedExporter(
            series: series,
            seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF)
        )
        return try cluster.pods.add(
            SimulatedPod(
                namespace: namespace,
                name: name,
                labels: ["app": "late"],
                annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"],
                owner: .init(kind: "ReplicaSet", name: "late-7c9b6d5f4"),
                nodeName: "node-1",
                containers: [
                    .init(
                        name: "late",
                        image: "registry.example/late:1.0",
                        ports: [.init(name: "metrics", containerPort: 9102)]
                    )
                ],
                podIP: cluster.pods.allocatePodIP(),
                backends: [9102: .exporter(exporter)]
            )
        )
    }
}
