extension PodTargetRules {
    /// The targets of `pod` under these rules.
    ///
    /// Targets of one pod never share a label set; targets of different pods may, after relabeling, and
    /// ``TargetSelection`` keeps the first of those.
    public func targets(for pod: PodInfo) -> PodTargets {
        if excludedNamespaces.contains(pod.namespace) { return .none }
        guard let relabeler else { return defaultTargets(for: pod) }
        switch mode {
        case .crowsnest: return refinedTargets(for: pod, relabeler: relabeler)
        case .prometheus: return relabeledTargets(for: pod, relabeler: relabeler)
        }
    }

    /// The default rules: Running, not terminating, with an IP; `prometheus.io/scrape: "true"` → one target
    /// (port, path, scheme from the annotations), else every port named `metrics` or `*-metrics`;
    /// `prometheus.io/scrape: "false"` opts out.
    func defaultTargets(for pod: PodInfo) -> PodTargets {
        guard pod.phase == "Running", !pod.isTerminating, !pod.podIP.isEmpty else { return .none }
        let scrape = pod.annotations["prometheus.io/scrape"]
        if scrape == "false" { return .none }
        let ports = pod.containers.filter(\.runsWithPod).flatMap(\.ports)
        let path = pod.annotations["prometheus.io/path"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        let scheme = pod.annotations["prometheus.io/scheme"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultScheme
        var chosen: [(number: Int, name: String)] = []
        if scrape == "true" {
            if let written = pod.annotations["prometheus.io/port"], !written.isEmpty {
                if let number = Int(written), (1...65535).contains(number) {
                    chosen = [(number, ports.first { $0.number == number }?.name ?? "")]
                } else if let named = ports.first(where: { $0.name == written }) {
                    chosen = [(named.number, named.name)]
                } else {
                    return refusal(pod, "prometheus.io/port is not a port number or a declared port name")
                }
            } else if let metrics = ports.first(where: { $0.name == "metrics" }) {
                chosen = [(metrics.number, metrics.name)]
            } else if let tcp = ports.first(where: { $0.protocol == "TCP" }) {
                chosen = [(tcp.number, tcp.name)]
            } else {
                return refusal(pod, "prometheus.io/scrape is true but the pod declares no TCP port")
            }
        } else {
            var seen = Set<Int>()
            for port in ports where port.name == "metrics" || port.name.hasSuffix("-metrics") {
                if seen.insert(port.number).inserted { chosen.append((port.number, port.name)) }
            }
        }
        guard !chosen.isEmpty else { return .none }
        var result = PodTargets()
        for port in chosen {
            let portText = String(port.number)
            do throws(ProxyPath.Refusal) {
                _ = try ProxyPath.build(
                    namespace: pod.namespace,
                    pod: pod.name,
                    scheme: scheme,
                    port: portText,
                    path: path
                )
            } catch {
                result.refused.append(
                    RefusedPod(
                        cluster: cluster,
                        namespace: pod.namespace,
                        pod: pod.name,
                        reason: "port \(portText): \(error.reason)"
                    )
                )
                continue
            }
            var labels = staticLabels
            labels["namespace"] = pod.namespace
            labels["pod_name"] = pod.name
            if chosen.count > 1 { labels["port"] = port.name.isEmpty ? portText : port.name }
            labels["cluster"] = cluster
            result.targets.append(
                ScrapeTarget(
                    key: TargetKey(cluster: cluster, namespace: pod.namespace, pod: pod.name, port: portText),
                    scheme: scheme,
                    path: path,
                    labels: labels.labels
                )
            )
        }
        return result
    }

    func refusal(_ pod: PodInfo, _ reason: String) -> PodTargets {
        PodTargets(refused: [RefusedPod(cluster: cluster, namespace: pod.namespace, pod: pod.name, reason: reason)])
    }
}
