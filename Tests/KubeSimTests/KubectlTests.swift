import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

/// The real kubectl (Google Cloud SDK's dispatcher, which picks kubectl 1.27–1.33 from `/version`) against the
/// demo topology's files.
@Suite("kubectl", .timeLimit(.minutes(3)))
struct KubectlTests {
    /// Runs `body` with the demo clusters running and their files written.
    func withDemo(_ body: (DemoTopology, DemoFiles, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("kubesim-kubectl")
        defer { directory.remove() }
        let demo = try DemoTopology(seriesPerPod: 50)
        try await SimulatedCluster.withRunning(demo.clusters) { _ in
            let files = try demo.writeFiles(to: directory.path)
            try await body(demo, files, directory)
        }
    }

    func kubectl(
        _ files: DemoFiles,
        _ home: TemporaryDirectory,
        _ arguments: [String]
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let binary = try PeerBinary.require(
            "kubectl",
            debianPackage: "kubectl"
        )
        return try await PeerProcess.run(
            binary,
            ["--kubeconfig", files.kubeconfig, "--request-timeout=20s"] + arguments,
            home: home.path,
            timeout: .seconds(60)
        )
    }

    @Test func getPodsAllNamespaces() async throws {
        try await withDemo { demo, files, home in
            let result = try await kubectl(files, home, ["--context", "azure-eastus", "get", "pods", "-A"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.first?.contains("NAMESPACE") == true)
            #expect(lines.first?.contains("STATUS") == true)
            let cluster = demo.clusters[1]
            #expect(lines.count == cluster.pods.count + 1, "\(result.stdout)")
            #expect(result.stdout.contains("CrashLoopBackOff"))
            #expect(result.stdout.contains("ContainerCreating"))  // the Pending pod, as kubectl words it
            for pod in cluster.pods.all() { #expect(result.stdout.contains(pod.name)) }
        }
    }

    @Test func getPodsByLabel() async throws {
        try await withDemo { demo, files, home in
            let result = try await kubectl(
                files,
                home,
                ["--context", "onprem-lab", "get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"]
            )
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let expected = demo.clusters[2].pods.all().filter { $0.namespace == "shop" && $0.labels["app"] == "web" }
                .map { "pod/" + $0.name }
            let got = result.stdout.split(separator: "\n").map(String.init)
            #expect(got.sorted() == expected.sorted())
            #expect(!expected.isEmpty)
            let log = demo.clusters[2].requestLog.entries(where: { $0.path == "/api/v1/namespaces/shop/pods" })
            #expect(log.last?.queryValue("labelSelector") == "app=web")
        }
    }

    @Test func watchSeesAddedPod() async throws {
        try await withDemo { demo, files, home in
            let binary = try PeerBinary.require("kubectl", debianPackage: "kubectl")
            let watcher = try PeerProcess(
                binary,
                [
                    "--kubeconfig", files.kubeconfig, "--context", "aws-eu-west-1", "get", "pods", "-n", "shop",
                    "--watch",
                ],
                home: home.path
            )
            defer { watcher.stop() }
            let listed = await watcher.wait(timeout: .seconds(30)) { $0.stdout.contains("web-") }
            #expect(listed, "kubectl printed: \(watcher.stdout) \(watcher.stderr)")
            // Wait until the watch is open, then add a pod.
            let cluster = demo.clusters[0]
            let opened = await watcher.wait(timeout: .seconds(20)) { _ in
                cluster.requestLog.count { $0.kind == .watch && $0.status == 200 } > 0
            }
            #expect(opened)
            try cluster.pods.add(
                SimulatedPod(namespace: "shop", name: "late-arrival", podIP: cluster.pods.allocatePodIP())
            )
            let seen = await watcher.wait(timeout: .seconds(20)) { $0.stdout.contains("late-arrival") }
            #expect(seen, "kubectl printed: \(watcher.stdout) \(watcher.stderr)")
        }
    }

    @Test func deniedNamespaceIsForbidden() async throws {
        try await withDemo { _, files, home in
            let result = try await kubectl(
                files,
                home,
                ["--context", "aws-eu-west-1", "get", "pods", "-n", DemoTopology.deniedNamespace]
            )
            #expect(result.status != 0)
            #expect(
                result.stderr.contains(
                    "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:monitoring:crowsnest\" cannot list resource \"pods\" in API group \"\" in the namespace \"restricted\""
                ),
                "stderr: \(result.stderr)"
            )
            // The admin context may.
            let admin = try await kubectl(
                files,
                home,
                ["--context", "aws-eu-west-1-admin", "get", "pods", "-n", DemoTopology.deniedNamespace]
            )
            #expect(admin.status == 0, "stderr: \(admin.stderr)")
        }
    }

    @Test func rawProxyReachesRealNodeExporter() async throws {
        let exporterBinary = try PeerBinary.require(
            "prometheus-node-exporter",
            debianPackage: "prometheus-node-exporter",
            candidates: ["/usr/bin/prometheus-node-exporter"]
        )
        let port = try freeLoopbackPort()
        let nodeExporter = try PeerProcess(
            exporterBinary,
            [
                "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.cpu",
                "--collector.meminfo", "--collector.loadavg",
            ]
        )
        defer { nodeExporter.stop() }
        try await withDemo { demo, files, home in
            let cluster = demo.clusters[1]
            try cluster.pods.add(
                SimulatedPod(
                    namespace: "monitoring",
                    name: "node-exporter-real",
                    containers: [.init(name: "node-exporter", ports: [.init(name: "metrics", containerPort: 9100)])],
                    podIP: cluster.pods.allocatePodIP(),
                    backends: [9100: .address(host: "127.0.0.1", port: port)]
                )
            )
            var result: (status: Int32?, stdout: String, stderr: String) = (nil, "", "")
            for _ in 0..<20 {
                result = try await kubectl(
                    files,
                    home,
                    [
                        "--context", "azure-eastus-admin", "get", "--raw",
                        "/api/v1/namespaces/monitoring/pods/node-exporter-real:9100/proxy/metrics",
                    ]
                )
                if result.status == 0 { break }
                try await Task.sleep(for: .milliseconds(250))  // node_exporter may still be starting
            }
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("# TYPE node_load1 gauge"))
            #expect(result.stdout.contains("node_exporter_build_info"))
        }
    }
}
