import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

@Suite("Smoke")
struct SmokeTests {
    @Test func listsPodsOverTLS() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "default", count: 3)
            let response = try await client.send("/api/v1/pods")
            #expect(response.status == 200)
            let items = response.json["items"] as? [[String: Any]] ?? []
            #expect(items.count == 3)
            #expect(items.first?["kind"] == nil)
            #expect(response.json["kind"] as? String == "PodList")
        }
    }
}

@Suite("Peer binaries")
struct PeerBinaryTests {
    @Test func aMissingPeerFailsNamingItsPackage() throws {
        let matcher: KnownIssueMatcher = { issue in
            String(describing: issue).contains("kubesim-no-such-package")
        }
        try withKnownIssue(
            "the missing peer is reported",
            {
                _ = try PeerBinary.require("kubesim-no-such-peer", debianPackage: "kubesim-no-such-package")
            },
            matching: matcher
        )
    }
}
