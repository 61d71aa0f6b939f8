public import Foundation

extension SimulatedCluster {
    /// Adds `count` Ready nodes `PREFIX-1 … PREFIX-count` (1-based, matching the `spec.nodeName` that
    /// ``addExporterPods(namespace:count:seriesPerPod:namePrefix:labels:annotate:port:)`` and
    /// ``addPlainPods(namespace:count:namePrefix:labels:)`` assign: `node-1` … `node-3` and `node-1` … `node-20`),
    /// each with an `InternalIP` (`10.0.0.N+9`: node-1 is 10.0.0.10, the default `hostIP` of a ``SimulatedPod``), a `Hostname` address, the kubelet on 10250, `labels` plus the
    /// standard node labels, and its own ``SimulatedKubelet``. Returns the nodes.
    @discardableResult
    public func addNodes(
        count: Int,
        namePrefix: String = "node",
        labels: [String: String] = [:],
        startedAt: Date = Date().addingTimeInterval(-86_400)
    ) throws(KubeSimError) -> [SimulatedNode] {
        var made: [SimulatedNode] = []
        made.reserveCapacity(count)
        for index in 1...max(count, 1) where index <= count {
            let name = "\(namePrefix)-\(index)"
            made.append(
                SimulatedNode(
                    name: name,
                    labels: labels,
                    creationTimestamp: startedAt,
                    addresses: [.internalIP("10.0.\(index / 200).\(index % 200 + 9)"), .hostname(name)],
                    podCIDR: "10.244.\(index).0/24",
                    kubelet: SimulatedKubelet(seed: StableHash.fnv1a(self.name + "/" + name), startedAt: startedAt)
                )
            )
        }
        try nodes.add(contentsOf: made)
        return made
    }

    /// The pods whose `spec.nodeName` is `node`, in etcd order.
    public func pods(onNode node: String) -> [SimulatedPod] {
        pods.all().filter { $0.nodeName == node }
    }
}
