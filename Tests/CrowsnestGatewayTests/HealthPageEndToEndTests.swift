import CrowsnestGateway
import Foundation
import KubeSim
import NIOHTTP1
import Testing

/// The health pages served by a real gateway over KubeSim clusters in every state.
@Suite("Health page end to end on KubeSim", .serialized)
struct HealthPageEndToEndTests {
    static let hostilePath = "/metrics?<script>alert(1)</script>"

    /// A pod whose `prometheus.io/path` annotation carries markup and a `?`: refused, with the reason shown.
    static func addHostilePod(to cluster: SimulatedCluster, namespace: String) throws {
        try cluster.pods.add(
            SimulatedPod(
                namespace: namespace,
                name: "hostile-0",
                labels: ["app": "hostile"],
                annotations: [
                    "prometheus.io/scrape": "true", "prometheus.io/port": "9102", "prometheus.io/path": hostilePath,
                ],
                owner: .init(kind: "StatefulSet", name: "hostile"),
                nodeName: "node-1",
                containers: [
                    .init(
                        name: "hostile",
                        image: "registry.example/hostile:1.0",
                        ports: [.init(name: "metrics", containerPort: 9102)]
                    )
                ],
                podIP: cluster.pods.allocatePodIP(),
                backends: [9102: .exporter(SimulatedExporter(series: 3, seed: 9))]
            )
        )
    }

    /// Rewrites `name:` and `api_server:` of a cluster file into a new file.
    static func derivedFile(from path: String, name: String, apiServer: String?, into directory: String) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        for index in lines.indices {
            if lines[index].hasPrefix("name:") { lines[index] = "name: \"\(name)\"" }
            if let apiServer, lines[index].hasPrefix("api_server:") { lines[index] = "api_server: \"\(apiServer)\"" }
        }
        try lines.joined(separator: "\n").write(
            toFile: directory + "/clusters.d/\(name).yaml",
            atomically: true,
            encoding: .utf8
        )
    }

    /// Polls `GET path` until `condition` holds (at most `seconds`); returns the last body.
    static func poll(
        _ harness: GatewayHarness,
        _ path: String,
        seconds: Double = 20,
        until condition: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var body = ""
        while ContinuousClock.now < deadline {
            body = try await harness.get(path).1
            if condition(body) { return body }
            try await Task.sleep(for: .milliseconds(250))
        }
        return body
    }

    static func row(_ html: String, _ name: String) -> String { HealthPageRendererTests.row(html, name) }

    @Test("healthy, API server down, token rejected, RBAC denied on one namespace and a broken file, each as it is")
    func everyState() async throws {
        let healthy = try SimulatedCluster(ClusterConfiguration(name: "healthy"))
        try healthy.addExporterPods(namespace: "shop", count: 2, seriesPerPod: 10, namePrefix: "web")
        try Self.addHostilePod(to: healthy, namespace: "shop")
        let rbac = try SimulatedCluster(ClusterConfiguration(name: "rbac"))
        try rbac.addExporterPods(namespace: "app", count: 2, seriesPerPod: 10, namePrefix: "api")
        try rbac.addExporterPods(namespace: "restricted", count: 1, seriesPerPod: 10, namePrefix: "secret")
        let rejected = try SimulatedCluster(ClusterConfiguration(name: "rejected"))
        try rejected.addExporterPods(namespace: "app", count: 1, seriesPerPod: 10, namePrefix: "api")

        try await GatewayHarness.run([healthy, rbac, rejected], writeFiles: false) { harness, running in
            let directory = harness.directory
            try GatewayHarness.writeClusterFile(running[0], into: directory)
            // RBAC: the gateway may not touch `restricted`, and the file asks for it.
            try GatewayHarness.writeClusterFile(running[1], into: directory)
            running[1].policy.deny(.user(GatewayHarness.gatewayIdentity.user), namespaces: ["restricted"])
            let rbacFile = directory + "/clusters.d/rbac.yaml"
            let rbacText = try String(contentsOfFile: rbacFile, encoding: .utf8)
            try (rbacText + "discovery:\n  namespaces: [app, restricted]\n").write(
                toFile: rbacFile,
                atomically: true,
                encoding: .utf8
            )
            // A token the API server does not know.
            let files = try ClusterFiles.write(
                cluster: running[2],
                token: "not-a-token-of-this-cluster",
                labels: [:],
                into: directory
            )
            _ = files
            // An API server nobody listens on.
            try Self.derivedFile(
                from: directory + "/clusters.d/healthy.yaml",
                name: "unreachable",
                apiServer: "https://127.0.0.1:1",
                into: directory
            )
            // A broken file.
            try "name: broken\napi_server: [not, a, url]\n".write(
                toFile: directory + "/clusters.d/broken.yaml",
                atomically: true,
                encoding: .utf8
            )

            let overview = try await Self.poll(harness, "/") { html in
                Self.row(html, "healthy").contains("2 / 2")
                    && Self.row(html, "rejected").contains("data-status=\"down\"")
                    && Self.row(html, "unreachable").contains("data-status=\"down\"")
                    && Self.row(html, "rbac").contains("reachable")
                    && Self.row(html, "rbac").contains("2 / 2")
            }
            let healthyRow = Self.row(overview, "healthy")
            #expect(healthyRow.contains("data-status=\"ok\""))
            #expect(healthyRow.contains("reachable</span>, "))
            #expect(healthyRow.contains("watching"))
            #expect(healthyRow.contains("2 / 2"))
            #expect(healthyRow.contains("expires in"))

            let unreachable = Self.row(overview, "unreachable")
            #expect(unreachable.contains("data-status=\"down\""))
            #expect(unreachable.contains("unreachable</span>"))

            let rejectedRow = Self.row(overview, "rejected")
            #expect(rejectedRow.contains("data-status=\"down\""))
            #expect(rejectedRow.contains("<span class=\"bad\">rejected</span>"))
            #expect(rejectedRow.contains("HTTP 401"))

            let rbacRow = Self.row(overview, "rbac")
            #expect(rbacRow.contains("data-status=\"degraded\""))
            #expect(rbacRow.contains("restricted"))

            let broken = Self.row(overview, "broken")
            #expect(broken.contains("data-status=\"config error\""))
            #expect(broken.contains("broken.yaml:2:"))
            #expect(broken.contains("api_server"))

            #expect(overview.contains("4 of 5 clusters need attention."))
            #expect(!overview.contains("<script"))

            // One cluster's page: targets, the refused hostile pod as text, raw scrape link.
            let page = try await Self.poll(harness, "/clusters/healthy") {
                $0.contains("badge s-ok\">up") && $0.contains("hostile-0")
            }
            #expect(page.contains("<h1>Cluster healthy</h1>"))
            #expect(page.contains("shop/web-0:"))
            #expect(page.contains("<h2>Refused pods (1)</h2>"))
            #expect(
                page.contains(
                    "hostile-0</td><td data-label=\"Reason\" class=\"err\">port 9102: metrics path contains ? or #</td>"
                )
            )
            #expect(!page.contains("<script"))
            let link = try #require(page.firstMatch(of: /href="(\/clusters\/healthy\/targets\/shop\/web-0\/[^"]+)"/)?.1)
            let (status, raw, headers) = try await harness.get(String(link))
            #expect(status == 200)
            #expect(headers["Content-Type"].first == "text/plain; charset=utf-8")
            #expect(raw.contains("pod_name=\"web-0\""))
            #expect(try await harness.get("/clusters/healthy/targets/shop/nope/9102").0 == 404)
            let (missing, missingPage, _) = try await harness.get("/clusters/%3Cb%3Enope")
            #expect(missing == 404)
            #expect(missingPage.contains("No cluster named &lt;b&gt;nope"))

            // The JSON API: the same facts.
            let (_, json, _) = try await harness.get("/api/v1/clusters")
            #expect(json.contains("\"apiServer\""))
            #expect(json.contains("\"auth\" : \"rejected\""))
            let (_, detail, _) = try await harness.get("/api/v1/clusters/healthy")
            #expect(detail.contains("\"refusedPods\""))
            let (refreshStatus, refreshing, pageHeaders) = try await harness.get("/?refresh=5")
            #expect(refreshStatus == 200)
            #expect(refreshing.contains("<meta http-equiv=\"refresh\" content=\"5\">"))
            #expect(pageHeaders["Content-Security-Policy"].first?.contains("default-src 'none'") == true)
        }
    }
}
