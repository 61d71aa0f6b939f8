import Foundation
import KubeSim
import PeerSupport
import Testing

/// The real kubectl against nodes, Services, EndpointSlices and the node proxy of one simulated cluster.
@Suite("kubectl: nodes, services, endpointslices", .timeLimit(.minutes(3)))
struct NodeKubectlTests {
    /// Three nodes (node-1 a control plane, node-2 NotReady, node-3 labelled `pool=gpu`), six exporter pods
    /// behind an annotated Service, running, with a kubeconfig whose context is an admin.
    func withCluster(_ body: (SimulatedCluster, String, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("kubesim-kubectl-nodes")
        defer { directory.remove() }
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "nodes"))
        try cluster.addNodes(count: 3, labels: ["topology.kubernetes.io/zone": "zone-a"])
        try cluster.nodes.update("node-1") { $0.labels["node-role.kubernetes.io/control-plane"] = "" }
        try cluster.nodes.update("node-2") { $0.readiness = .notReady }
        try cluster.nodes.update("node-3") { $0.labels["pool"] = "gpu" }
        try cluster.addExporterPods(namespace: "shop", count: 6, seriesPerPod: 5, namePrefix: "web")
        try cluster.addService(namespace: "shop", name: "web", scrapePort: 9102)
        let token = cluster.issueToken(for: .admin())
        try await cluster.withRunning { cluster in
            let files = try ClusterFiles.write(cluster: cluster, token: token, labels: [:], into: directory.path)
            let kubeconfig = directory.file("kubeconfig")
            try ClusterFiles.kubeconfigYAML(
                [
                    KubeconfigContext(
                        name: "nodes",
                        server: cluster.apiServerURL!,
                        caFile: files.caFile,
                        credential: .token(token)
                    )
                ],
                currentContext: "nodes"
            )
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            try await body(cluster, kubeconfig, directory)
        }
    }

    func kubectl(
        _ kubeconfig: String,
        _ home: TemporaryDirectory,
        _ arguments: [String]
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let binary = try PeerBinary.require("kubectl", debianPackage: "kubectl")
        return try await PeerProcess.run(
            binary,
            ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + arguments,
            home: home.path,
            timeout: .seconds(60)
        )
    }

    /// Splits kubectl's table output into rows of whitespace-separated cells.
    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    @Test func getNodes() async throws {
        try await withCluster { cluster, kubeconfig, home in
            let table = try await kubectl(kubeconfig, home, ["get", "nodes"])
            #expect(table.status == 0, "stderr: \(table.stderr)")
            let rows = Self.rows(table.stdout)
            #expect(rows.first == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], "\(table.stdout)")
            #expect(rows.count == 4)
            #expect(
                rows.dropFirst().first.map { [$0[0], $0[1], $0[2], $0[4]] } == [
                    "node-1", "Ready", "control-plane", "v1.31.4",
                ]
            )
            #expect(rows.dropFirst(2).first.map { [$0[0], $0[1], $0[2]] } == ["node-2", "NotReady", "<none>"])

            let json = try await kubectl(kubeconfig, home, ["get", "nodes", "-o", "json"])
            #expect(json.status == 0, "stderr: \(json.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            )
            let items = try #require(object["items"] as? [[String: Any]])
            #expect(items.count == 3)
            #expect(items.first?[path: "status", "daemonEndpoints", "kubeletEndpoint", "Port"] as? Int == 10250)
            #expect(items.first?["kind"] as? String == "Node")  // kubectl fills in what list items leave out

            let labelled = try await kubectl(kubeconfig, home, ["get", "nodes", "-l", "pool=gpu", "-o", "name"])
            #expect(labelled.stdout == "node/node-3\n", "stderr: \(labelled.stderr)")
            let wide = try await kubectl(kubeconfig, home, ["get", "nodes", "-o", "wide"])
            #expect(Self.rows(wide.stdout).first?.contains("INTERNAL-IP") == true)
            #expect(wide.stdout.contains("10.0.0.10"))
            #expect(wide.stdout.contains("containerd://1.7.24"))
            let log = cluster.requestLog.entries(where: { $0.path == "/api/v1/nodes" })
            #expect(log.contains { $0.queryValue("labelSelector") == "pool=gpu" })
        }
    }

    @Test func getServicesAndEndpointSlices() async throws {
        try await withCluster { cluster, kubeconfig, home in
            let services = try await kubectl(kubeconfig, home, ["get", "services", "-A"])
            #expect(services.status == 0, "stderr: \(services.stderr)")
            let serviceRows = Self.rows(services.stdout)
            #expect(
                serviceRows.first == ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                "\(services.stdout)"
            )
            let service = try #require(cluster.services.get("web", namespace: "shop"))
            #expect(
                serviceRows.dropFirst().first.map { Array($0.prefix(6)) } == [
                    "shop", "web", "ClusterIP", service.clusterIP, "<none>", "9102/TCP",
                ]
            )

            let slices = try await kubectl(kubeconfig, home, ["get", "endpointslices", "-A"])
            #expect(slices.status == 0, "stderr: \(slices.stderr)")
            let sliceRows = Self.rows(slices.stdout)
            #expect(
                sliceRows.first == ["NAMESPACE", "NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
                "\(slices.stdout)"
            )
            let slice = try #require(cluster.endpointSlices.all().first)
            let row = try #require(sliceRows.dropFirst().first)
            #expect(Array(row.prefix(4)) == ["shop", slice.name, "IPv4", "9102"])
            let firstAddresses = slice.endpoints.prefix(3).flatMap(\.addresses).joined(separator: ",")
            #expect(row[4] == firstAddresses)
            #expect(slices.stdout.contains("+ 3 more..."))

            let byService = try await kubectl(
                kubeconfig,
                home,
                ["get", "endpointslices", "-n", "shop", "-l", "kubernetes.io/service-name=web", "-o", "json"]
            )
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(byService.stdout.utf8)) as? [String: Any]
            )
            let endpoints = (object["items"] as? [[String: Any]])?.first?["endpoints"] as? [[String: Any]] ?? []
            #expect(endpoints.count == 6)
            #expect(endpoints.allSatisfy { $0[path: "targetRef", "kind"] as? String == "Pod" })
        }
    }

    @Test func rawCadvisorThroughTheNodeProxy() async throws {
        try await withCluster { cluster, kubeconfig, home in
            let result = try await kubectl(
                kubeconfig,
                home,
                ["get", "--raw", "/api/v1/nodes/node-2/proxy/metrics/cadvisor"]
            )
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("# TYPE container_cpu_usage_seconds_total counter"))
            var pods = Set<String>()
            for line in result.stdout.split(separator: "\n") where line.hasPrefix("container_cpu_usage_seconds_total{")
            {
                if let range = line.range(of: ",pod=\"") {
                    let rest = line[range.upperBound...]
                    if let end = rest.firstIndex(of: "\"") { pods.insert(String(rest[..<end])) }
                }
            }
            let expected = Set(cluster.pods(onNode: "node-2").map(\.name))
            #expect(!expected.isEmpty)
            #expect(pods == expected.union([""]))

            cluster.nodes.get("node-3")!.kubelet.behavior = .connectionRefused
            let refused = try await kubectl(kubeconfig, home, ["get", "--raw", "/api/v1/nodes/node-3/proxy/metrics"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("error trying to reach service"), "stderr: \(refused.stderr)")
        }
    }

    @Test func watchNodes() async throws {
        try await withCluster { cluster, kubeconfig, home in
            let binary = try PeerBinary.require("kubectl", debianPackage: "kubectl")
            let watcher = try PeerProcess(
                binary,
                ["--kubeconfig", kubeconfig, "get", "nodes", "--watch"],
                home: home.path
            )
            defer { watcher.stop() }
            let listed = await watcher.wait(timeout: .seconds(30)) { $0.stdout.contains("node-3") }
            #expect(listed, "kubectl printed: \(watcher.stdout) \(watcher.stderr)")
            let opened = await watcher.wait(timeout: .seconds(20)) { _ in
                cluster.requestLog.count { $0.kind == .watch && $0.status == 200 } > 0
            }
            #expect(opened)
            try cluster.nodes.add(SimulatedNode(name: "late-node"))
            let seen = await watcher.wait(timeout: .seconds(20)) { $0.stdout.contains("late-node") }
            #expect(seen, "kubectl printed: \(watcher.stdout) \(watcher.stderr)")
        }
    }
}
