import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import PeerSupport
import Testing

@testable import CrowsnestKube

/// The built-in `azure` kind: Entra ID's client-credentials grant (client secret, or a federated token as in AKS
/// workload identity) against KubeSim's Entra ID simulator, which Microsoft's `msal` uses too.
@Suite("AKS clusters with built-in Entra ID credentials", .serialized, .timeLimit(.minutes(3)))
struct AKSTests {
    static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    static let clientID = "0b3e1c5d-2f4a-4c6b-9d8e-7a6f5e4d3c2b"
    static let identity = Identity(user: "aks-gateway", groups: ["system:masters"])

    /// An AKS-style cluster trusting an Entra ID simulator, both running for `body`, with the simulator's CA written
    /// to a file (for `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE`).
    static func withAKS(
        tokenLifetime: Duration = .seconds(3599),
        _ body: (SimulatedCluster, EntraIDServer, String, TemporaryDirectory) async throws -> Void
    ) async throws {
        let folder = try TemporaryDirectory("aks")
        defer { folder.remove() }
        let sim = try SimulatedCluster(ClusterConfiguration(name: "aks-sim", gitVersion: "v1.30.7"))
        let entra = try EntraIDServer(tokens: sim.tokens, tenant: Self.tenant, tokenLifetime: tokenLifetime)
        let caFile = try folder.write("entra-ca.crt", entra.certificateAuthority.certificatePEM, permissions: 0o644)
        try await sim.withRunning { sim in
            try await entra.withRunning { entra in try await body(sim, entra, caFile, folder) }
        }
    }

    static func client(
        _ sim: SimulatedCluster,
        _ config: AzureAuthConfig,
        environment: [String: String]
    ) throws
        -> KubeClusterClient
    {
        KubeClusterClient(
            config: try CloudTestSupport.config(sim, auth: .azure(config)),
            httpClient: CloudTestSupport.client,
            logger: Logger(label: "test"),
            queriesPerSecond: 100,
            burst: 100,
            credentialCheckInterval: .seconds(5),
            environment: environment
        )
    }

    static let msalScript = """
        import sys, msal
        authority, client, secret, scope = sys.argv[1:5]
        app = msal.ConfidentialClientApplication(client, authority=authority, client_credential=secret,
            validate_authority=False, instance_discovery=False)
        result = app.acquire_token_for_client(scopes=[scope])
        if "access_token" not in result:
            print(result.get("error"), result.get("error_codes"), file=sys.stderr)
            sys.exit(1)
        print(result["access_token"])
        """

    @Test("msal gets a token from the simulator with the same client secret; the AKS cluster accepts it")
    func msalAgrees() async throws {
        let python = try await PythonPeer.require(module: "msal", pipPackage: "msal")
        try await Self.withAKS { sim, entra, caFile, _ in
            entra.register(
                clientID: Self.clientID,
                tenant: Self.tenant,
                secret: "msal-secret-1",
                identity: Self.identity
            )
            let arguments = [
                entra.authorityHost + "/" + Self.tenant, Self.clientID, "msal-secret-1",
                AzureAuthConfig.aksServerID + "/.default",
            ]
            let token = try await PythonPeer.run(
                python,
                script: Self.msalScript,
                arguments: arguments,
                environment: ["REQUESTS_CA_BUNDLE": caFile]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(entra.issued.map(\.token) == [token])
            #expect(entra.issued.first?.accepted == true)
            #expect(sim.tokens.identity(for: token)?.user == Self.identity.user)
            // A wrong secret is refused, as Entra refuses it.
            await #expect(throws: (any Error).self) {
                _ = try await PythonPeer.run(
                    python,
                    script: Self.msalScript,
                    arguments: [arguments[0], arguments[1], "wrong", arguments[3]],
                    environment: ["REQUESTS_CA_BUNDLE": caFile]
                )
            }
        }
    }

    @Test("a client secret file: the cluster accepts Crowsnest's token; client and tenant are the identity")
    func clientSecret() async throws {
        try await Self.withAKS { sim, entra, caFile, folder in
            entra.register(
                clientID: Self.clientID,
                tenant: Self.tenant,
                secret: "file-secret-1",
                identity: Self.identity
            )
            let secretFile = try folder.write("secret", "file-secret-1\n")
            let environment = ["AZURE_AUTHORITY_HOST": entra.authorityHost, "SSL_CERT_FILE": caFile]
            let client = try Self.client(
                sim,
                AzureAuthConfig(tenantID: Self.tenant, clientID: Self.clientID, clientSecretFile: secretFile),
                environment: environment
            )
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(sim.requestLog.entries.last?.user == Self.identity.user)
            let status = client.credentialStatus
            #expect(status.kind == "azure")
            #expect(status.identity == "client \(Self.clientID) (tenant \(Self.tenant))")
            let left = try #require(status.expiry).timeIntervalSinceNow
            #expect(left > 3500 && left <= 3599)

            // A token for another server application is issued by Entra but refused by this cluster.
            let other = try Self.client(
                sim,
                AzureAuthConfig(
                    tenantID: Self.tenant,
                    clientID: Self.clientID,
                    clientSecretFile: secretFile,
                    serverID: "11111111-2222-3333-4444-555555555555"
                ),
                environment: environment
            )
            #expect(try await CloudTestSupport.listPods(other) == 401)
            #expect(entra.issued.last?.accepted == false)

            // A rotated secret: Entra knows only the new one; the file is rewritten; the issued tokens revoked.
            entra.register(
                clientID: Self.clientID,
                tenant: Self.tenant,
                secret: "file-secret-2",
                identity: Self.identity
            )
            try folder.write("secret", "file-secret-2\n")
            sim.tokens.removeAll()
            #expect(try await CloudTestSupport.listPods(client) == 200)

            // A wrong secret: the step, the endpoint, the status and Entra's code, never the secret.
            try folder.write("secret", "file-secret-wrong\n")
            sim.tokens.removeAll()
            let error = await #expect(throws: KubeClientError.self) { _ = try await CloudTestSupport.listPods(client) }
            #expect(
                error?.message
                    == "cluster aks-sim: azure client secret (\(secretFile)): \(entra.authorityHost) answered HTTP 401 "
                    + "invalid_client: AADSTS7000215: Invalid client secret provided"
            )
            #expect(error.map { !$0.message.contains("file-secret") } == true)
        }
    }

    @Test(
        "workload identity: AZURE_* variables and a federated token file re-read after rotation; short tokens refreshed"
    )
    func workloadIdentity() async throws {
        try await Self.withAKS(tokenLifetime: .seconds(3)) { sim, entra, caFile, folder in
            entra.register(
                clientID: Self.clientID,
                tenant: Self.tenant,
                federatedToken: "federated-1",
                identity: Self.identity
            )
            let tokenFile = try folder.write("azure-identity-token", "federated-1")
            let client = try Self.client(
                sim,
                AzureAuthConfig(),
                environment: [
                    "AZURE_AUTHORITY_HOST": entra.authorityHost + "/", "SSL_CERT_FILE": caFile,
                    "AZURE_TENANT_ID": Self.tenant, "AZURE_CLIENT_ID": Self.clientID,
                    "AZURE_FEDERATED_TOKEN_FILE": tokenFile,
                ]
            )
            var statuses: [Int] = []
            let end = ContinuousClock.now + .seconds(7)
            var rotated = false
            while ContinuousClock.now < end {
                if !rotated, ContinuousClock.now > end - .seconds(4) {
                    // Kubernetes projects a new federated token; Entra trusts only the new one from now on.
                    entra.register(
                        clientID: Self.clientID,
                        tenant: Self.tenant,
                        federatedToken: "federated-2",
                        identity: Self.identity
                    )
                    try folder.write("azure-identity-token", "federated-2")
                    rotated = true
                }
                statuses.append(try await CloudTestSupport.listPods(client))
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(entra.issued.count >= 3 && entra.issued.count <= 5, "about one token per 2.4 s")
            #expect(entra.issued.allSatisfy { $0.accepted })
        }
    }
}
