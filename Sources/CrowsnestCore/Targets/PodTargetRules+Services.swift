extension PodTargetRules {
    /// The targets behind `service` (README, "Services"): for a Service annotated `prometheus.io/scrape: "true"`,
    /// every ready endpoint of its EndpointSlices whose `targetRef` is a Pod, scraped through that pod's proxy, as
    /// Prometheus' `kubernetes-service-endpoints` convention does.
    ///
    /// The port is `prometheus.io/port` (a number, or the name of a slice port), else every TCP port of the slice;
    /// path and scheme come from `prometheus.io/path` and `prometheus.io/scheme`. Labels are `cluster`, `namespace`,
    /// `pod_name`, `service` (and `port` when a pod has several), plus the static labels; the cluster's
    /// `relabel_configs` refine each target over Prometheus' `role: endpointslice` meta labels (with the Service's
    /// and the pod's), in either relabel mode. An endpoint that is not a pod, a slice whose addresses are not IPs and
    /// an annotation naming no port are refused with the reason. Endpoints repeated across slices give one target.
    ///
    /// - Parameters:
    ///   - service: the Service.
    ///   - slices: its EndpointSlices (labelled `kubernetes.io/service-name`), in name order.
    ///   - pods: the known pods by `namespace/name`, for their meta labels (a pod not known yet still gets a target).
    /// - Returns: the targets, sorted by key, and the refusals.
    public func targets(for service: ServiceInfo, slices: [EndpointSliceInfo], pods: [String: PodInfo]) -> PodTargets {
        guard service.asksToBeScraped, !excludedNamespaces.contains(service.namespace) else { return .none }
        let path = service.annotations["prometheus.io/path"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        let scheme = service.annotations["prometheus.io/scheme"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultScheme
        let written = service.annotations["prometheus.io/port"].flatMap { $0.isEmpty ? nil : $0 }
        var result = PodTargets()
        var chosen: [(pod: String, port: Int, labels: LabelSet, target: RelabeledTarget)] = []
        for slice in slices {
            guard slice.addressType == "IPv4" || slice.addressType == "IPv6" else {
                result.refused.append(
                    serviceRefusal(
                        service,
                        slice.name,
                        "EndpointSlice has addressType \(slice.addressType); only IP endpoints "
                            + "of pods can be scraped"
                    )
                )
                continue
            }
            let ports: [EndpointSliceInfo.Port]
            switch Self.servicePorts(written, slice: slice) {
            case .success(let found): ports = found
            case .failure(let refusal):
                result.refused.append(serviceRefusal(service, slice.name, refusal.reason))
                continue
            }
            for endpoint in slice.endpoints where endpoint.isReady {
                guard let reference = endpoint.targetRef, reference.kind == "Pod", !reference.name.isEmpty else {
                    let what = endpoint.targetRef.map { "a \($0.kind) (\($0.name))" } ?? "no targetRef"
                    result.refused.append(
                        serviceRefusal(
                            service,
                            endpoint.addresses.first ?? slice.name,
                            "endpoint of EndpointSlice \(slice.name) points at \(what), not a Pod; Crowsnest scrapes "
                                + "pods through the API server's pod proxy"
                        )
                    )
                    continue
                }
                let podNamespace = reference.namespace.isEmpty ? slice.namespace : reference.namespace
                guard podNamespace == service.namespace else { continue }
                let address = endpoint.addresses.first ?? ""
                let pod = pods[podNamespace + "/" + reference.name]
                for port in ports {
                    guard let number = port.port else { continue }
                    var labels = endpointMetaLabels(service: service, slice: slice, endpoint: endpoint, port: port)
                    if let pod {
                        for label in podMetaLabels(pod).labels { labels[label.name] = label.value }
                        if let container = pod.containers.first(where: { $0.ports.contains { $0.number == number } }) {
                            Self.addContainerMetaLabels(
                                container,
                                port: container.ports.first { $0.number == number },
                                to: &labels
                            )
                        }
                    }
                    for label in staticLabels.labels { labels[label.name] = label.value }
                    labels["__address__"] = Self.hostPort(address, number)
                    labels["__metrics_path__"] = path
                    labels["__scheme__"] = scheme
                    if let relabeler, !relabeler.process(&labels) { continue }
                    let podInfo = PodInfo(namespace: podNamespace, name: reference.name, podIP: address)
                    switch relabeled(labels, pod: podInfo) {
                    case .target(let target):
                        if chosen.contains(where: { $0.pod == reference.name && $0.target.port == target.port }) {
                            continue
                        }
                        chosen.append((reference.name, number, labels, target))
                    case .refused(let refusal):
                        var refusal = refusal
                        refusal.reason = "Service \(service.name): " + refusal.reason
                        result.refused.append(refusal)
                    }
                }
            }
        }
        var portsPerPod: [String: Int] = [:]
        for entry in chosen { portsPerPod[entry.pod, default: 0] += 1 }
        for entry in chosen {
            var labels = entry.target.labels
            for name in ClusterConfig.identityLabelNames { labels[name] = nil }
            labels["cluster"] = cluster
            labels["namespace"] = service.namespace
            labels["pod_name"] = entry.pod
            labels["service"] = service.name
            if (portsPerPod[entry.pod] ?? 0) > 1 && labels["port"] == nil { labels["port"] = entry.target.port }
            result.targets.append(
                ScrapeTarget(
                    key: TargetKey(
                        cluster: cluster,
                        namespace: service.namespace,
                        pod: entry.pod,
                        port: entry.target.port
                    ),
                    scheme: entry.target.scheme,
                    path: entry.target.path,
                    parameters: entry.target.parameters,
                    labels: labels.labels
                )
            )
        }
        result.targets.sort { $0.key < $1.key }
        return result
    }

    /// The slice ports a Service's targets use: the one `prometheus.io/port` names (a number, used even when the
    /// slice does not list it, as the Prometheus convention rewrites the address; or a slice port's name), else
    /// every TCP port of the slice.
    static func servicePorts(_ written: String?, slice: EndpointSliceInfo) -> Result<
        [EndpointSliceInfo.Port], ProxyPath.Refusal
    > {
        guard let written else { return .success(slice.ports.filter { $0.protocol == "TCP" && $0.port != nil }) }
        if let number = Int(written) {
            guard (1...65535).contains(number) else {
                return .failure(ProxyPath.Refusal(reason: "prometheus.io/port \(written) is not a port number"))
            }
            let named = slice.ports.first { $0.port == number }
            return .success([EndpointSliceInfo.Port(name: named?.name ?? "", port: number)])
        }
        guard let named = slice.ports.first(where: { $0.name == written && $0.port != nil }) else {
            let names = slice.ports.map { $0.name.isEmpty ? String($0.port ?? 0) : $0.name }.joined(separator: ", ")
            return .failure(
                ProxyPath.Refusal(
                    reason: "prometheus.io/port \(ConfigText.quote(written)) names no port of the Service's endpoints "
                        + "(they have: \(names.isEmpty ? "none" : names))"
                )
            )
        }
        return .success([named])
    }

    /// Prometheus' `role: endpointslice` meta labels of one endpoint port, with the Service's.
    func endpointMetaLabels(
        service: ServiceInfo,
        slice: EndpointSliceInfo,
        endpoint: EndpointSliceInfo.Endpoint,
        port: EndpointSliceInfo.Port
    ) -> LabelSet {
        var labels = LabelSet()
        labels["__meta_kubernetes_namespace"] = slice.namespace
        labels["__meta_kubernetes_endpointslice_name"] = slice.name
        labels["__meta_kubernetes_endpointslice_address_type"] = slice.addressType
        for (name, value) in slice.labels {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_endpointslice_label_" + sanitized] = value
            labels["__meta_kubernetes_endpointslice_labelpresent_" + sanitized] = "true"
        }
        for (name, value) in slice.annotations {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_endpointslice_annotation_" + sanitized] = value
            labels["__meta_kubernetes_endpointslice_annotationpresent_" + sanitized] = "true"
        }
        if let reference = endpoint.targetRef {
            labels["__meta_kubernetes_endpointslice_address_target_kind"] = reference.kind
            labels["__meta_kubernetes_endpointslice_address_target_name"] = reference.name
        }
        func flag(_ value: Bool?) -> String? { value.map { $0 ? "true" : "false" } }
        labels["__meta_kubernetes_endpointslice_endpoint_conditions_ready"] = flag(endpoint.ready)
        labels["__meta_kubernetes_endpointslice_endpoint_conditions_serving"] = flag(endpoint.serving)
        labels["__meta_kubernetes_endpointslice_endpoint_conditions_terminating"] = flag(endpoint.terminating)
        labels["__meta_kubernetes_endpointslice_endpoint_hostname"] = endpoint.hostname
        labels["__meta_kubernetes_endpointslice_endpoint_node_name"] = endpoint.nodeName
        labels["__meta_kubernetes_endpointslice_endpoint_zone"] = endpoint.zone
        labels["__meta_kubernetes_endpointslice_port"] = port.port.map(String.init)
        labels["__meta_kubernetes_endpointslice_port_name"] = port.name
        labels["__meta_kubernetes_endpointslice_port_protocol"] = port.protocol
        labels["__meta_kubernetes_endpointslice_port_app_protocol"] = port.appProtocol
        labels["__meta_kubernetes_service_name"] = service.name
        labels["__meta_kubernetes_service_type"] = service.type
        labels["__meta_kubernetes_service_cluster_ip"] = service.clusterIP
        for (name, value) in service.labels {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_service_label_" + sanitized] = value
            labels["__meta_kubernetes_service_labelpresent_" + sanitized] = "true"
        }
        for (name, value) in service.annotations {
            let sanitized = Self.sanitize(name)
            labels["__meta_kubernetes_service_annotation_" + sanitized] = value
            labels["__meta_kubernetes_service_annotationpresent_" + sanitized] = "true"
        }
        return labels
    }

    func serviceRefusal(_ service: ServiceInfo, _ subject: String, _ reason: String) -> RefusedPod {
        RefusedPod(
            cluster: cluster,
            namespace: service.namespace,
            pod: subject,
            reason: "Service \(service.name): \(reason)"
        )
    }
}
