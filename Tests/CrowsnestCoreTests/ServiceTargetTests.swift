import CrowsnestCore
import Testing

@Suite("Targets behind Services")
struct ServiceTargetTests {
    static let rules = PodTargetRules(cluster: "prod", staticLabels: ["region": "eu"])

    static func service(_ annotations: [String: String] = ["prometheus.io/scrape": "true"]) -> ServiceInfo {
        ServiceInfo(
            namespace: "shop",
            name: "web",
            labels: ["app": "web"],
            annotations: annotations,
            ports: [ServiceInfo.Port(name: "http", port: 80)]
        )
    }

    static func endpoint(
        _ pod: String,
        _ ip: String,
        ready: Bool? = true,
        kind: String = "Pod"
    )
        -> EndpointSliceInfo.Endpoint
    {
        EndpointSliceInfo.Endpoint(
            addresses: [ip],
            ready: ready,
            targetRef: EndpointSliceInfo.Reference(kind: kind, name: pod, namespace: "shop"),
            nodeName: "node-1"
        )
    }

    static func slice(
        _ name: String = "web-abc12",
        addressType: String = "IPv4",
        ports: [EndpointSliceInfo.Port] = [EndpointSliceInfo.Port(name: "metrics", port: 9102)],
        endpoints: [EndpointSliceInfo.Endpoint]
    ) -> EndpointSliceInfo {
        EndpointSliceInfo(
            namespace: "shop",
            name: name,
            labels: ["kubernetes.io/service-name": "web"],
            addressType: addressType,
            ports: ports,
            endpoints: endpoints
        )
    }

    @Test("every ready Pod endpoint is a target through its pod's proxy, labels cluster, namespace, pod_name, service")
    func readyEndpoints() throws {
        let slices = [
            Self.slice(endpoints: [
                Self.endpoint("web-0", "10.1.0.1"), Self.endpoint("web-1", "10.1.0.2", ready: false),
                Self.endpoint("web-2", "10.1.0.3", ready: nil),
            ])
        ]
        let result = Self.rules.targets(for: Self.service(), slices: slices, pods: [:])
        #expect(result.refused.isEmpty)
        #expect(result.targets.map(\.key.pod) == ["web-0", "web-2"])
        let target = try #require(result.targets.first)
        #expect(target.key == TargetKey(cluster: "prod", namespace: "shop", pod: "web-0", port: "9102"))
        #expect(target.path == "/metrics")
        #expect(
            target.labels
                == (["cluster": "prod", "namespace": "shop", "pod_name": "web-0", "service": "web", "region": "eu"]
                as LabelSet).labels
        )
    }

    @Test("prometheus.io/port, path and scheme annotations; a port name that no endpoint port has is refused")
    func annotations() throws {
        let slices = [
            Self.slice(
                ports: [
                    EndpointSliceInfo.Port(name: "http", port: 8080),
                    EndpointSliceInfo.Port(name: "metrics", port: 9102),
                ],
                endpoints: [Self.endpoint("web-0", "10.1.0.1")]
            )
        ]
        let all = Self.rules.targets(for: Self.service(), slices: slices, pods: [:])
        #expect(all.targets.map(\.key.port) == ["8080", "9102"])
        #expect(all.targets.allSatisfy { $0.labels.contains(Label("port", $0.key.port)) })

        let named = Self.rules.targets(
            for: Self.service([
                "prometheus.io/scrape": "true", "prometheus.io/port": "metrics", "prometheus.io/path": "/stats",
                "prometheus.io/scheme": "https",
            ]),
            slices: slices,
            pods: [:]
        )
        let target = try #require(named.targets.first)
        #expect(named.targets.count == 1)
        #expect((target.key.port, target.path, target.scheme) == ("9102", "/stats", "https"))

        let numbered = Self.rules.targets(
            for: Self.service(["prometheus.io/scrape": "true", "prometheus.io/port": "9999"]),
            slices: slices,
            pods: [:]
        )
        #expect(numbered.targets.map(\.key.port) == ["9999"])

        let missing = Self.rules.targets(
            for: Self.service(["prometheus.io/scrape": "true", "prometheus.io/port": "nope"]),
            slices: slices,
            pods: [:]
        )
        #expect(missing.targets.isEmpty)
        #expect(missing.refused.count == 1)
        #expect(missing.refused.first?.reason.contains("names no port") == true)
    }

    @Test("endpoints that are not pods, FQDN slices, duplicates across slices: refused or scraped once")
    func badInput() {
        let slices = [
            Self.slice(
                "web-a",
                endpoints: [Self.endpoint("web-0", "10.1.0.1"), Self.endpoint("db", "10.9.9.9", kind: "Node")]
            ),
            Self.slice("web-b", endpoints: [Self.endpoint("web-0", "10.1.0.1")]),
            Self.slice(
                "web-c",
                endpoints: [EndpointSliceInfo.Endpoint(addresses: ["10.1.0.7"])]
            ),
            Self.slice("web-d", addressType: "FQDN", endpoints: [Self.endpoint("web-3", "web-3.example")]),
        ]
        let result = Self.rules.targets(for: Self.service(), slices: slices, pods: [:])
        #expect(result.targets.map(\.key.pod) == ["web-0"])
        #expect(result.refused.count == 3)
        #expect(result.refused.contains { $0.reason.contains("a Node (db)") })
        #expect(result.refused.contains { $0.reason.contains("no targetRef") })
        #expect(result.refused.contains { $0.reason.contains("FQDN") })
    }

    @Test("a Service without the annotation, or in an excluded namespace, yields nothing")
    func notAnnotated() {
        let slices = [Self.slice(endpoints: [Self.endpoint("web-0", "10.1.0.1")])]
        #expect(Self.rules.targets(for: Self.service([:]), slices: slices, pods: [:]) == .none)
        let excluded = PodTargetRules(cluster: "prod", excludedNamespaces: ["shop"])
        #expect(excluded.targets(for: Self.service(), slices: slices, pods: [:]) == .none)
    }

    @Test("relabel_configs see role: endpointslice meta labels with the Service's and the pod's; identity stays")
    func relabeling() throws {
        let relabeler = try Relabeler(rules: [
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_endpointslice_endpoint_node_name"],
                targetLabel: "node"
            ),
            RelabelRule(sourceLabels: ["__meta_kubernetes_service_label_app"], targetLabel: "app"),
            RelabelRule(sourceLabels: ["__meta_kubernetes_pod_label_tier"], targetLabel: "tier"),
            RelabelRule(targetLabel: "pod_name", replacement: "overwritten"),
            RelabelRule(sourceLabels: ["__meta_kubernetes_endpointslice_port_name"], regex: "debug", action: .drop),
        ])
        let rules = PodTargetRules(cluster: "prod", relabeler: relabeler)
        let pod = PodInfo(namespace: "shop", name: "web-0", labels: ["tier": "front"], podIP: "10.1.0.1")
        let slices = [
            Self.slice(
                ports: [
                    EndpointSliceInfo.Port(name: "metrics", port: 9102),
                    EndpointSliceInfo.Port(name: "debug", port: 6060),
                ],
                endpoints: [Self.endpoint("web-0", "10.1.0.1")]
            )
        ]
        let result = rules.targets(for: Self.service(), slices: slices, pods: [pod.key: pod])
        let target = try #require(result.targets.first)
        #expect(result.targets.count == 1)
        let labels = LabelSet(target.labels)
        #expect(labels["node"] == "node-1")
        #expect(labels["app"] == "web")
        #expect(labels["tier"] == "front")
        #expect(labels["pod_name"] == "web-0")
        #expect(labels["service"] == "web")
    }
}
