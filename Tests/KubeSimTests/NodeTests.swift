import CompressNIO
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Nodes and kubelets", .timeLimit(.minutes(2)))
struct NodeTests {
    /// Three nodes, six exporter pods (two per node), twenty plain pods on nodes 1…20 (most without a Node).
    static func setup(_ cluster: SimulatedCluster) throws {
        try cluster.addNodes(count: 3, labels: ["topology.kubernetes.io/zone": "zone-a"])
        try cluster.addExporterPods(namespace: "apps", count: 6, seriesPerPod: 10)
        try cluster.addPlainPods(namespace: "batch", count: 20)
    }

    @Test func listsNodesWithRealShapes() async throws {
        try await withCluster(setup: Self.setup) { _, client in
            let list = try await client.send("/api/v1/nodes")
            #expect(list.status == 200)
            #expect(list.json["kind"] as? String == "NodeList")
            #expect(list.json["apiVersion"] as? String == "v1")
            let items = try #require(list.json["items"] as? [[String: Any]])
            #expect(items.compactMap { $0[path: "metadata", "name"] as? String } == ["node-1", "node-2", "node-3"])
            let first = try #require(items.first)
            #expect(first["kind"] == nil)  // list items carry no kind
            #expect(first[path: "status", "daemonEndpoints", "kubeletEndpoint", "Port"] as? Int == 10250)
            let addresses = try #require(first[path: "status", "addresses"] as? [[String: String]])
            #expect(addresses.first?["type"] == "InternalIP")
            #expect(addresses.contains { $0["type"] == "Hostname" && $0["address"] == "node-1" })
            let labels = try #require(first[path: "metadata", "labels"] as? [String: String])
            #expect(labels["kubernetes.io/hostname"] == "node-1")
            #expect(labels["topology.kubernetes.io/zone"] == "zone-a")
            let conditions = try #require(first[path: "status", "conditions"] as? [[String: Any]])
            #expect(conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" })
            #expect(first[path: "status", "nodeInfo", "kubeletVersion"] as? String == "v1.31.4")

            let one = try await client.send("/api/v1/nodes/node-2")
            #expect(one.json["kind"] as? String == "Node")
            #expect(one.json[path: "metadata", "name"] as? String == "node-2")
            let missing = try await client.send("/api/v1/nodes/node-9")
            #expect(missing.status == 404)
            #expect(missing.json["message"] as? String == "nodes \"node-9\" not found")
        }
    }

    @Test func selectorsAndPaging() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            try cluster.nodes.update("node-3") { $0.labels["pool"] = "gpu" }
            let labelled = try await client.send("/api/v1/nodes?labelSelector=pool%3Dgpu")
            #expect((labelled.json["items"] as? [Any])?.count == 1)
            let named = try await client.send("/api/v1/nodes?fieldSelector=metadata.name%3Dnode-2")
            #expect(
                ((named.json["items"] as? [[String: Any]])?.first)?[path: "metadata", "name"] as? String == "node-2"
            )
            let badField = try await client.send("/api/v1/nodes?fieldSelector=spec.nodeName%3Dx")
            #expect(badField.status == 400)
            #expect(badField.json["message"] as? String == "field label not supported: spec.nodeName")

            let page = try await client.send("/api/v1/nodes?limit=2")
            #expect((page.json["items"] as? [Any])?.count == 2)
            let token = try #require(page.json[path: "metadata", "continue"] as? String)
            #expect(page.json[path: "metadata", "remainingItemCount"] as? Int == 1)
            let rest = try await client.send("/api/v1/nodes?limit=2&continue=\(token)")
            let names = (rest.json["items"] as? [[String: Any]])?.compactMap { $0[path: "metadata", "name"] as? String }
            #expect(names == ["node-3"])
            #expect(rest.json[path: "metadata", "continue"] == nil)
        }
    }

    @Test func watchSeesChangesAndExpires() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let start = cluster.nodes.resourceVersion
            let result = try await client.watch(
                "/api/v1/nodes?watch=1&resourceVersion=\(start)&allowWatchBookmarks=true",
                until: { $0.count >= 3 },
                whileOpen: {
                    try await Task.sleep(for: .milliseconds(200))
                    try cluster.nodes.add(SimulatedNode(name: "node-4"))
                    try cluster.nodes.update("node-1") { $0.readiness = .notReady }
                    try cluster.nodes.delete("node-2")
                }
            )
            #expect(result.types == ["ADDED", "MODIFIED", "DELETED"])
            #expect(result.names("ADDED") == ["node-4"])
            let modified = try #require(result.events.dropFirst().first?["object"] as? [String: Any])
            #expect(modified["kind"] as? String == "Node")
            let conditions = modified[path: "status", "conditions"] as? [[String: Any]] ?? []
            #expect(conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "False" })

            cluster.nodes.compact()
            let expired = try await client.watch(
                "/api/v1/nodes?watch=1&resourceVersion=\(start)",
                until: { !$0.isEmpty }
            )
            #expect(expired.types == ["ERROR"])
            #expect((expired.events.first?["object"] as? [String: Any])?["code"] as? Int == 410)
        }
    }

    @Test func cadvisorServesThePodsOnTheNode() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let response = try await client.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.text
            #expect(text.contains("# TYPE container_cpu_usage_seconds_total counter"))
            #expect(text.contains("# HELP container_memory_working_set_bytes Current working set in bytes."))
            let onNode = Set(cluster.pods(onNode: "node-1").map(\.name))
            #expect(onNode == ["app-0", "app-3", "pod-0"])
            let seenPods = Set(Self.labelValues("pod", in: text, metric: "container_cpu_usage_seconds_total"))
            #expect(seenPods == onNode.union([""]))
            // Pod-level (container="") and container-level series, with cAdvisor's label names.
            #expect(
                text.split(separator: "\n").contains {
                    $0.hasPrefix("container_memory_working_set_bytes{container=\"app\",id=\"/kubepods.slice/")
                        && $0.contains("namespace=\"apps\",pod=\"app-0\"}")
                }
            )
            #expect(
                text.split(separator: "\n").contains {
                    $0.hasPrefix("container_cpu_usage_seconds_total{container=\"\",cpu=\"total\",id=\"/kubepods.slice/")
                        && $0.contains("image=\"\",name=\"\",namespace=\"apps\",pod=\"app-3\"}")
                }
            )
            #expect(text.contains("container_network_receive_bytes_total{container=\"\",id=\"/kubepods.slice/"))
            // Samples carry timestamps, as cAdvisor's do.
            let sample = try #require(
                text.split(separator: "\n").first { $0.hasPrefix("container_memory_rss{") }
            )
            #expect(sample.split(separator: " ").count == 3)

            let other = try await client.send("/api/v1/nodes/https:node-2:10250/proxy/metrics/cadvisor")
            #expect(other.status == 200)
            let otherPods = Set(Self.labelValues("pod", in: other.text, metric: "container_cpu_usage_seconds_total"))
            #expect(otherPods == ["app-1", "app-4", "pod-1", ""])
        }
    }

    @Test func otherEndpointsAndGzip() async throws {
        try await withCluster(setup: Self.setup) { _, client in
            let resource = try await client.send("/api/v1/nodes/node-1:10250/proxy/metrics/resource")
            #expect(resource.status == 200)
            #expect(resource.text.contains("# TYPE pod_memory_working_set_bytes gauge"))
            #expect(
                resource.text.contains(
                    "container_cpu_usage_seconds_total{container=\"app\",namespace=\"apps\",pod=\"app-0\"} "
                )
            )
            #expect(resource.text.contains("\nnode_cpu_usage_seconds_total "))
            let probes = try await client.send("/api/v1/nodes/node-1/proxy/metrics/probes")
            #expect(
                probes.text.contains("prober_probe_total{container=\"app\",namespace=\"apps\",pod=\"app-0\",pod_uid=\"")
            )
            #expect(probes.text.contains("probe_type=\"Readiness\",result=\"successful\"}"))
            let own = try await client.send("/api/v1/nodes/node-1/proxy/metrics")
            #expect(own.text.contains("kubelet_node_name{node=\"node-1\"} 1\n"))
            #expect(own.text.contains("kubelet_running_pods 3\n"))

            let gzipped = try await client.send(
                "/api/v1/nodes/node-1/proxy/metrics/cadvisor",
                headers: [("Accept-Encoding", "gzip")]
            )
            #expect(gzipped.headers.first(name: "Content-Encoding") == "gzip")
            var compressed = gzipped.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(String(buffer: inflated).contains("machine_cpu_cores{"))

            let unknownPath = try await client.send("/api/v1/nodes/node-1/proxy/containerLogs/x/y/z")
            #expect(unknownPath.status == 404)
            #expect(unknownPath.text == "404 page not found\n")
        }
    }

    @Test func frozenKubeletRepeatsItself() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let kubelet = try #require(cluster.nodes.get("node-1")).kubelet
            kubelet.freeze()
            let first = try await client.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor")
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await client.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor")
            #expect(first.text == second.text)
            kubelet.unfreeze()
            try await Task.sleep(for: .milliseconds(1100))
            let third = try await client.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor")
            #expect(third.text != second.text)
            #expect(kubelet.scrapeCount(.cadvisor) == 3)
        }
    }

    @Test func kubeletFaults() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let kubelet = try #require(cluster.nodes.get("node-2")).kubelet
            kubelet.behavior = .forbidden
            let forbidden = try await client.send("/api/v1/nodes/node-2/proxy/metrics/cadvisor")
            #expect(forbidden.status == 403)
            #expect(forbidden.text.hasPrefix("Forbidden (user="))
            kubelet.behavior = .internalError
            #expect(try await client.send("/api/v1/nodes/node-2/proxy/metrics").status == 500)
            kubelet.behavior = .connectionRefused
            let refused = try await client.send("/api/v1/nodes/node-2/proxy/metrics")
            #expect(refused.status == 503)
            #expect(refused.json["kind"] as? String == "Status")
            let message = refused.json["message"] as? String ?? ""
            #expect(
                message.hasPrefix(
                    "error trying to reach service: dial tcp 10.0.0.11:10250: connect: connection refused"
                )
            )
            kubelet.behavior = .dialTimeout(after: .milliseconds(100))
            let timedOut = try await client.send("/api/v1/nodes/node-2/proxy/metrics")
            #expect(timedOut.status == 503)
            #expect((timedOut.json["message"] as? String)?.hasSuffix("i/o timeout") == true)
            kubelet.behavior = .normal
            #expect(try await client.send("/api/v1/nodes/node-2/proxy/metrics").status == 200)
            // Node 1 was never affected.
            #expect(try await client.send("/api/v1/nodes/node-1/proxy/metrics").status == 200)
        }
    }

    @Test func proxyRefusesHostileNamesAndPorts() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            try cluster.nodes.add(SimulatedNode(name: "bare", addresses: []))
            let cases: [(String, Int)] = [
                ("/api/v1/nodes/node-9/proxy/metrics", 404),
                ("/api/v1/nodes/a:b:c:d/proxy/metrics", 400),
                ("/api/v1/nodes/ftp:node-1:10250/proxy/metrics", 400),
                ("/api/v1/nodes/..%2F..%2Fpods/proxy/metrics", 404),
                ("/api/v1/nodes/node-1%2F..%2Fnode-2/proxy/metrics", 404),
                ("/api/v1/nodes/node-1:22/proxy/", 503),
                ("/api/v1/nodes/node-1:http/proxy/metrics", 503),
                ("/api/v1/nodes/bare/proxy/metrics", 500),
                ("/api/v1/proxy/nodes/node-1/metrics", 404),
            ]
            for (path, status) in cases {
                let response = try await client.send(path)
                #expect(response.status == status, "\(path): \(response.text)")
                #expect(response.json["kind"] as? String == "Status", "\(path)")
            }
            let bare = try await client.send("/api/v1/nodes/bare/proxy/metrics")
            #expect(bare.json["message"] as? String == "no preferred addresses found; known addresses: []")
            #expect(bare.json["reason"] == nil)
            // Paths that climb out stay inside the kubelet (which has nothing there).
            let climbing = try await client.send("/api/v1/nodes/node-1/proxy/metrics/..%2F..%2F..%2Fapi")
            #expect(climbing.status == 404)
            #expect(climbing.text == "404 page not found\n")
        }
    }

    @Test func invalidNodesAreRefused() throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "invalid"))
        #expect(throws: KubeSimError.self) { try cluster.nodes.add(SimulatedNode(name: "Bad_Name")) }
        try cluster.nodes.add(SimulatedNode(name: "ok"))
        #expect(throws: KubeSimError.self) { try cluster.nodes.add(SimulatedNode(name: "ok")) }
        #expect(throws: KubeSimError.self) { try cluster.nodes.update("missing") { $0.unschedulable = true } }
    }

    @Test func cadvisorOf110PodsIsMegabytes() throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "dense"))
        let node = try #require(try cluster.addNodes(count: 1).first)
        try cluster.addPlainPods(namespace: "dense", count: 110 * 20)  // 110 land on node-1
        let pods = cluster.pods(onNode: node.name)
        #expect(pods.count == 110)
        let body = node.kubelet.render(.cadvisor, node: node, pods: pods)
        #expect(body.readableBytes > 3_000_000, "cAdvisor body of 110 pods: \(body.readableBytes) bytes")
        let text = String(buffer: body)
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        #expect(series > 110 * 100)
        #expect(Set(Self.labelValues("pod", in: text, metric: "container_memory_rss")).count == 111)
    }

    /// The values of `label` on samples of `metric`.
    static func labelValues(_ label: String, in text: String, metric: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") }.compactMap { line -> String? in
            guard let range = line.range(of: "," + label + "=\"") ?? line.range(of: "{" + label + "=\"") else {
                return nil
            }
            let rest = line[range.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
    }
}
