extension PodTargetRules {
    /// Prometheus `role: pod` candidates for `pod`: one per declared container port, one per container without
    /// ports; none for a pod without an IP (as Prometheus).
    ///
    /// Each carries the `__meta_kubernetes_*` labels,
    /// `__address__` (`IP:PORT`, or `IP`), `__metrics_path__` and `__scheme__`.
    public func candidates(for pod: PodInfo) -> [LabelSet] {
        guard !pod.podIP.isEmpty else { return [] }
        var common = podMetaLabels(pod)
        common["__metrics_path__"] = defaultPath
        common["__scheme__"] = defaultScheme
        var result: [LabelSet] = []
        for container in pod.containers {
            if container.ports.isEmpty {
                var candidate = common
                Self.addContainerMetaLabels(container, port: nil, to: &candidate)
                candidate["__address__"] = pod.podIP
                result.append(candidate)
                continue
            }
            for port in container.ports {
                var candidate = common
                Self.addContainerMetaLabels(container, port: port, to: &candidate)
                candidate["__address__"] = Self.hostPort(pod.podIP, port.number)
                result.append(candidate)
            }
        }
        return result
    }

    /// The pod-level `__meta_kubernetes_*` labels Prometheus' `role: pod` attaches.
    func podMetaLabels(_ pod: PodInfo) -> LabelSet {
        var labels = LabelSet()
        labels["__meta_kubernetes_namespace"] = pod.namespace
        labels["__meta_kubernetes_pod_name"] = pod.name
        labels["__meta_kubernetes_pod_ip"] = pod.podIP
        labels["__meta_kubernetes_pod_uid"] = pod.uid
        labels["__meta_kubernetes_pod_node_name"] = pod.nodeName
        labels["__meta_kubernetes_pod_host_ip"] = pod.hostIP
        labels["__meta_kubernetes_pod_phase"] = pod.phase
        labels["__meta_kubernetes_pod_ready"] = pod.ready.map { $0 ? "true" : "false" } ?? "unknown"
        labels["__meta_kubernetes_pod_controller_kind"] = pod.controllerKind
        labels["__meta_kubernetes_pod_controller_name"] = pod.controllerName
        for (name, value) in pod.labels {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_pod_label_" + sanitized] = value
            labels["__meta_kubernetes_pod_labelpresent_" + sanitized] = "true"
        }
        for (name, value) in pod.annotations {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_pod_annotation_" + sanitized] = value
            labels["__meta_kubernetes_pod_annotationpresent_" + sanitized] = "true"
        }
        return labels
    }

    /// The container-level meta labels (and the port's, when there is one).
    static func addContainerMetaLabels(_ container: PodInfo.Container, port: PodInfo.Port?, to labels: inout LabelSet) {
        labels["__meta_kubernetes_pod_container_name"] = container.name
        labels["__meta_kubernetes_pod_container_image"] = container.image
        labels["__meta_kubernetes_pod_container_init"] = container.isInit ? "true" : "false"
        guard let port else { return }
        labels["__meta_kubernetes_pod_container_port_name"] = port.name
        labels["__meta_kubernetes_pod_container_port_number"] = String(port.number)
        labels["__meta_kubernetes_pod_container_port_protocol"] = port.protocol
    }

    /// ``RelabelMode/crowsnest``: the built-in rules choose the targets; each is relabeled with the meta labels of
    /// Prometheus' `role: pod` (of the container port it scrapes, when declared) beside its own labels, and may be
    /// dropped, gain labels, or change `__address__` (another port of the pod), `__metrics_path__`, `__scheme__`
    /// and `__param_*`.
    ///
    /// `cluster`, `namespace` and `pod_name` stay the pod's own.
    func refinedTargets(for pod: PodInfo, relabeler: Relabeler) -> PodTargets {
        var chosen = defaultTargets(for: pod)
        guard !chosen.targets.isEmpty else { return chosen }
        let meta = podMetaLabels(pod)
        var kept: [RelabeledTarget] = []
        for target in chosen.targets {
            var labels = meta
            let number = Int(target.key.port) ?? 0
            if let container = pod.containers.first(where: { $0.ports.contains { $0.number == number } }) {
                Self.addContainerMetaLabels(container, port: container.ports.first { $0.number == number }, to: &labels)
            }
            for label in target.labels { labels[label.name] = label.value }
            labels["__address__"] = Self.hostPort(pod.podIP, number)
            labels["__metrics_path__"] = target.path
            labels["__scheme__"] = target.scheme
            guard relabeler.process(&labels) else { continue }
            switch relabeled(labels, pod: pod) {
            case .target(let target): kept.append(target)
            case .refused(let refusal): chosen.refused.append(refusal)
            }
        }
        chosen.targets = []
        for target in kept where !chosen.targets.contains(where: { $0.key.port == target.port }) {
            var labels = target.labels
            for name in ClusterConfig.identityLabelNames { labels[name] = nil }
            labels["cluster"] = cluster
            labels["namespace"] = pod.namespace
            labels["pod_name"] = pod.name
            chosen.targets.append(makeTarget(pod, target, labels: labels))
        }
        return chosen
    }

    /// ``RelabelMode/prometheus``: relabels every `role: pod` candidate; the survivors become targets scraped
    /// through the pod proxy, with `namespace` and `pod_name` added when the rules left them unset.
    func relabeledTargets(for pod: PodInfo, relabeler: Relabeler) -> PodTargets {
        var kept: [RelabeledTarget] = []
        var result = PodTargets()
        for var labels in candidates(for: pod) {
            guard relabeler.process(&labels) else { continue }
            switch relabeled(labels, pod: pod) {
            case .target(let target):
                if kept.contains(where: { $0.port == target.port && $0.labels == target.labels }) { continue }
                kept.append(target)
            case .refused(let refusal):
                result.refused.append(refusal)
            }
        }
        let several = Set(kept.map(\.port)).count > 1
        var seenPorts = Set<String>()
        for target in kept where seenPorts.insert(target.port).inserted {
            var labels = staticLabels
            for label in target.labels { labels[label.name] = label.value }
            if several && labels["port"] == nil { labels["port"] = target.port }
            if labels["namespace"] == nil { labels["namespace"] = pod.namespace }
            if labels["pod_name"] == nil { labels["pod_name"] = pod.name }
            labels["cluster"] = cluster
            result.targets.append(makeTarget(pod, target, labels: labels))
        }
        return result
    }

    /// A candidate that survived relabeling: its labels without meta labels, and where it is scraped.
    struct RelabeledTarget {
        var labels: LabelSet
        var port: String
        var scheme: String
        var path: String
        var parameters: [Label]
    }

    /// A relabeled candidate: a target, or refused.
    enum RelabelOutcome {
        case target(RelabeledTarget)
        case refused(RefusedPod)
    }

    /// Reads where a relabeled candidate is scraped (`__address__` must still name the pod's IP, the path must be
    /// safe), and drops its meta labels.
    func relabeled(_ labels: LabelSet, pod: PodInfo) -> RelabelOutcome {
        let address = labels.get("__address__")
        guard let port = Self.port(of: address, podIP: pod.podIP, scheme: labels.get("__scheme__")) else {
            return .refused(
                RefusedPod(
                    cluster: cluster,
                    namespace: pod.namespace,
                    pod: pod.name,
                    reason: "__address__ after relabeling does not name the pod's IP and a port; "
                        + "Crowsnest scrapes only the pod itself, through the API server's proxy"
                )
            )
        }
        let scheme = labels.get("__scheme__").isEmpty ? defaultScheme : labels.get("__scheme__")
        let path = labels.get("__metrics_path__").isEmpty ? defaultPath : labels.get("__metrics_path__")
        let parameters = labels.labels.compactMap { label -> Label? in
            label.name.hasPrefix("__param_") ? Label(String(label.name.dropFirst(8)), label.value) : nil
        }
        do throws(ProxyPath.Refusal) {
            _ = try ProxyPath.build(namespace: pod.namespace, pod: pod.name, scheme: scheme, port: port, path: path)
        } catch {
            return .refused(
                RefusedPod(
                    cluster: cluster,
                    namespace: pod.namespace,
                    pod: pod.name,
                    reason: "port \(port): \(error.reason)"
                )
            )
        }
        var labels = labels
        labels.removeMetaLabels()
        return .target(RelabeledTarget(labels: labels, port: port, scheme: scheme, path: path, parameters: parameters))
    }

    func makeTarget(_ pod: PodInfo, _ target: RelabeledTarget, labels: LabelSet) -> ScrapeTarget {
        ScrapeTarget(
            key: TargetKey(cluster: cluster, namespace: pod.namespace, pod: pod.name, port: target.port),
            scheme: target.scheme,
            path: target.path,
            parameters: target.parameters,
            labels: labels.labels
        )
    }

    /// Prometheus' `strutil.SanitizeLabelName`: every byte outside `[a-zA-Z0-9_]` becomes `_`.
    static func sanitize(_ name: String) -> String {
        var bytes = Array(name.utf8)
        for index in bytes.indices {
            let byte = bytes[index]
            let ok =
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x5F
            if !ok { bytes[index] = 0x5F }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The port of `address` when its host is the pod's IP; an address without a port gets the scheme's default
    /// (80 or 443), as in Prometheus.
    static func port(of address: String, podIP: String, scheme: String) -> String? {
        var host = Substring(address)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if rest.hasPrefix(":") { port = rest.dropFirst() } else if !rest.isEmpty { return nil }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard host == podIP else { return nil }
        guard let port else { return scheme == "https" ? "443" : "80" }
        guard let number = Int(port), (1...65535).contains(number) else { return nil }
        return String(number)
    }
}
