import Foundation
import KubeSim
import NIOCore
import PeerSupport
import Testing

/// promtool (Prometheus' own parser and linter) reading every kubelet endpoint the simulator serves: the text
/// parses, and the only lint findings are those the real kubelet's output has too.
@Suite("Kubelet exposition under promtool", .timeLimit(.minutes(2)))
struct KubeletExpositionTests {
    @Test(arguments: KubeletMetricsPath.allCases)
    func promtoolReadsIt(_ path: KubeletMetricsPath) async throws {
        let promtool = try PeerBinary.require("promtool", debianPackage: "prometheus")
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "lint"))
        let node = try #require(try cluster.addNodes(count: 1).first)
        try cluster.addExporterPods(namespace: "shop", count: 9, seriesPerPod: 5, namePrefix: "web")
        try cluster.pods.update(namespace: "shop", name: "web-3") { $0.ready = false }
        let body = node.kubelet.render(path, node: node, pods: cluster.pods(onNode: node.name))
        let text = String(buffer: body)
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count > 3)
        let result = try await PeerProcess.run(
            promtool,
            ["check", "metrics"],
            input: Array(text.utf8),
            timeout: .seconds(30)
        )
        let findings = (result.stdout + result.stderr).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(
            !findings.contains { $0.contains("error while linting") || $0.contains("parsing error") },
            "\(findings)"
        )
        // The real kubelet's output draws the same remarks: cAdvisor's version info has camelCase label names and
        // its inode total is a gauge named `_total`, its failure count a counter without `_total`.
        let known = [
            "container_memory_failcnt counter metrics should have \"_total\" suffix",
            "cadvisor_version_info label names should be written in 'snake_case' not 'camelCase'",
            "container_fs_inodes_total non-counter metrics should not have \"_total\" suffix",
        ]
        let unexpected = findings.filter { finding in !known.contains { finding.contains($0) } }
        #expect(unexpected.isEmpty, "promtool on \(path.rawValue): \(unexpected)")
        #expect(
            result.status == 0 || (result.status == 3 && unexpected.isEmpty),
            "status \(String(describing: result.status))"
        )
    }
}
