import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

@Suite("Pod watches", .timeLimit(.minutes(2)))
struct WatchTests {
    @Test func initialStateThenChanges() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 3)
            let result = try await client.watch(
                "/api/v1/namespaces/a/pods?watch=1",
                until: { $0.count >= 6 },
                whileOpen: {
                    try await waitForWatch(cluster)
                    try cluster.pods.add(SimulatedPod(namespace: "a", name: "new"))
                    try cluster.pods.update(namespace: "a", name: "new") { $0.ready = false }
                    try cluster.pods.add(SimulatedPod(namespace: "other", name: "elsewhere"))
                    try cluster.pods.delete(namespace: "a", name: "pod-0")
                }
            )
            #expect(result.types == ["ADDED", "ADDED", "ADDED", "ADDED", "MODIFIED", "DELETED"])
            #expect(result.names("DELETED") == ["pod-0"])
            let object = result.events[3]["object"] as? [String: Any] ?? [:]
            #expect(object["kind"] as? String == "Pod")
            #expect(object["apiVersion"] as? String == "v1")
            #expect(result.sawUnalignedChunk)
        }
    }

    @Test func resumesFromResourceVersion() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 3)
            let start = cluster.pods.resourceVersion
            try cluster.pods.update(namespace: "a", name: "pod-1") { $0.labels["x"] = "y" }
            try cluster.pods.delete(namespace: "a", name: "pod-2")
            let result = try await client.watch(
                "/api/v1/pods?watch=true&resourceVersion=\(start)",
                until: { $0.count >= 2 }
            )
            #expect(result.types == ["MODIFIED", "DELETED"])
            let rv = (result.events[1]["object"] as? [String: Any])?[path: "metadata", "resourceVersion"] as? String
            #expect(rv == String(cluster.pods.resourceVersion))
        }
    }

    @Test func tooOldResourceVersionIsErrorEvent() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 2)
            let old = cluster.pods.resourceVersion - 1
            cluster.pods.compact()
            let result = try await client.watch("/api/v1/pods?watch=1&resourceVersion=\(old)")
            #expect(result.status == 200)
            #expect(result.endedByServer)
            #expect(result.types == ["ERROR"])
            let status = result.events[0]["object"] as? [String: Any] ?? [:]
            #expect(status["kind"] as? String == "Status")
            #expect(status["code"] as? Int == 410)
            #expect(status["reason"] as? String == "Expired")
            #expect(
                status["message"] as? String == "too old resource version: \(old) (\(cluster.pods.resourceVersion))"
            )
        }
    }

    @Test func forcedExpiryFault() async throws {
        try await withCluster { cluster, client in
            cluster.updateFaults { $0.expireNextWatches = 1 }
            let first = try await client.watch("/api/v1/pods?watch=1")
            #expect(first.types == ["ERROR"])
            let second = try await client.watch("/api/v1/pods?watch=1&timeoutSeconds=1")
            #expect(second.types.isEmpty)
            #expect(second.endedByServer)
        }
    }

    @Test func bookmarksAndTimeout() async throws {
        var configuration = ClusterConfiguration(name: "bookmarks")
        configuration.bookmarkInterval = .milliseconds(300)
        try await withCluster(configuration) { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 1)
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await client.watch("/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=2")
            let elapsed = clock.now - started
            #expect(result.endedByServer)
            #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(12))
            #expect(result.types.first == "ADDED")
            let bookmarks = result.events.filter { $0["type"] as? String == "BOOKMARK" }
            #expect(bookmarks.count >= 3)
            let object = bookmarks.first?["object"] as? [String: Any] ?? [:]
            #expect(object["kind"] as? String == "Pod")
            #expect(object[path: "metadata", "resourceVersion"] as? String == String(cluster.pods.resourceVersion))
            // Without allowWatchBookmarks there are none.
            let plain = try await client.watch("/api/v1/pods?watch=1&timeoutSeconds=1")
            #expect(!plain.types.contains("BOOKMARK"))
        }
    }

    @Test func watchListSendsInitialEventsEndBookmark() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 2)
            let result = try await client.watch(
                "/api/v1/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
                until: { $0.count >= 3 }
            )
            #expect(result.types == ["ADDED", "ADDED", "BOOKMARK"])
            let annotations =
                (result.events[2]["object"] as? [String: Any])?[path: "metadata", "annotations"] as? [String: Any]
            #expect(annotations?["k8s.io/initial-events-end"] as? String == "true")
        }
    }

    @Test func selectorTransitionsBecomeAddedAndDeleted() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 2)
            let result = try await client.watch(
                "/api/v1/pods?watch=1&labelSelector=role%3Dcanary",
                until: { $0.count >= 3 },
                whileOpen: {
                    try await waitForWatch(cluster)
                    try cluster.pods.update(namespace: "a", name: "pod-1") { $0.labels["role"] = "canary" }
                    try cluster.pods.update(namespace: "a", name: "pod-1") { $0.ready = false }
                    try cluster.pods.update(namespace: "a", name: "pod-1") { $0.labels["role"] = nil }
                }
            )
            #expect(result.types == ["ADDED", "MODIFIED", "DELETED"])
        }
    }

    @Test func droppedWatchesEnd() async throws {
        try await withCluster { cluster, client in
            let result = try await client.watch(
                "/api/v1/pods?watch=1",
                whileOpen: {
                    try await waitForWatch(cluster)
                    cluster.dropWatches(.endStream)
                }
            )
            #expect(result.endedByServer)
            #expect(cluster.pods.openWatchCount == 0)
            cluster.updateFaults { $0.dropWatchesAfter = .milliseconds(200) }
            let clock = ContinuousClock()
            let start = clock.now
            let dropped = try await client.watch("/api/v1/pods?watch=1")
            #expect(dropped.endedByServer)
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test func tableWatchForKubectl() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "a", count: 1)
            let result = try await client.watch(
                "/api/v1/pods?watch=1",
                headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")],
                until: { $0.count >= 1 }
            )
            let object = result.events.first?["object"] as? [String: Any] ?? [:]
            #expect(object["kind"] as? String == "Table")
            #expect((object["rows"] as? [Any])?.count == 1)
        }
    }
}

/// Waits (bounded) until the cluster has an open watch.
func waitForWatch(_ cluster: SimulatedCluster, count: Int = 1) async throws {
    for _ in 0..<200 {
        if cluster.pods.openWatchCount >= count { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("no watch opened")
}
