import CrowsnestCore
import CrowsnestKube
import Testing

@Suite("Cluster file: nodes and services")
struct ConfigNodesServicesTests {
    typealias S = ConfigTestSupport

    @Test("by default no node and no Service is discovered")
    func defaults() throws {
        let config = try #require(S.parse(S.minimal).config)
        #expect(config.nodes == NodeTargetsConfig())
        #expect(!config.nodes.isEnabled)
        #expect(config.services == false)
    }

    @Test("nodes: each kubelet endpoint, a label selector and its own relabel_configs; services: true")
    func fields() throws {
        let report = S.parse(
            S.minimal + """

                nodes:
                  kubelet: true
                  cadvisor: true
                  resource: false
                  probes: true
                  label_selector: "kubernetes.io/os=linux,pool in (a, b)"
                  relabel_configs:
                    - source_labels: [__meta_kubernetes_node_label_pool]
                      target_label: pool
                services: true
                """
        )
        #expect(report.problems.isEmpty, "\(report.problems)")
        let config = try #require(report.config)
        #expect(config.nodes.paths == [.cadvisor, .kubelet, .probes])
        #expect(config.nodes.paths.map(\.path).sorted() == ["/metrics", "/metrics/cadvisor", "/metrics/probes"])
        #expect(config.nodes.labelSelector.text == "kubernetes.io/os=linux,pool in (a, b)")
        #expect(config.nodes.relabelConfigs.count == 1)
        #expect(config.services)
    }

    @Test("unknown keys, a bad selector, a non-boolean and a block that enables nothing are reported")
    func badInput() {
        let report = S.parse(
            S.minimal + """

                nodes:
                  cadvisr: true
                  label_selector: "a in (b"
                  kubelet: maybe
                services: perhaps
                """
        )
        #expect(report.config == nil)
        let text = report.problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("nodes.cadvisr"), "\(text)")
        #expect(text.contains("invalid label selector"), "\(text)")
        #expect(text.contains("nodes.kubelet"), "\(text)")
        #expect(text.contains("services"), "\(text)")

        let nothing = S.parse(S.minimal + "\nnodes:\n  label_selector: pool=a\n")
        #expect(nothing.config != nil)
        #expect(nothing.problems.contains { $0.description.contains("no kubelet endpoint is enabled") })
    }
}
