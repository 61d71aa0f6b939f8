import Foundation

extension SimulatedCluster {
    /// Adds `count` Running pods `PREFIX-0 … PREFIX-(count-1)` in `namespace`, each with IP assigned, a
    /// container port `metrics` (9102) served by its own ``SimulatedExporter`` of `seriesPerPod` series, and
    /// `prometheus.io/scrape: "true"` annotations (when `annotate`). Returns the pods and their exporters.
    ///
    /// A benchmark of 100 pods × 1,000 series is `addExporterPods(namespace: "bench", count: 100, seriesPerPod: 1000)`.
    @discardableResult
    public func addExporterPods(
        namespace: String,
        count: Int,
        seriesPerPod: Int,
        namePrefix: String = "app",
        labels: [String: String] = [:],
        annotate: Bool = true,
        port: Int = 9102
    ) throws(KubeSimError) -> [(pod: SimulatedPod, exporter: SimulatedExporter)] {
        var made: [(pod: SimulatedPod, exporter: SimulatedExporter)] = []
        var pods: [SimulatedPod] = []
        let startedAt = Date()
        for index in 0..<count {
            let name = "\(namePrefix)-\(index)"
            let exporter = SimulatedExporter(
                series: seriesPerPod,
                seed: StableHash.fnv1a(namespace + "/" + name),
                startedAt: startedAt
            )
            var podLabels = labels
            if podLabels["app"] == nil { podLabels["app"] = namePrefix }
            let pod = SimulatedPod(
                namespace: namespace,
                name: name,
                labels: podLabels,
                annotations: annotate
                    ? [
                        "prometheus.io/scrape": "true", "prometheus.io/port": String(port),
                        "prometheus.io/path": "/metrics",
                    ] : [:],
                owner: .init(kind: "StatefulSet", name: namePrefix),
                nodeName: "node-\(index % 3 + 1)",
                containers: [
                    .init(
                        name: namePrefix,
                        image: "registry.example/\(namePrefix):1.0",
                        ports: [.init(name: "metrics", containerPort: port)]
                    )
                ],
                podIP: self.pods.allocatePodIP(),
                backends: [port: .exporter(exporter)]
            )
            pods.append(pod)
            made.append((pod, exporter))
        }
        try self.pods.add(contentsOf: pods)
        return made
    }

    /// Adds `count` plain Running pods without backends (for list/watch load such as 10,000 pods).
    public func addPlainPods(
        namespace: String,
        count: Int,
        namePrefix: String = "pod",
        labels: [String: String] = [:]
    )
        throws(KubeSimError)
    {
        var pods: [SimulatedPod] = []
        pods.reserveCapacity(count)
        for index in 0..<count {
            pods.append(
                SimulatedPod(
                    namespace: namespace,
                    name: "\(namePrefix)-\(index)",
                    labels: labels.merging(["app": namePrefix, "shard": String(index % 10)]) { first, _ in first },
                    owner: .init(kind: "ReplicaSet", name: "\(namePrefix)-5d8f7c9b6"),
                    nodeName: "node-\(index % 20 + 1)",
                    containers: [.init(name: namePrefix, ports: [.init(name: "http", containerPort: 8080)])],
                    podIP: self.pods.allocatePodIP()
                )
            )
        }
        try self.pods.add(contentsOf: pods)
    }
}

/// FNV-1a, a hash that is the same in every run (unlike `hashValue`).
enum StableHash {
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
