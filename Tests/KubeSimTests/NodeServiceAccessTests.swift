import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Node and Service access", .timeLimit(.minutes(2)))
struct NodeServiceAccessTests {
    static func setup(_ cluster: SimulatedCluster) throws {
        try cluster.addNodes(count: 2)
        try cluster.addExporterPods(namespace: "shop", count: 2, seriesPerPod: 5, namePrefix: "web")
        try cluster.addService(namespace: "shop", name: "web")
    }

    @Test func grantsAndDenials() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let scraper = Identity.serviceAccount(namespace: "monitoring", name: "scraper")
            var caller = client
            caller.token = cluster.issueToken(for: scraper)

            // Nothing granted yet: the real 403 Statuses.
            let nodes = try await caller.send("/api/v1/nodes")
            StatusTests.expectStatus(nodes, code: 403, reason: "Forbidden")
            #expect(
                nodes.json["message"] as? String
                    == "nodes is forbidden: User \"system:serviceaccount:monitoring:scraper\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
            )
            let proxy = try await caller.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor")
            #expect(proxy.status == 403)
            #expect(
                proxy.json["message"] as? String
                    == "nodes \"node-1\" is forbidden: User \"system:serviceaccount:monitoring:scraper\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"
            )
            let slices = try await caller.send("/apis/discovery.k8s.io/v1/endpointslices")
            #expect(slices.status == 403)
            #expect(
                slices.json["message"] as? String
                    == "endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:monitoring:scraper\" cannot list resource \"endpointslices\" in API group \"discovery.k8s.io\" at the cluster scope"
            )
            #expect(slices.json[path: "details", "group"] as? String == "discovery.k8s.io")
            #expect(try await caller.send("/api/v1/services").status == 403)

            cluster.policy.allowNodeScraping(.user(scraper.user))
            cluster.policy.allowServiceDiscovery(.user(scraper.user))
            #expect(try await caller.send("/api/v1/nodes").status == 200)
            #expect(try await caller.send("/api/v1/nodes/node-2").status == 200)
            #expect(try await caller.send("/api/v1/nodes/node-1/proxy/metrics/cadvisor").status == 200)
            #expect(try await caller.send("/api/v1/services").status == 200)
            #expect(try await caller.send("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices").status == 200)
            let watch = try await caller.watch("/api/v1/nodes?watch=1", until: { $0.count >= 2 })
            #expect(watch.types == ["ADDED", "ADDED"])

            // A deny fences off one namespace's slices.
            cluster.policy.deny(.user(scraper.user), resources: ["endpointslices"], namespaces: ["shop"])
            #expect(try await caller.send("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices").status == 403)
        }
    }

    @Test func selfSubjectAccessReviewCoversTheNewResources() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let scraper = Identity.serviceAccount(namespace: "monitoring", name: "scraper")
            cluster.policy.allowNodeScraping(.user(scraper.user))
            var caller = client
            caller.token = cluster.issueToken(for: scraper)
            func allowed(_ attributes: String) async throws -> Bool? {
                let response = try await caller.send(
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    method: .POST,
                    headers: [("Content-Type", "application/json")],
                    body:
                        #"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":"#
                        + attributes + "}}"
                )
                #expect(response.status == 201)
                return response.json[path: "status", "allowed"] as? Bool
            }
            let checks: [(String, Bool)] = [
                (#"{"verb":"list","resource":"nodes"}"#, true),
                (#"{"verb":"watch","resource":"nodes"}"#, true),
                (#"{"verb":"get","resource":"nodes","subresource":"proxy"}"#, true),
                (#"{"verb":"list","resource":"services"}"#, false),
                (#"{"verb":"list","group":"discovery.k8s.io","resource":"endpointslices"}"#, false),
            ]
            for (attributes, expected) in checks {
                let answer = try await allowed(attributes)
                #expect(answer == expected, "\(attributes)")
            }
            cluster.policy.allowServiceDiscovery(.user(scraper.user))
            let granted = [
                #"{"verb":"list","resource":"services"}"#,
                #"{"verb":"watch","group":"discovery.k8s.io","resource":"endpointslices"}"#,
            ]
            for attributes in granted {
                let answer = try await allowed(attributes)
                #expect(answer == true, "\(attributes)")
            }
        }
    }

    @Test func discoveryDocumentsListTheResources() async throws {
        try await withCluster { _, client in
            let core = try await client.send("/api/v1")
            let names = (core.json["resources"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            for name in ["nodes", "nodes/proxy", "pods", "pods/proxy", "services"] { #expect(names.contains(name)) }
            let groups = try await client.send("/apis")
            let groupNames = (groups.json["groups"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(groupNames.contains("discovery.k8s.io"))
            let discovery = try await client.send("/apis/discovery.k8s.io/v1")
            let resources = discovery.json["resources"] as? [[String: Any]] ?? []
            #expect(resources.first?["name"] as? String == "endpointslices")
            #expect(resources.first?["namespaced"] as? Bool == true)
            let group = try await client.send("/apis/discovery.k8s.io")
            #expect(group.json[path: "preferredVersion", "groupVersion"] as? String == "discovery.k8s.io/v1")
        }
    }
}
