import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

@Suite("Demo topology", .timeLimit(.minutes(2)))
struct DemoTopologyTests {
    @Test func shapeOfTheDemo() throws {
        let demo = try DemoTopology(seriesPerPod: 20)
        #expect(demo.clusters.map(\.name) == ["aws-eu-west-1", "azure-eastus", "onprem-lab"])
        for cluster in demo.clusters {
            #expect((10...30).contains(cluster.pods.count), "\(cluster.name): \(cluster.pods.count)")
            let pods = cluster.pods.all()
            #expect(pods.filter { $0.containers.first?.restartCount ?? 0 > 0 && !$0.ready }.count == 1)
            #expect(pods.contains { $0.namespace == DemoTopology.deniedNamespace })
            #expect(pods.contains { $0.annotations["prometheus.io/scrape"] == "true" })
            #expect(
                pods.contains {
                    $0.annotations.isEmpty && $0.containers.contains { $0.ports.contains { $0.name == "metrics" } }
                }
            )
            #expect(pods.contains { $0.phase == .pending && $0.podIP == nil })
            let gateway = DemoTopology.gatewayIdentity
            let nodeNames = Set(cluster.nodes.all().map(\.name))
            #expect(nodeNames == ["node-1", "node-2", "node-3"])
            #expect(pods.allSatisfy { $0.nodeName.map(nodeNames.contains) ?? true })
            #expect(cluster.services.all().map(\.name) == ["ledger", "web"])
            for service in cluster.services.all() {
                #expect(service.annotations["prometheus.io/scrape"] == "true")
                let slices = cluster.endpointSlices.all().filter { $0.serviceName == service.name }
                #expect(slices.flatMap(\.endpoints).count >= 2, "\(service.name)")
            }
            let webPods = pods.filter { $0.namespace == "shop" && $0.labels["app"] == "web" }
            #expect(webPods.allSatisfy { $0.annotations["prometheus.io/scrape"] == "true" })
            let ledgerPods = pods.filter { $0.namespace == "payments" && $0.labels["app"] == "ledger" }
            #expect(ledgerPods.allSatisfy { $0.annotations["prometheus.io/scrape"] == nil })
            #expect(cluster.policy.isAllowed(gateway, verb: "watch", resource: "nodes"))
            #expect(cluster.policy.isAllowed(gateway, verb: "get", resource: "nodes/proxy"))
            #expect(cluster.policy.isAllowed(gateway, verb: "list", resource: "endpointslices"))
            #expect(cluster.policy.isAllowed(gateway, verb: "list", resource: "pods"))
            #expect(cluster.policy.isAllowed(gateway, verb: "get", resource: "pods/proxy", namespace: "shop"))
            #expect(
                !cluster.policy.isAllowed(
                    gateway,
                    verb: "get",
                    resource: "pods/proxy",
                    namespace: DemoTopology.deniedNamespace
                )
            )
        }
        #expect(demo.clusters[0].configuration.eks != nil)
    }

    @Test func writesClusterFilesAndKubeconfig() async throws {
        let directory = try TemporaryDirectory("kubesim-demo")
        defer { directory.remove() }
        let demo = try DemoTopology(seriesPerPod: 20)
        try await SimulatedCluster.withRunning(demo.clusters) { clusters in
            let files = try demo.writeFiles(to: directory.path)
            #expect(files.clusters.count == 3)
            for (set, member) in zip(files.clusters, demo.members) {
                let yaml = try String(contentsOfFile: set.clusterFile, encoding: .utf8)
                #expect(yaml.contains("name: \"\(member.cluster.name)\""))
                #expect(yaml.contains("api_server: \"\(member.cluster.apiServerURL!)\""))
                #expect(yaml.contains("ca_file: \"\(set.caFile)\""))
                #expect(yaml.contains("bearer_token_file: \"\(set.tokenFile)\""))
                #expect(yaml.contains("provider: "))
                #expect(set.clusterFile.hasSuffix("clusters.d/\(member.cluster.name).yaml"))
                let ca = try String(contentsOfFile: set.caFile, encoding: .utf8)
                #expect(ca.hasPrefix("-----BEGIN CERTIFICATE-----"))
                let token = try String(contentsOfFile: set.tokenFile, encoding: .utf8)
                #expect(token.trimmingCharacters(in: .whitespacesAndNewlines) == member.gatewayToken)
            }
            let kubeconfig = try String(contentsOfFile: files.kubeconfig, encoding: .utf8)
            for cluster in clusters {
                #expect(kubeconfig.contains("- name: \"\(cluster.name)\"\n  context:"))
                #expect(kubeconfig.contains("- name: \"\(cluster.name)-admin\"\n  context:"))
            }
            #expect(kubeconfig.contains("command: \"aws\""))
            #expect(kubeconfig.contains("current-context: \"aws-eu-west-1\""))
        }
    }

    @Test func churnRestartsTheCrashLoopingPod() async throws {
        let demo = try DemoTopology(seriesPerPod: 10)
        let crashing = try #require(
            demo.clusters[0].pods.all().first { !$0.ready && $0.containers[0].restartCount > 0 }
        )
        let before = crashing.containers[0].restartCount
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await demo.churn(every: .milliseconds(50)) }
            for _ in 0..<100 {
                if (demo.clusters[0].pods.get(namespace: crashing.namespace, name: crashing.name)?.containers[0]
                    .restartCount ?? 0) > before
                {
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()
        }
        #expect(
            (demo.clusters[0].pods.get(namespace: crashing.namespace, name: crashing.name)?.containers[0].restartCount
                ?? 0) > before
        )
    }
}
