import CrowsnestCore
import Testing

@Suite("Targets from nodes")
struct NodeTargetTests {
    static let node = NodeInfo(
        name: "node-1",
        uid: "uid-node-1",
        labels: ["kubernetes.io/os": "linux", "pool": "gpu"],
        annotations: ["team": "infra"],
        addresses: [
            NodeInfo.Address(type: "Hostname", address: "node-1"),
            NodeInfo.Address(type: "InternalIP", address: "10.0.0.11"),
        ],
        kubeletPort: 10250
    )

    @Test("one target per enabled path, through the node proxy, labels cluster, node, metrics_path and static")
    func targets() throws {
        let rules = NodeTargetRules(cluster: "prod", staticLabels: ["region": "eu"], paths: [.kubelet, .cadvisor])
        let result = rules.targets(for: Self.node)
        #expect(result.refused.isEmpty)
        #expect(
            result.targets.map(\.key) == [
                TargetKey(cluster: "prod", node: "node-1", path: "/metrics"),
                TargetKey(cluster: "prod", node: "node-1", path: "/metrics/cadvisor"),
            ]
        )
        let cadvisor = try #require(result.targets.last)
        #expect(cadvisor.scheme == "https")
        #expect(
            cadvisor.labels
                == (["cluster": "prod", "node": "node-1", "metrics_path": "/metrics/cadvisor", "region": "eu"]
                as LabelSet)
                .labels
        )
        #expect(try ProxyPath.node("node-1", path: cadvisor.path) == "/api/v1/nodes/node-1/proxy/metrics/cadvisor")
        #expect(cadvisor.key.description == "prod/node/node-1/metrics/cadvisor")
    }

    @Test("role: node meta labels as Prometheus builds them; the rules may drop a node or add labels")
    func relabeling() throws {
        let rules = NodeTargetRules(cluster: "prod", paths: [.cadvisor])
        let meta = rules.metaLabels(Self.node)
        #expect(meta["__meta_kubernetes_node_name"] == "node-1")
        #expect(meta["__meta_kubernetes_node_label_kubernetes_io_os"] == "linux")
        #expect(meta["__meta_kubernetes_node_labelpresent_pool"] == "true")
        #expect(meta["__meta_kubernetes_node_annotation_team"] == "infra")
        #expect(meta["__meta_kubernetes_node_address_InternalIP"] == "10.0.0.11")
        #expect(meta["__meta_kubernetes_node_address_Hostname"] == "node-1")
        #expect(meta["__address__"] == "10.0.0.11:10250")

        let relabeler = try Relabeler(rules: [
            RelabelRule(sourceLabels: ["__meta_kubernetes_node_label_pool"], regex: "gpu", action: .keep),
            RelabelRule(sourceLabels: ["__meta_kubernetes_node_label_pool"], targetLabel: "pool"),
            RelabelRule(targetLabel: "node", replacement: "overwritten"),
        ])
        let relabeled = NodeTargetRules(cluster: "prod", paths: [.cadvisor], relabeler: relabeler)
        let target = try #require(relabeled.targets(for: Self.node).targets.first)
        #expect(target.labels.first { $0.name == "pool" }?.value == "gpu")
        #expect(target.labels.first { $0.name == "node" }?.value == "node-1")
        var other = Self.node
        other.labels["pool"] = "cpu"
        #expect(relabeled.targets(for: other).targets.isEmpty)
    }

    @Test("a node name that is not a Kubernetes name is refused, never put in a path")
    func hostileNames() {
        let rules = NodeTargetRules(cluster: "prod", paths: [.cadvisor, .kubelet])
        for name in ["../pods", "a/b", "node 1", "..", "", "%2e%2e", "node?x=1", "node#1"] {
            let result = rules.targets(for: NodeInfo(name: name))
            #expect(result.targets.isEmpty, "\(name)")
            #expect(result.refused.count == 1, "\(name)")
        }
        #expect(throws: ProxyPath.Refusal.self) { try ProxyPath.node("node-1", path: "/../../api/v1/secrets") }
        #expect(throws: ProxyPath.Refusal.self) { try ProxyPath.node("node-1", path: "/metrics%2F..%2Fx") }
    }

    @Test("a node without addresses or kubelet port is still scraped by name through the proxy")
    func noAddresses() throws {
        let rules = NodeTargetRules(cluster: "prod", paths: [.resource])
        let bare = NodeInfo(name: "bare", addresses: [], kubeletPort: 0, ready: nil)
        let target = try #require(rules.targets(for: bare).targets.first)
        #expect(try ProxyPath.node("bare", path: target.path) == "/api/v1/nodes/bare/proxy/metrics/resource")
        #expect(rules.metaLabels(bare)["__address__"] == nil)
    }

    @Test("node keys sort apart from pods and hash apart from them, for sharding")
    func keys() {
        let node = TargetKey(cluster: "prod", node: "a", path: "/metrics")
        let pod = TargetKey(cluster: "prod", namespace: "", pod: "a", port: "/metrics")
        #expect(node != pod)
        #expect(node.stableHash != pod.stableHash)
        #expect(node.node == "a")
        #expect(pod.node == nil)
    }

    @Test("a node target's series with a pod label also get pod_name (unless they have one); fast and slow path")
    func podNameCopy() throws {
        var options = ScrapeRenderOptions(
            targetLabels: [
                Label("cluster", "prod"), Label("node", "node-1"), Label("metrics_path", "/metrics/cadvisor"),
            ]
        )
        options.labelCopy = .podName
        let payload = """
            # TYPE container_cpu_usage_seconds_total counter
            container_cpu_usage_seconds_total{container="app",namespace="shop",pod="web-0"} 12.5
            container_cpu_usage_seconds_total{id="/"} 100
            container_cpu_usage_seconds_total{namespace="old",pod="x",pod_name="own"} 1
            container_cpu_usage_seconds_total{cluster="inner",namespace="shop",pod="web-1"} 2

            """
        var renderer = ScrapeRenderer()
        let rendered = try renderer.render(Array(payload.utf8), format: .text, options: options)
        let lines = String(decoding: rendered.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        let samples = lines.filter { !$0.hasPrefix("#") }
        #expect(samples.count == 4)
        #expect(samples[0].contains(#"pod="web-0""#) && samples[0].contains(#"pod_name="web-0""#))
        #expect(!samples[1].contains("pod_name"))
        #expect(samples[2].contains(#"pod_name="own""#) && !samples[2].contains(#"pod_name="x""#))
        // The colliding `cluster` takes the slow path; the copy happens there too.
        #expect(samples[3].contains(#"exported_cluster="inner""#) && samples[3].contains(#"pod_name="web-1""#))

        // With metric relabeling (always the slow path) the result is the same series.
        options.metricRelabeling = { _ in true }
        var slow = ScrapeRenderer()
        let relabeled = try slow.render(Array(payload.utf8), format: .text, options: options)
        let slowSamples = String(decoding: relabeled.bytes, as: UTF8.self).split(separator: "\n").filter {
            !$0.hasPrefix("#")
        }
        #expect(slowSamples.count == 4)
        #expect(slowSamples[0].contains(#"pod_name="web-0""#))
        #expect(slowSamples[2].contains(#"pod_name="own""#))
    }
}
