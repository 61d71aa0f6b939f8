extension PodTargetRules {
    /// Prometheus `role: pod` candidates for `pod`: one per declared container port, one per container without
    /// ports; none for a pod without an IP (as Prometheus). Each carries the `__meta_kubernetes_*` labels,
    /// `__address__` (`IP:PORT`, or `IP`), `__metrics_path__` and `__scheme__`.
    public func candidates(for pod: PodInfo) -> [LabelSet] {
        guard !pod.podIP.isEmpty else { return [] }
        var common = LabelSet()
        common["__meta_kubernetes_namespace"] = pod.namespace
        common["__meta_kubernetes_pod_name"] = pod.name
        common["__meta_kubernetes_pod_ip"] = pod.podIP
        common["__meta_kubernetes_pod_uid"] = pod.uid
        common["__meta_kubernetes_pod_node_name"] = pod.nodeName
        common["__meta_kubernetes_pod_host_ip"] = pod.hostIP
        common["__meta_kubernetes_pod_phase"] = pod.phase
        common["__meta_kubernetes_pod_ready"] = pod.ready.map { $0 ? "true" : "false" } ?? "unknown"
        common["__meta_kubernetes_pod_controller_kind"] = pod.controllerKind
        common["__meta_kubernetes_pod_controller_name"] = pod.controllerName
        for (name, value) in pod.labels {
            let sanitized = Self.sanitize(name)
            common["__meta_kubernetes_pod_label_" + sanitized] = value
            common["__meta_kubernetes_pod_labelpresent_" + sanitized] = "true"
        }
        for (name, value) in pod.annotations {
            let sanitized = Self.sanitize(name)
            common["__meta_kubernetes_pod_annotation_" + sanitized] = value
            common["__meta_kubernetes_pod_annotationpresent_" + sanitized] = "true"
        }
        common["__metrics_path__"] = defaultPath
        common["__scheme__"] = defaultScheme
        var result: [LabelSet] = []
        for container in pod.containers {
            var base = common
            base["__meta_kubernetes_pod_container_name"] = container.name
            base["__meta_kubernetes_pod_container_image"] = container.image
            base["__meta_kubernetes_pod_container_init"] = container.isInit ? "true" : "false"
            if container.ports.isEmpty {
                base["__address__"] = pod.podIP
                result.append(base)
                continue
            }
            for port in container.ports {
                var candidate = base
                candidate["__address__"] = Self.hostPort(pod.podIP, port.number)
                candidate["__meta_kubernetes_pod_container_port_name"] = port.name
                candidate["__meta_kubernetes_pod_container_port_number"] = String(port.number)
                candidate["__meta_kubernetes_pod_container_port_protocol"] = port.protocol
                result.append(candidate)
            }
        }
        return result
    }

    /// Relabels every candidate; the survivors become targets scraped through the pod proxy.
    func relabeledTargets(for pod: PodInfo, relabeler: Relabeler) -> PodTargets {
        var kept: [(labels: LabelSet, port: String, scheme: String, path: String, parameters: [Label])] = []
        var result = PodTargets()
        for var labels in candidates(for: pod) {
            guard relabeler.process(&labels) else { continue }
            let address = labels.get("__address__")
            guard let port = Self.port(of: address, podIP: pod.podIP, scheme: labels.get("__scheme__")) else {
                result.refused.append(RefusedPod(
                    cluster: cluster, namespace: pod.namespace, pod: pod.name,
                    reason: "__address__ after relabeling does not name the pod's IP and a port; "
                        + "Crowsnest scrapes only the pod itself, through the API server's proxy"))
                continue
            }
            let scheme = labels.get("__scheme__").isEmpty ? defaultScheme : labels.get("__scheme__")
            let path = labels.get("__metrics_path__").isEmpty ? defaultPath : labels.get("__metrics_path__")
            let parameters = labels.labels.compactMap { label -> Label? in
                label.name.hasPrefix("__param_") ? Label(String(label.name.dropFirst(8)), label.value) : nil
            }
            do throws(ProxyPath.Refusal) {
                _ = try ProxyPath.build(namespace: pod.namespace, pod: pod.name, scheme: scheme, port: port, path: path)
            } catch {
                result.refused.append(RefusedPod(cluster: cluster, namespace: pod.namespace, pod: pod.name,
                                                 reason: "port \(port): \(error.reason)"))
                continue
            }
            labels.removeMetaLabels()
            if kept.contains(where: { $0.port == port && $0.labels == labels }) { continue }
            kept.append((labels, port, scheme, path, parameters))
        }
        let several = Set(kept.map(\.port)).count > 1
        var seenPorts = Set<String>()
        for target in kept where seenPorts.insert(target.port).inserted {
            var labels = staticLabels
            for label in target.labels { labels[label.name] = label.value }
            if several && labels["port"] == nil { labels["port"] = target.port }
            labels["cluster"] = cluster
            result.targets.append(
                ScrapeTarget(
                    key: TargetKey(cluster: cluster, namespace: pod.namespace, pod: pod.name, port: target.port),
                    scheme: target.scheme, path: target.path, parameters: target.parameters, labels: labels.labels
                )
            )
        }
        return result
    }

    /// Prometheus' `strutil.SanitizeLabelName`: every byte outside `[a-zA-Z0-9_]` becomes `_`.
    static func sanitize(_ name: String) -> String {
        var bytes = Array(name.utf8)
        for index in bytes.indices {
            let byte = bytes[index]
            let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
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
