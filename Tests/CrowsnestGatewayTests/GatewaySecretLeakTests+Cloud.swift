import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import PeerSupport
import Synchronization
import Testing

/// The built-in cloud credentials in the secret-leak test: AWS keys and session tokens in the shared files, a web
/// identity token (STS played by moto_server, whose issued sessions are secrets too), a GCP service-account key
/// (KubeSim's Google simulator), an Azure client secret and federated token (KubeSim's Entra ID simulator), each
/// also on an error path (keys the cluster rejects, a key Google does not know, a wrong client secret).
extension GatewaySecretLeakTests {
    /// Keys the EKS-style "leaky" cluster accepts, changeable while it runs.
    final class LeakAWSKeys: Sendable {
        private let keys = Mutex<[String: EKSAuthentication.Credential]>([:])

        func accept(_ id: String, secret: String, sessionToken: String?, user: String) {
            keys.withLock {
                $0[id] = EKSAuthentication.Credential(
                    accessKeyID: id,
                    secretAccessKey: secret,
                    identity: Identity(user: user),
                    sessionToken: sessionToken
                )
            }
        }

        func lookup(_ id: String) -> EKSAuthentication.Credential? { keys.withLock { $0[id] } }
    }

    /// The cloud peers of one run.
    struct CloudPeers {
        var moto: PeerProcess
        var motoEndpoint: String
        var google: GoogleIdentityServer
        var entra: EntraIDServer
        var keys: LeakAWSKeys
    }

    /// Starts moto_server on a free port.
    static func startMoto(_ scratch: TemporaryDirectory) async throws -> (PeerProcess, String) {
        let binary = try PeerBinary.require("moto_server", debianPackage: "moto (pip install 'moto[server]')")
        let port = try freeLoopbackPort()
        let moto = try PeerProcess(binary, ["-H", "127.0.0.1", "-p", String(port)], home: scratch.path)
        let endpoint = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await motoSessions(endpoint)) != nil { return (moto, endpoint) }
            try await Task.sleep(for: .milliseconds(200))
        }
        moto.stop()
        throw TestFailure("moto_server did not start: \(moto.stderr)")
    }

    /// The sessions moto's STS issued: access key id, secret, session token.
    static func motoSessions(_ endpoint: String) async throws -> [(String, String, String)] {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: endpoint + "/moto-api/data.json"),
            timeout: .seconds(5)
        )
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
        let roles = (object?["sts"] as? [String: Any])?["AssumedRole"] as? [[String: Any]] ?? []
        return roles.compactMap { role in
            guard let id = role["access_key_id"] as? String, let secret = role["secret_access_key"] as? String,
                let token = role["session_token"] as? String
            else { return nil }
            return (id, secret, token)
        }
    }

    /// Writes the cloud cluster files and their secret files.
    static func prepareCloud(
        _ cluster: SimulatedCluster,
        _ scratch: TemporaryDirectory,
        _ setup: inout Setup,
        _ peers: CloudPeers
    ) throws {
        let server = try #require(cluster.apiServerURL)
        let caFile = scratch.file("ca.crt")
        func allow(_ user: String) { cluster.policy.allowScraping(.user(user)) }
        func clusterFile(_ name: String, _ auth: String) throws {
            try scratch.write(
                "clusters.d/\(name).yaml",
                "name: \(name)\napi_server: \"\(server)\"\ntls:\n  ca_file: \"\(caFile)\"\n"
                    + "scrape:\n  interval: 1s\n  timeout: 800ms\nauth:\n" + auth
            )
            setup.clusterNames.append(name)
        }

        // AWS: static session keys in the shared credentials file; a web identity role in the config file; keys
        // the cluster does not know (401s).
        let keyID = "AKIA" + setup.plant("aws-key-id").suffix(16).uppercased()
        setup.secrets.append(Planted(name: "aws-key-id (as used)", value: keyID))
        let secretKey = setup.plant("aws-secret-key")
        let sessionToken = setup.plant("aws-session-token")
        let rejectedSecret = setup.plant("aws-rejected-secret")
        let webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpcnNhIn0.\(setup.plant("aws-web-identity"))"
        setup.secrets.append(Planted(name: "aws-web-identity (whole)", value: webIdentityToken))
        peers.keys.accept(keyID, secret: secretKey, sessionToken: sessionToken, user: "planted-aws")
        allow("planted-aws")
        allow("planted-aws-webid")
        let webIdentityFile = try scratch.write("secrets/aws-web-identity", webIdentityToken + "\n")
        try scratch.write(
            "secrets/aws-credentials",
            "[planted]\naws_access_key_id = \(keyID)\naws_secret_access_key = \(secretKey)\n"
                + "aws_session_token = \(sessionToken)\n"
                + "[rejected]\naws_access_key_id = AKIAREJECTED00000001\naws_secret_access_key = \(rejectedSecret)\n"
        )
        try scratch.write(
            "secrets/aws-config",
            "[profile webid]\nrole_arn = arn:aws:iam::123456789012:role/leaky\n"
                + "web_identity_token_file = \(webIdentityFile)\nrole_session_name = leaky\n"
        )
        setup.environment["AWS_SHARED_CREDENTIALS_FILE"] = scratch.file("secrets/aws-credentials")
        setup.environment["AWS_CONFIG_FILE"] = scratch.file("secrets/aws-config")
        setup.environment["AWS_ENDPOINT_URL_STS"] = peers.motoEndpoint
        setup.environment["AWS_EC2_METADATA_DISABLED"] = "true"
        try clusterFile("aws-keys", "  aws: {cluster_name: leaky, region: eu-west-1, profile: planted}\n")
        setup.authenticating["aws-keys"] = "planted-aws"
        try clusterFile("aws-webid", "  aws: {cluster_name: leaky, region: eu-west-1, profile: webid}\n")
        setup.authenticating["aws-webid"] = "planted-aws-webid"
        try clusterFile("aws-rejected", "  aws: {cluster_name: leaky, region: eu-west-1, profile: rejected}\n")
        setup.failing.append("aws-rejected")

        // GCP: a service-account key (its private key's lines are secrets); a key Google does not know.
        let keyJSON = try peers.google.addServiceAccountKey(
            email: "planted-gcp@sim-project.iam.gserviceaccount.com",
            identity: Identity(user: "planted-gcp")
        )
        allow("planted-gcp")
        setup.secrets += privateKeySecrets(keyJSON, name: "gcp private key")
        let keyFile = try scratch.write("secrets/gcp-key.json", keyJSON)
        try clusterFile("gcp-key", "  gcp: {credentials_file: \"\(keyFile)\"}\n")
        setup.authenticating["gcp-key"] = "planted-gcp"
        let foreignJSON = try GoogleIdentityServer(tokens: BearerTokens())
            .addServiceAccountKey(
                email: "planted-gcp@sim-project.iam.gserviceaccount.com",
                identity: Identity(user: "x")
            )
            .replacingOccurrences(of: "127.0.0.1:0", with: peers.google.metadataHost)
        setup.secrets += privateKeySecrets(foreignJSON, name: "gcp foreign private key")
        let foreignFile = try scratch.write("secrets/gcp-foreign.json", foreignJSON)
        try clusterFile("gcp-foreign", "  gcp: {credentials_file: \"\(foreignFile)\"}\n")
        setup.failing.append("gcp-foreign")

        // Azure: a client secret and a federated token; a wrong client secret.
        let tenant = "leaky-tenant"
        let clientSecret = setup.plant("azure-client-secret")
        let federated = setup.plant("azure-federated-token")
        let wrongSecret = setup.plant("azure-wrong-secret")
        peers.entra.register(
            clientID: "leaky-spn",
            tenant: tenant,
            secret: clientSecret,
            identity: Identity(user: "planted-azure")
        )
        peers.entra.register(
            clientID: "leaky-wi",
            tenant: tenant,
            federatedToken: federated,
            identity: Identity(user: "planted-azure-wi")
        )
        allow("planted-azure")
        allow("planted-azure-wi")
        let secretFile = try scratch.write("secrets/azure-secret", clientSecret + "\n")
        let federatedFile = try scratch.write("secrets/azure-federated", federated)
        let wrongFile = try scratch.write("secrets/azure-wrong", wrongSecret + "\n")
        let entraCA = try scratch.write(
            "entra-ca.crt",
            peers.entra.certificateAuthority.certificatePEM,
            permissions: 0o644
        )
        setup.environment["AZURE_AUTHORITY_HOST"] = peers.entra.authorityHost
        setup.environment["SSL_CERT_FILE"] = entraCA
        try clusterFile(
            "azure-secret",
            "  azure: {tenant_id: \(tenant), client_id: leaky-spn, client_secret_file: \"\(secretFile)\"}\n"
        )
        setup.authenticating["azure-secret"] = "planted-azure"
        try clusterFile(
            "azure-wi",
            "  azure: {tenant_id: \(tenant), client_id: leaky-wi, federated_token_file: \"\(federatedFile)\"}\n"
        )
        setup.authenticating["azure-wi"] = "planted-azure-wi"
        try clusterFile(
            "azure-wrong",
            "  azure: {tenant_id: \(tenant), client_id: leaky-spn, client_secret_file: \"\(wrongFile)\"}\n"
        )
        setup.failing.append("azure-wrong")
    }

    /// The base64 lines and the whole body of the PEM private key inside a key file's JSON.
    static func privateKeySecrets(_ json: String, name: String) -> [Planted] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let pem = object["private_key"] as? String
        else { return [] }
        let lines = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }
        return lines.enumerated().map { Planted(name: "\(name) line \($0.offset)", value: String($0.element)) }
            + [Planted(name: "\(name) body", value: lines.joined())]
    }

    /// The secrets the peers issued during the run: STS sessions, Google and Entra access tokens.
    static func issuedSecrets(_ peers: CloudPeers) async throws -> [Planted] {
        var secrets: [Planted] = []
        for (index, session) in try await motoSessions(peers.motoEndpoint).enumerated() {
            secrets.append(Planted(name: "sts session \(index) secret", value: session.1))
            secrets.append(Planted(name: "sts session \(index) token", value: session.2))
        }
        for (index, issued) in peers.google.issued.enumerated() {
            secrets.append(Planted(name: "google access token \(index)", value: issued.token))
        }
        for (index, issued) in peers.entra.issued.enumerated() {
            secrets.append(Planted(name: "entra access token \(index)", value: issued.token))
        }
        return secrets
    }

    /// Accepts each session moto's STS issues in the cluster (as EKS asks STS), until cancelled.
    static func acceptSTSSessions(_ peers: CloudPeers) async {
        while !Task.isCancelled {
            for session in (try? await motoSessions(peers.motoEndpoint)) ?? [] {
                peers.keys.accept(session.0, secret: session.1, sessionToken: session.2, user: "planted-aws-webid")
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The cloud clusters on the health page, in the JSON API and in `/-/metrics`: kind, identity, expiry.
    static func checkCloudHealth(_ client: HTTPClient, base: String) async {
        func json(_ name: String) async -> [String: Any] {
            let (_, body) = await LoopbackHTTP.get(client, base + "/api/v1/clusters/\(name)")
            return (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        let expected = [
            ("aws-keys", "aws", "aws profile planted (shared files)"),
            ("aws-webid", "aws", "arn:aws:sts::123456789012:assumed-role/leaky/leaky"),
            ("gcp-key", "gcp", "planted-gcp@sim-project.iam.gserviceaccount.com"),
            ("azure-secret", "azure", "client leaky-spn (tenant leaky-tenant)"),
        ]
        let (_, page) = await LoopbackHTTP.get(client, base + "/")
        let (_, metrics) = await LoopbackHTTP.get(client, base + "/-/metrics")
        for (name, kind, identity) in expected {
            let report = await json(name)
            #expect(report["credentialKind"] as? String == kind, "\(name): \(report)")
            #expect(report["credentialIdentity"] as? String == identity, "\(name): \(report)")
            #expect(report["credentialExpiresAt"] != nil, "\(name): \(report)")
            #expect(page.contains(identity), "the health page does not show \(identity)")
            #expect(
                metrics.contains("crowsnest_credential_expiry_timestamp_seconds{cluster=\"\(name)\"}"),
                "no expiry metric for \(name)"
            )
        }
        let failing = await json("azure-wrong")
        #expect(
            (failing["lastError"] as? String)?.contains("invalid_client: AADSTS7000215: Invalid client secret provided")
                == true,
            "azure-wrong: \(failing)"
        )
    }
}
