import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import PeerSupport
import Testing

@testable import CrowsnestKube

/// The built-in `aws` kind end to end: the cluster client mints its EKS token in process and an EKS-style KubeSim
/// cluster verifies it, with STS played by moto_server.
@Suite("EKS clusters with built-in AWS credentials", .serialized, .timeLimit(.minutes(3)))
struct EKSEndToEndTests {
    static func client(
        _ cluster: SimulatedCluster,
        _ auth: AWSAuthConfig,
        environment: [String: String]
    ) throws -> KubeClusterClient {
        var environment = environment
        if environment["HOME"] == nil { environment["HOME"] = "/nonexistent-home" }
        return KubeClusterClient(
            config: try CloudTestSupport.config(cluster, auth: .aws(auth)),
            httpClient: CloudTestSupport.client,
            logger: Logger(label: "test"),
            queriesPerSecond: 100,
            burst: 100,
            credentialCheckInterval: .seconds(5),
            environment: environment
        )
    }

    @Test("environment keys: the API server accepts the token; kind, identity and a 15-minute expiry are shown")
    func environmentKeys() async throws {
        let keys = CloudTestSupport.AcceptedKeys()
        keys.accept("AKIAE2EENVIRONMENT01", secret: "e2e-environment-secret")
        let sim = try CloudTestSupport.eksCluster("eks-env", keys: keys)
        try await sim.withRunning { sim in
            let client = try Self.client(
                sim,
                AWSAuthConfig(clusterName: "eks-env", region: "eu-west-1"),
                environment: [
                    "AWS_ACCESS_KEY_ID": "AKIAE2EENVIRONMENT01", "AWS_SECRET_ACCESS_KEY": "e2e-environment-secret",
                ]
            )
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(sim.requestLog.entries.last?.user == CloudTestSupport.admin.user)
            let status = client.credentialStatus
            #expect(status.kind == "aws")
            #expect(status.identity == "environment (AWS_ACCESS_KEY_ID)")
            let left = try #require(status.expiry).timeIntervalSinceNow
            #expect(left > 14 * 60 && left <= 15 * 60)
            #expect(status.lastError == nil)

            // The same keys signing for another cluster's name are refused.
            let other = try Self.client(
                sim,
                AWSAuthConfig(clusterName: "someone-else", region: "eu-west-1"),
                environment: [
                    "AWS_ACCESS_KEY_ID": "AKIAE2EENVIRONMENT01", "AWS_SECRET_ACCESS_KEY": "e2e-environment-secret",
                ]
            )
            #expect(try await CloudTestSupport.listPods(other) == 401)
        }
    }

    @Test("a new key written to the shared credentials file is used after the old one is revoked, without a restart")
    func sharedFileRotation() async throws {
        let folder = try TemporaryDirectory("eks-rotation")
        defer { folder.remove() }
        let file = try folder.write(
            "credentials",
            "[prod]\naws_access_key_id = AKIAROTATIONOLD00001\naws_secret_access_key = old-rotation-secret\n"
        )
        let keys = CloudTestSupport.AcceptedKeys()
        keys.accept("AKIAROTATIONOLD00001", secret: "old-rotation-secret")
        let sim = try CloudTestSupport.eksCluster("eks-rotate", keys: keys)
        try await sim.withRunning { sim in
            let client = try Self.client(
                sim,
                AWSAuthConfig(clusterName: "eks-rotate", region: "us-east-1", profile: "prod"),
                environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_CONFIG_FILE": folder.file("none")]
            )
            #expect(try await CloudTestSupport.listPods(client) == 200)
            try folder.write(
                "credentials",
                "[prod]\naws_access_key_id = AKIAROTATIONNEW00001\naws_secret_access_key = new-rotation-secret\n"
            )
            keys.accept("AKIAROTATIONNEW00001", secret: "new-rotation-secret")
            keys.revoke("AKIAROTATIONOLD00001")
            // The cached token (old key) gets a 401; the client re-mints with the file's new key and retries.
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(keys.presented == ["AKIAROTATIONOLD00001", "AKIAROTATIONNEW00001"])
        }
    }

    @Test("web identity through moto's STS: the session's token is accepted and the role ARN is the identity")
    func webIdentityThroughMoto() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let folder = try TemporaryDirectory("eks-irsa")
        defer { folder.remove() }
        let tokenFile = try folder.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpcnNhIn0.c2ln\n")
        let keys = CloudTestSupport.AcceptedKeys()
        let sim = try CloudTestSupport.eksCluster("eks-irsa", keys: keys)
        try await sim.withRunning { sim in
            let client = try Self.client(
                sim,
                AWSAuthConfig(clusterName: "eks-irsa", region: "eu-central-1"),
                environment: [
                    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa", "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                    "AWS_ROLE_SESSION_NAME": "gateway", "AWS_ENDPOINT_URL_STS": moto.endpoint,
                ]
            )
            // Until the cluster knows STS's new session, the token is refused.
            #expect(try await CloudTestSupport.listPods(client) == 401)
            let sessions = try await moto.issuedSessions()
            #expect(sessions.count == 1)
            for session in sessions {
                keys.accept(session.accessKeyID, secret: session.secret, sessionToken: session.sessionToken)
            }
            #expect(try await CloudTestSupport.listPods(client) == 200)
            #expect(client.credentialStatus.identity == "arn:aws:sts::123456789012:assumed-role/irsa/gateway")
            // The session was reused, not re-assumed for every token.
            #expect(try await moto.issuedSessions().count == 1)
        }
    }

    @Test("short-lived role sessions are refreshed before they expire: requests keep succeeding across sessions")
    func shortSessionsRefresh() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let folder = try TemporaryDirectory("eks-short")
        defer { folder.remove() }
        let config = try folder.write(
            "config",
            "[profile base]\naws_access_key_id = AKIASHORTBASE0000001\naws_secret_access_key = short-base-secret\n"
                + "[profile short]\nrole_arn = arn:aws:iam::123456789012:role/short\nsource_profile = base\n"
                + "duration_seconds = 6\n"
        )
        let keys = CloudTestSupport.AcceptedKeys()
        let sim = try CloudTestSupport.eksCluster("eks-short", keys: keys)
        try await sim.withRunning { sim in
            let client = try Self.client(
                sim,
                AWSAuthConfig(clusterName: "eks-short", region: "eu-west-1", profile: "short"),
                environment: [
                    "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": folder.file("none"),
                    "AWS_ENDPOINT_URL_STS": moto.endpoint,
                ]
            )
            var statuses: [Int] = []
            var expiries: Set<Date> = []
            let end = ContinuousClock.now + .seconds(14)
            while ContinuousClock.now < end {
                // The cluster learns each new session as STS issues it (as EKS asks STS).
                for session in try await moto.issuedSessions() {
                    keys.accept(session.accessKeyID, secret: session.secret, sessionToken: session.sessionToken)
                }
                statuses.append(try await CloudTestSupport.listPods(client))
                if let expiry = client.credentialStatus.expiry { expiries.insert(expiry) }
                try await Task.sleep(for: .milliseconds(300))
            }
            let sessions = try await moto.issuedSessions()
            #expect(sessions.count >= 2, "a 6-second session must be renewed within 14 seconds")
            #expect(sessions.count <= 5, "renewed about every 5 seconds, not per request")
            #expect(expiries.count >= 2)
            // After the first session is known, every request succeeds: the next session is fetched before the
            // current one expires.
            let afterFirst = statuses.drop { $0 != 200 }
            #expect(afterFirst.filter { $0 != 200 }.count <= sessions.count, "statuses: \(statuses)")
            #expect(statuses.last == 200)
        }
    }

    @Test("an STS that goes down: the cluster reports the step and endpoint, and the valid token is kept meanwhile")
    func stsDownKeepsValidToken() async throws {
        let keys = CloudTestSupport.AcceptedKeys()
        keys.accept("AKIABASEKEYSDOWN0001", secret: "down-secret")
        let sim = try CloudTestSupport.eksCluster("eks-down", keys: keys)
        let closed = "http://127.0.0.1:\(try freeLoopbackPort())"
        try await sim.withRunning { sim in
            let client = try Self.client(
                sim,
                AWSAuthConfig(
                    clusterName: "eks-down",
                    region: "eu-west-1",
                    roleARN: "arn:aws:iam::123456789012:role/r"
                ),
                environment: [
                    "AWS_ACCESS_KEY_ID": "AKIABASEKEYSDOWN0001", "AWS_SECRET_ACCESS_KEY": "down-secret",
                    "AWS_ENDPOINT_URL_STS": closed,
                ]
            )
            do {
                _ = try await CloudTestSupport.listPods(client)
                Issue.record("expected a credentials error")
            } catch let error as KubeClientError {
                #expect(error.code == .credentials)
                #expect(
                    error.message
                        == "cluster eks-down: aws role_arn (AssumeRole): cannot reach \(closed): connection refused"
                )
                #expect(!error.message.contains("down-secret"))
            }
            #expect(client.credentialStatus.lastError?.contains("cannot reach \(closed)") == true)
        }
    }
}
