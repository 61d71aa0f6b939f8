import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import PeerSupport
import Testing

@testable import CrowsnestKube

/// The built-in `gcp` kind: service-account keys (JWT bearer grant) and the metadata server, against KubeSim's
/// Google identity simulator, which Google's own `google-auth` library uses too.
@Suite("GKE clusters with built-in GCP credentials", .serialized, .timeLimit(.minutes(3)))
struct GKETests {
    static let identity = Identity(user: "crowsnest@sim-project.iam.gserviceaccount.com", groups: ["system:masters"])

    /// A GKE-style cluster trusting a Google identity simulator, both running for `body`.
    static func withGKE(
        tokenLifetime: Duration = .seconds(3600),
        _ body: (SimulatedCluster, GoogleIdentityServer) async throws -> Void
    ) async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "gke-sim", gitVersion: "v1.31.5-gke.1023000"))
        let google = GoogleIdentityServer(tokens: sim.tokens, tokenLifetime: tokenLifetime)
        try await sim.withRunning { sim in
            try await google.withRunning { google in try await body(sim, google) }
        }
    }

    static func client(
        _ sim: SimulatedCluster,
        _ config: GCPAuthConfig,
        environment: [String: String]
    ) throws
        -> KubeClusterClient
    {
        KubeClusterClient(
            config: try CloudTestSupport.config(sim, auth: .gcp(config)),
            httpClient: CloudTestSupport.client,
            logger: Logger(label: "test"),
            queriesPerSecond: 100,
            burst: 100,
            credentialCheckInterval: .seconds(5),
            environment: environment
        )
    }

    /// google-auth fetching a token with a key file, or from the metadata server when `keyFile` is empty.
    static let googleAuthScript = """
        import sys
        import google.auth.transport.requests as transport
        from google.oauth2 import service_account
        from google.auth import compute_engine
        scopes = ["https://www.googleapis.com/auth/cloud-platform"]
        if sys.argv[1]:
            credentials = service_account.Credentials.from_service_account_file(sys.argv[1], scopes=scopes)
        else:
            credentials = compute_engine.Credentials()
        credentials.refresh(transport.Request())
        print(credentials.token)
        """

    @Test("google-auth gets a token from the simulator with a key file and from its metadata server")
    func googleAuthAgrees() async throws {
        let python = try await PythonPeer.require(module: "google.auth.transport.requests", pipPackage: "google-auth")
        let folder = try TemporaryDirectory("gke-google-auth")
        defer { folder.remove() }
        try await Self.withGKE { sim, google in
            let keyFile = try folder.write(
                "key.json",
                try google.addServiceAccountKey(email: Self.identity.user, identity: Self.identity, isDefault: true)
            )
            let fromKey = try await PythonPeer.run(python, script: Self.googleAuthScript, arguments: [keyFile])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let fromMetadata = try await PythonPeer.run(
                python,
                script: Self.googleAuthScript,
                arguments: [""],
                environment: ["GCE_METADATA_HOST": google.metadataHost, "GCE_METADATA_IP": google.metadataHost]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(google.issued.map(\.token) == [fromKey, fromMetadata])
            #expect(sim.tokens.identity(for: fromKey)?.user == Self.identity.user)

            // A key the simulator did not issue is refused, as Google refuses it.
            let foreign = GoogleIdentityServer(tokens: BearerTokens())
            let foreignKey = try folder.write(
                "foreign.json",
                try foreign.addServiceAccountKey(email: Self.identity.user, identity: Self.identity)
                    .replacingOccurrences(of: "127.0.0.1:0", with: google.metadataHost)
            )
            await #expect(throws: (any Error).self) {
                _ = try await PythonPeer.run(python, script: Self.googleAuthScript, arguments: [foreignKey])
            }
        }
    }

    @Test("a key file: the cluster accepts Crowsnest's token; the service account is the identity; rotation")
    func keyFile() async throws {
        let folder = try TemporaryDirectory("gke-key")
        defer { folder.remove() }
        try await Self.withGKE { sim, google in
            let keyFile = try folder.write(
                "key.json",
                try google.addServiceAccountKey(email: Self.identity.user, identity: Self.identity)
            )
            let client = try Self.client(sim, GCPAuthConfig(credentialsFile: keyFile), environment: [:])
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(sim.requestLog.entries.last?.user == Self.identity.user)
            let status = client.credentialStatus
            #expect(status.kind == "gcp")
            #expect(status.identity == Self.identity.user)
            let left = try #require(status.expiry).timeIntervalSinceNow
            #expect(left > 3500 && left <= 3600)

            // Rotation: a new key replaces the old one in the file and at Google; the issued tokens are revoked.
            try folder.write(
                "key.json",
                try google.addServiceAccountKey(
                    email: Self.identity.user,
                    identity: Self.identity,
                    revokingOtherKeys: true
                )
            )
            sim.tokens.removeAll()
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(google.issued.count == 2)
        }
    }

    @Test("the metadata server (no file): GCE_METADATA_HOST redirects it; short-lived tokens are refreshed in time")
    func metadataServerRefresh() async throws {
        try await Self.withGKE(tokenLifetime: .seconds(3)) { sim, google in
            _ = try google.addServiceAccountKey(email: Self.identity.user, identity: Self.identity, isDefault: true)
            let client = try Self.client(sim, GCPAuthConfig(), environment: ["GCE_METADATA_HOST": google.metadataHost])
            var statuses: [Int] = []
            let end = ContinuousClock.now + .seconds(8)
            while ContinuousClock.now < end {
                statuses.append(try await CloudTestSupport.listPods(client))
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(google.issued.count >= 3 && google.issued.count <= 5, "about one token per 2.4 s")
            #expect(client.credentialStatus.identity == "metadata server default service account")
        }
    }

    @Test("failures name the step, the endpoint, the status and Google's error code; bad key files are explained")
    func failures() async throws {
        let folder = try TemporaryDirectory("gke-failures")
        defer { folder.remove() }
        try await Self.withGKE { sim, google in
            let keyJSON = try google.addServiceAccountKey(email: Self.identity.user, identity: Self.identity)
            let keyFile = try folder.write("key.json", keyJSON)
            google.fail(status: 400, error: "invalid_grant")
            func failure(_ file: String) async -> String? {
                let provider = GCPTokenProvider(
                    config: GCPAuthConfig(credentialsFile: file),
                    http: CloudTestSupport.http()
                )
                let error = await #expect(throws: CloudCredentialError.self) { _ = try await provider.token() }
                return error?.description
            }
            #expect(
                await failure(keyFile)
                    == "gcp credentials file \(keyFile): http://\(google.metadataHost) answered HTTP 400 invalid_grant: simulated"
            )
            google.recover()
            let broken = try folder.write("broken.json", "{\"type\": \"service_account\", \"private_key\": \"nope\"}")
            #expect(await failure(broken) == "gcp credentials file \(broken): the key has no client_email")
            let missing = folder.file("missing.json")
            #expect(
                await failure(missing)?.hasPrefix("gcp credentials file: cannot read GCP credentials file \(missing)")
                    == true
            )
            let noExpiry = CloudHTTP.Response(
                status: 200,
                body: "{\"access_token\":\"ya29.x\",\"token_type\":\"Bearer\"}"
            )
            #expect(throws: CloudCredentialError.self) {
                try GCPTokenProvider.oauthToken(noExpiry, endpoint: "http://x", step: "s", identity: "i", now: Date())
            }
            _ = sim
        }
    }
}
