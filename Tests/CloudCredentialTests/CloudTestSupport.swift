import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PeerSupport
import Synchronization
import Testing

@testable import CrowsnestKube

/// Helpers for the cloud credential tests: HTTP for the providers, EKS-style simulated clusters whose accepted keys
/// a test controls, and bounded waiting.
enum CloudTestSupport {
    /// One client for the suite, configured as the gateway's (no silent retries of refused connections).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: KubeHTTPClient.configuration())

    /// A ``CloudHTTP`` on the suite's client, reading `environment`, with a short timeout.
    static func http(_ environment: [String: String] = [:], timeout: Duration = .seconds(5)) -> CloudHTTP {
        CloudHTTP(client: client, environment: environment, timeout: timeout)
    }

    /// A ``CloudHTTP`` for providers that must not call anything.
    static func unusedHTTP() throws -> CloudHTTP { http() }

    /// The identity every test principal maps to.
    static let admin = Identity(user: "arn:aws:iam::123456789012:role/gateway", groups: ["system:masters"])

    /// Keys an EKS-style simulated cluster accepts, changeable while it runs; every key id it was asked about is
    /// recorded.
    final class AcceptedKeys: Sendable {
        private let keys = Mutex<[String: EKSAuthentication.Credential]>([:])
        private let asked = Mutex<[String]>([])

        func accept(
            _ id: String,
            secret: String,
            sessionToken: String? = nil,
            user: String = CloudTestSupport.admin.user
        ) {
            let credential = EKSAuthentication.Credential(
                accessKeyID: id,
                secretAccessKey: secret,
                identity: Identity(user: user, groups: ["system:masters"]),
                sessionToken: sessionToken
            )
            keys.withLock { $0[id] = credential }
        }

        func revoke(_ id: String) { _ = keys.withLock { $0.removeValue(forKey: id) } }

        func lookup(_ id: String) -> EKSAuthentication.Credential? {
            asked.withLock { if $0.last != id { $0.append(id) } }
            return keys.withLock { $0[id] }
        }

        /// Distinct key ids presented, in order.
        var presented: [String] {
            var seen: Set<String> = []
            return asked.withLock { $0 }.filter { seen.insert($0).inserted }
        }
    }

    /// An EKS-style simulated cluster named `name` accepting the keys in `keys`.
    static func eksCluster(_ name: String, keys: AcceptedKeys) throws -> SimulatedCluster {
        var configuration = ClusterConfiguration(name: name, gitVersion: "v1.31.4-eks-2d5f260")
        var eks = EKSAuthentication(clusterName: name, credentials: [])
        eks.lookup = { keys.lookup($0) }
        configuration.eks = eks
        return try SimulatedCluster(configuration)
    }

    /// A cluster config for `cluster` trusting its CA, with `auth`.
    static func config(_ cluster: SimulatedCluster, auth: ClusterAuth) throws -> ClusterConfig {
        ClusterConfig(
            name: cluster.name,
            apiServer: try APIServerURL(parsing: cluster.apiServerURL!),
            tls: TLSSettings(certificateAuthority: .pem(cluster.caCertificatePEM)),
            auth: auth
        )
    }

    /// GETs the pod list through `client`; the status code.
    static func listPods(_ client: KubeClusterClient) async throws -> Int {
        let response = try await client.get(path: "/api/v1/pods", deadline: .now() + .seconds(10))
        _ = try await response.body.collect(upTo: 4 << 20)
        return Int(response.status.code)
    }

    /// Waits (at most `timeout`) until `condition` holds, polling every 100 ms.
    static func eventually(
        _ timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
