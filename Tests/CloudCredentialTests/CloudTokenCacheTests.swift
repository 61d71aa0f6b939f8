import AsyncHTTPClient
import CrowsnestCore
import Foundation
import Synchronization
import Testing

@testable import CrowsnestKube

/// How ``ClusterCredentials`` caches and refreshes a built-in cloud token: shared fetches, refresh before expiry,
/// the last valid token kept while a refresh fails.
@Suite("Cloud token caching and refresh", .timeLimit(.minutes(1)))
struct CloudTokenCacheTests {
    /// A provider that hands out numbered tokens living `lifetime` seconds, or fails while `failing` is set.
    final class ScriptedProvider: CloudTokenProvider {
        let calls = Mutex(0)
        let failing = Mutex(false)
        let lifetime: TimeInterval
        let margin: TimeInterval

        init(lifetime: TimeInterval, margin: TimeInterval) {
            self.lifetime = lifetime
            self.margin = margin
        }

        func token() async throws(CloudCredentialError) -> CloudToken {
            let call = calls.withLock {
                $0 += 1
                return $0
            }
            try? await Task.sleep(for: .milliseconds(50))
            if failing.withLock({ $0 }) {
                throw CloudCredentialError("test source", "the token endpoint at http://127.0.0.1:1 answered HTTP 503")
            }
            return CloudToken(
                token: Secret("token-\(call)"),
                expiry: Date().addingTimeInterval(lifetime),
                refreshMargin: margin,
                identity: "tester"
            )
        }
    }

    static func credentials(_ provider: ScriptedProvider) -> ClusterCredentials {
        ClusterCredentials(
            config: ClusterConfig(
                name: "cloud",
                apiServer: try! APIServerURL(parsing: "https://127.0.0.1:6443"),
                auth: .aws(AWSAuthConfig(clusterName: "cloud"))
            ),
            cloud: provider
        )
    }

    @Test("concurrent requests share one fetch; the token is reused until its refresh margin")
    func sharedAndReused() async throws {
        let provider = ScriptedProvider(lifetime: 2, margin: 1)
        let credentials = Self.credentials(provider)
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<10 { group.addTask { try await credentials.current().authorization } }
            var all: [String?] = []
            for try await token in group { all.append(token) }
            return all
        }
        #expect(Set(tokens) == ["Bearer token-1"])
        #expect(provider.calls.withLock { $0 } == 1)
        #expect(credentials.status.identity == "tester")
        #expect(credentials.status.kind == "aws")
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await credentials.current().authorization == "Bearer token-2")
    }

    @Test("a failing refresh keeps the valid token (error shown), retried at most every 10 s, until it expires")
    func lastValidTokenKept() async throws {
        let provider = ScriptedProvider(lifetime: 4, margin: 3.5)
        let credentials = Self.credentials(provider)
        #expect(try await credentials.current().authorization == "Bearer token-1")
        provider.failing.withLock { $0 = true }
        try await Task.sleep(for: .milliseconds(700))
        #expect(try await credentials.current().authorization == "Bearer token-1")
        #expect(credentials.status.lastError?.contains("answered HTTP 503 (using the previous credential") == true)
        let calls = provider.calls.withLock { $0 }
        #expect(try await credentials.current().authorization == "Bearer token-1")
        #expect(provider.calls.withLock { $0 } == calls, "no new fetch within the retry interval")
        try await Task.sleep(for: .milliseconds(3500))
        do {
            _ = try await credentials.current()
            Issue.record("an expired token must not be used")
        } catch {
            #expect(error.code == .credentials)
            #expect(
                error.message
                    == "cluster cloud: test source: the token endpoint at http://127.0.0.1:1 answered HTTP 503"
            )
        }
        provider.failing.withLock { $0 = false }
        #expect(try await credentials.current().authorization?.hasPrefix("Bearer token-") == true)
        #expect(credentials.status.lastError == nil)
    }
}
