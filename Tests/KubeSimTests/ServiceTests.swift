import Foundation
import KubeSim
import NIOCore
import Testing

@Suite("Services and EndpointSlices", .timeLimit(.minutes(2)))
struct ServiceTests {
    /// Three nodes, four exporter pods `web-0…3` (port `metrics` 9102) behind an annotated Service `web`.
    static func setup(_ cluster: SimulatedCluster) throws {
        try cluster.addNodes(count: 3, labels: ["topology.kubernetes.io/zone": "zone-a"])
        try cluster.addExporterPods(namespace: "shop", count: 4, seriesPerPod: 5, namePrefix: "web")
        try cluster.addService(namespace: "shop", name: "web", scrapePort: 9102, scrapePath: "/metrics")
    }

    static func slices(_ cluster: SimulatedCluster, _ service: String) -> [SimulatedEndpointSlice] {
        cluster.endpointSlices.all().filter { $0.serviceName == service }
    }

    @Test func controllerBuildsSlicesFromPods() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let list = try await client.send("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices")
            #expect(list.status == 200)
            #expect(list.json["kind"] as? String == "EndpointSliceList")
            #expect(list.json["apiVersion"] as? String == "discovery.k8s.io/v1")
            let items = try #require(list.json["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let slice = try #require(items.first)
            #expect(slice["addressType"] as? String == "IPv4")
            let labels = try #require(slice[path: "metadata", "labels"] as? [String: String])
            #expect(labels["kubernetes.io/service-name"] == "web")
            #expect(labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
            let owners = try #require(slice[path: "metadata", "ownerReferences"] as? [[String: Any]])
            #expect(owners.first?["kind"] as? String == "Service")
            #expect(owners.first?["name"] as? String == "web")
            let ports = try #require(slice["ports"] as? [[String: Any]])
            #expect(ports.count == 1)
            #expect(ports.first?["name"] as? String == "metrics")
            #expect(ports.first?["port"] as? Int == 9102)  // the named target port, resolved
            let endpoints = try #require(slice["endpoints"] as? [[String: Any]])
            #expect(endpoints.count == 4)
            let first = try #require(endpoints.first)
            #expect(first[path: "conditions", "ready"] as? Bool == true)
            #expect(first[path: "conditions", "serving"] as? Bool == true)
            #expect(first[path: "conditions", "terminating"] as? Bool == false)
            #expect(first[path: "targetRef", "kind"] as? String == "Pod")
            #expect(first[path: "targetRef", "name"] as? String == "web-0")
            #expect(first["nodeName"] as? String == "node-1")
            #expect(first["zone"] as? String == "zone-a")
            let pod = try #require(cluster.pods.get(namespace: "shop", name: "web-0"))
            #expect(first[path: "targetRef", "uid"] as? String == pod.uid)
            #expect(first["addresses"] as? [String] == [pod.podIP!])

            let service = try await client.send("/api/v1/namespaces/shop/services/web")
            #expect(service.json["kind"] as? String == "Service")
            #expect(service.json[path: "metadata", "annotations", "prometheus.io/scrape"] as? String == "true")
            #expect(service.json[path: "metadata", "annotations", "prometheus.io/port"] as? String == "9102")
            let servicePorts = try #require(service.json[path: "spec", "ports"] as? [[String: Any]])
            #expect(servicePorts.first?["targetPort"] as? String == "metrics")
            let all = try await client.send("/api/v1/services")
            #expect((all.json["items"] as? [Any])?.count == 1)
            let allSlices = try await client.send("/apis/discovery.k8s.io/v1/endpointslices")
            #expect((allSlices.json["items"] as? [Any])?.count == 1)
            let missing = try await client.send("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/nope")
            #expect(missing.status == 404)
            #expect(missing.json["message"] as? String == "endpointslices.discovery.k8s.io \"nope\" not found")
            #expect(missing.json[path: "details", "group"] as? String == "discovery.k8s.io")
            #expect(missing.json[path: "details", "kind"] as? String == "endpointslices")
        }
    }

    @Test func slicesFollowPodChanges() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let start = cluster.endpointSlices.resourceVersion
            let result = try await client.watch(
                "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?watch=1&resourceVersion=\(start)",
                until: { $0.count >= 4 },
                whileOpen: {
                    try await Task.sleep(for: .milliseconds(200))
                    try cluster.pods.update(namespace: "shop", name: "web-1") { $0.ready = false }
                    try cluster.pods.delete(namespace: "shop", name: "web-2")
                    try cluster.pods.add(
                        SimulatedPod(
                            namespace: "shop",
                            name: "web-9",
                            labels: ["app": "web"],
                            containers: [.init(name: "web", ports: [.init(name: "metrics", containerPort: 9102)])]
                        )
                    )
                    // No IP yet: not an endpoint, so no event. Then it gets one.
                    try cluster.pods.update(namespace: "shop", name: "web-9") { $0.podIP = "10.244.50.9" }
                    try cluster.pods.beginDeletion(namespace: "shop", name: "web-3")
                }
            )
            #expect(result.types == ["MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED"])
            let last = try #require(cluster.endpointSlices.all().first)
            let byName = Dictionary(uniqueKeysWithValues: last.endpoints.map { ($0.targetRef!.name, $0) })
            #expect(Set(byName.keys) == ["web-0", "web-1", "web-3", "web-9"])
            #expect(byName["web-1"]?.ready == false)
            #expect(byName["web-1"]?.serving == false)
            #expect(byName["web-3"]?.ready == false)
            #expect(byName["web-3"]?.serving == true)
            #expect(byName["web-3"]?.terminating == true)
            #expect(byName["web-9"]?.addresses == ["10.244.50.9"])
        }
    }

    @Test func serviceChangesRecompute() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "recompute"))
        try Self.setup(cluster)
        let before = try #require(Self.slices(cluster, "web").first)
        // A numeric target port.
        try cluster.services.update("web", namespace: "shop") {
            $0.ports = [.init(name: "http", port: 80, targetPort: 8080)]
        }
        let numeric = try #require(Self.slices(cluster, "web").first)
        #expect(numeric.ports == [.init(name: "http", port: 8080)])
        #expect(numeric.name != before.name)  // another port group: another slice
        #expect(Self.slices(cluster, "web").count == 1)
        // A selector that matches nothing leaves a placeholder.
        try cluster.services.update("web", namespace: "shop") { $0.selector = ["app": "nothing"] }
        let placeholder = try #require(Self.slices(cluster, "web").first)
        #expect(placeholder.endpoints.isEmpty)
        #expect(placeholder.ports.isEmpty)
        // A named port some pods lack: those pods land in a slice without that port.
        try cluster.services.update("web", namespace: "shop") {
            $0.selector = ["app": "web"]
            $0.ports = [.init(name: "metrics", port: 9102, targetPort: "metrics")]
        }
        try cluster.pods.update(namespace: "shop", name: "web-0") { $0.containers[0].ports = [] }
        let groups = Self.slices(cluster, "web")
        #expect(groups.count == 2)
        #expect(groups.contains { $0.ports.isEmpty && $0.endpoints.map(\.targetRef?.name) == ["web-0"] })
        // Deleting the Service removes its slices.
        try cluster.services.delete("web", namespace: "shop")
        #expect(Self.slices(cluster, "web").isEmpty)
    }

    @Test func atMostOneHundredEndpointsPerSlice() throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "big"))
        try cluster.addPlainPods(namespace: "big", count: 250, namePrefix: "api")
        try cluster.addService(
            namespace: "big",
            name: "api",
            ports: [.init(name: "http", port: 80, targetPort: "http")]
        )
        let slices = Self.slices(cluster, "api")
        #expect(slices.map(\.endpoints.count).sorted() == [50, 100, 100])
        #expect(Set(slices.flatMap { $0.endpoints.map(\.targetRef!.name) }).count == 250)
        #expect(slices.allSatisfy { $0.ports == [.init(name: "http", port: 8080)] })
    }

    @Test func handMadeSlicesAreServedAndLeftAlone() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            try cluster.addService(namespace: "shop", name: "external", selector: [:], scrapePort: 9102)
            try cluster.services.update("external", namespace: "shop") { $0.selector = nil }
            let label = [SimulatedEndpointSlice.serviceNameLabel: "external"]
            try cluster.endpointSlices.add(contentsOf: [
                SimulatedEndpointSlice(
                    namespace: "shop",
                    name: "external-a",
                    labels: label,
                    endpoints: [
                        .init(addresses: ["10.1.1.1"]),  // no targetRef
                        .init(
                            addresses: ["10.1.1.2"],
                            targetRef: .init(kind: "Node", namespace: "", name: "node-1")
                        ),
                        .init(addresses: ["10.1.1.3"], targetRef: .init(namespace: "shop", name: "web-0")),
                    ],
                    ports: [.init(name: "metrics", port: 9102)]
                ),
                SimulatedEndpointSlice(
                    namespace: "shop",
                    name: "external-b",
                    labels: label,
                    endpoints: [.init(addresses: ["10.1.1.3"], targetRef: .init(namespace: "shop", name: "web-0"))],
                    ports: [.init(name: "metrics", port: 9102)]
                ),
                SimulatedEndpointSlice(
                    namespace: "shop",
                    name: "external-fqdn",
                    labels: label,
                    addressType: "FQDN",
                    endpoints: [.init(addresses: ["metrics.example.com"])],
                    ports: [.init(name: "metrics", port: 9102)]
                ),
            ])
            // A pod change reconciles the controller's slices but leaves these.
            try cluster.pods.update(namespace: "shop", name: "web-1") { $0.ready = false }
            #expect(Self.slices(cluster, "external").map(\.name) == ["external-a", "external-b", "external-fqdn"])
            let listed = try await client.send(
                "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dexternal"
            )
            let items = try #require(listed.json["items"] as? [[String: Any]])
            #expect(items.count == 3)
            #expect(items.last?["addressType"] as? String == "FQDN")
            let first = try #require((items.first?["endpoints"] as? [[String: Any]])?.first)
            #expect(first["targetRef"] == nil)
            #expect(throws: KubeSimError.self) {
                try cluster.endpointSlices.add(
                    SimulatedEndpointSlice(
                        namespace: "shop",
                        name: "bad",
                        addressType: "IPv5",
                        endpoints: [],
                        ports: []
                    )
                )
            }
        }
    }

    @Test func servicesWatchAndSelectors() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let start = cluster.services.resourceVersion
            let result = try await client.watch(
                "/api/v1/namespaces/shop/services?watch=1&resourceVersion=\(start)",
                until: { $0.count >= 2 },
                whileOpen: {
                    try await Task.sleep(for: .milliseconds(200))
                    try cluster.services.update("web", namespace: "shop") {
                        $0.annotations["prometheus.io/scrape"] = nil
                    }
                    try cluster.addService(namespace: "shop", name: "api", scrape: false)
                }
            )
            #expect(result.types == ["MODIFIED", "ADDED"])
            let byType = try await client.send("/api/v1/services?fieldSelector=spec.type%3DClusterIP")
            #expect((byType.json["items"] as? [Any])?.count == 2)
            let byLabel = try await client.send("/api/v1/namespaces/shop/services?labelSelector=app%3Dapi")
            #expect((byLabel.json["items"] as? [Any])?.count == 1)
            let wrongScope = try await client.send("/api/v1/services/web")
            #expect(wrongScope.status == 404)
        }
    }
}
