import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Pod lists")
struct ListTests {
    static func names(_ response: TestResponse) -> [String] {
        (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0[path: "metadata", "name"] as? String }
    }

    @Test func namespacedAndClusterWideLists() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 3)
            try cluster.addPlainPods(namespace: "a-b", count: 2)
            try cluster.addPlainPods(namespace: "b", count: 4)
            let all = try await client.send("/api/v1/pods")
            #expect(Self.names(all).count == 9)
            let a = try await client.send("/api/v1/namespaces/a/pods")
            #expect(Self.names(a).count == 3)
            #expect(a.json[path: "metadata", "resourceVersion"] as? String == String(cluster.pods.resourceVersion))
            let items = a.json["items"] as? [[String: Any]] ?? []
            #expect(items.allSatisfy { $0["kind"] == nil && $0["apiVersion"] == nil })
            #expect(items.first?[path: "status", "podIPs"] != nil)
            let none = try await client.send("/api/v1/namespaces/empty/pods")
            #expect(none.status == 200)
            #expect(Self.names(none).isEmpty)
        }
    }

    @Test func selectorsFilter() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 20)
            try cluster.pods.update(namespace: "a", name: "pod-3") { $0.phase = .pending }
            let shard = try await client.send("/api/v1/pods?labelSelector=shard%20in%20(1,2)")
            #expect(Self.names(shard).sorted() == ["pod-1", "pod-11", "pod-12", "pod-2"])
            let pending = try await client.send("/api/v1/pods?fieldSelector=status.phase%3DPending")
            #expect(Self.names(pending) == ["pod-3"])
            let byName = try await client.send("/api/v1/namespaces/a/pods?fieldSelector=metadata.name%3Dpod-7")
            #expect(Self.names(byName) == ["pod-7"])
            let combined = try await client.send(
                "/api/v1/pods?labelSelector=shard%3D3&fieldSelector=status.phase!%3DPending"
            )
            #expect(Self.names(combined) == ["pod-13"])
        }
    }

    @Test func pagingIsConsistentAcrossChanges() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 25)
            var seen: [String] = []
            var token: String?
            var resourceVersions: Set<String> = []
            var pages = 0
            repeat {
                let query = "limit=10" + (token.map { "&continue=" + $0 } ?? "")
                let page = try await client.send("/api/v1/pods?\(query)")
                #expect(page.status == 200, "\(page.text)")
                seen += Self.names(page)
                resourceVersions.insert(page.json[path: "metadata", "resourceVersion"] as? String ?? "")
                token = page.json[path: "metadata", "continue"] as? String
                if pages == 0 {
                    #expect(page.json[path: "metadata", "remainingItemCount"] as? Int == 15)
                    // Changes after the first page do not show up in later pages.
                    try cluster.pods.delete(namespace: "a", name: "pod-9")
                    try cluster.pods.add(SimulatedPod(namespace: "a", name: "pod-99"))
                }
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.count == 25)
            #expect(seen.contains("pod-9"))
            #expect(!seen.contains("pod-99"))
            #expect(resourceVersions.count == 1)
        }
    }

    @Test func expiredContinueIs410() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 5)
            let first = try await client.send("/api/v1/pods?limit=2")
            let token = try #require(first.json[path: "metadata", "continue"] as? String)
            try cluster.pods.add(SimulatedPod(namespace: "a", name: "zz-newer"))
            cluster.pods.compact()
            let expired = try await client.send("/api/v1/pods?limit=2&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired.json["reason"] as? String == "Expired")
            #expect(
                (expired.json["message"] as? String)?.hasPrefix("The provided continue parameter is too old") == true
            )
            let inconsistent = try #require(expired.json[path: "metadata", "continue"] as? String)
            let rest = try await client.send("/api/v1/pods?limit=100&continue=\(inconsistent)")
            #expect(rest.status == 200)
            #expect(Self.names(rest).contains("zz-newer"))
        }
    }

    @Test func resourceVersionSemantics() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 6)
            let before = cluster.pods.resourceVersion
            try cluster.pods.delete(namespace: "a", name: "pod-0")
            // RV=0 is served from the cache, ignoring limit.
            let any = try await client.send("/api/v1/pods?resourceVersion=0&limit=2")
            #expect(Self.names(any).count == 5)
            #expect(any.json[path: "metadata", "continue"] == nil)
            // Exact reads the past.
            let exact = try await client.send("/api/v1/pods?resourceVersion=\(before)&resourceVersionMatch=Exact")
            #expect(exact.status == 200)
            #expect(Self.names(exact).contains("pod-0"))
            #expect(exact.json[path: "metadata", "resourceVersion"] as? String == String(before))
            // NotOlderThan an old RV gives the latest.
            let notOlder = try await client.send(
                "/api/v1/pods?resourceVersion=\(before)&resourceVersionMatch=NotOlderThan"
            )
            #expect(!Self.names(notOlder).contains("pod-0"))
            // Too large: 504 Timeout with Retry-After.
            let future = try await client.send(
                "/api/v1/pods?resourceVersion=\(before + 1000)&resourceVersionMatch=Exact"
            )
            #expect(future.status == 504)
            #expect(future.headers.first(name: "Retry-After") == "1")
            #expect((future.json["message"] as? String)?.contains("Too large resource version") == true)
            // Exact on a compacted RV: 410.
            cluster.pods.compact()
            let old = try await client.send("/api/v1/pods?resourceVersion=\(before)&resourceVersionMatch=Exact")
            #expect(old.status == 410)
            #expect(old.json["message"] as? String == "The resourceVersion for the provided list is too old.")
        }
    }

    @Test func tableForKubectl() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 2)
            var pod = SimulatedPod(namespace: "a", name: "crashy", podIP: "10.1.1.1")
            pod.crashLoop(restarts: 3)
            try cluster.pods.add(pod)
            let accept =
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            let table = try await client.send("/api/v1/namespaces/a/pods", headers: [("Accept", accept)])
            #expect(table.json["kind"] as? String == "Table")
            #expect(table.json["apiVersion"] as? String == "meta.k8s.io/v1")
            let columns = (table.json["columnDefinitions"] as? [[String: Any]] ?? []).map { $0["name"] as? String }
            #expect(columns.prefix(5) == ["Name", "Ready", "Status", "Restarts", "Age"])
            let rows = table.json["rows"] as? [[String: Any]] ?? []
            #expect(rows.count == 3)
            let crashy = rows.first { ($0["cells"] as? [Any])?.first as? String == "crashy" }
            let cells = crashy?["cells"] as? [Any] ?? []
            #expect(cells[1] as? String == "0/1")
            #expect(cells[2] as? String == "CrashLoopBackOff")
            #expect((cells[3] as? String)?.hasPrefix("3 (") == true)
            #expect(crashy?[path: "object", "kind"] as? String == "PartialObjectMetadata")
            #expect(crashy?[path: "object", "metadata", "namespace"] as? String == "a")
            let metadataOnly = try await client.send(
                "/api/v1/pods",
                headers: [("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")]
            )
            #expect(metadataOnly.json["kind"] as? String == "PartialObjectMetadataList")
            let protobufFirst = try await client.send(
                "/api/v1/pods",
                headers: [("Accept", "application/vnd.kubernetes.protobuf,application/json")]
            )
            #expect(protobufFirst.json["kind"] as? String == "PodList")
            let yamlOnly = try await client.send("/api/v1/pods", headers: [("Accept", "text/html")])
            #expect(yamlOnly.status == 406)
        }
    }

    @Test func getSinglePodCarriesKind() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 1)
            let pod = try await client.send("/api/v1/namespaces/a/pods/pod-0")
            #expect(pod.status == 200)
            #expect(pod.json["kind"] as? String == "Pod")
            #expect(pod.json["apiVersion"] as? String == "v1")
            let missing = try await client.send("/api/v1/namespaces/a/pods/nope")
            #expect(missing.status == 404)
            #expect(missing.json["message"] as? String == "pods \"nope\" not found")
        }
    }

    @Test func namespaces() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 1)
            cluster.pods.createNamespace("empty")
            let list = try await client.send("/api/v1/namespaces")
            #expect(Self.names(list) == ["a", "empty"])
            #expect(try await client.send("/api/v1/namespaces/empty").json["kind"] as? String == "Namespace")
            #expect(try await client.send("/api/v1/namespaces/zzz").status == 404)
        }
    }
}
