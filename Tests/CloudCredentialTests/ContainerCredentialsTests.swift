import CrowsnestCore
import Foundation
import PeerSupport
import Testing

@testable import CrowsnestKube

/// EKS Pod Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`): a stand-in
/// Pod Identity agent on a loopback port, which botocore's own `ContainerProvider` reads too.
@Suite("EKS Pod Identity credentials", .timeLimit(.minutes(2)))
struct ContainerCredentialsTests {
    /// A Pod Identity agent: answers the registered authorization token with session credentials, anything else
    /// with 403 and the agent's JSON error; logs each authorization it saw to stdout.
    static let agentScript = """
        import http.server, json, sys, datetime
        port, expected = int(sys.argv[1]), sys.argv[2]
        class Agent(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("Authorization") != expected:
                    body, status = {"code": "AccessDeniedException", "message": "invalid token"}, 403
                else:
                    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=15)
                    body, status = {"AccessKeyId": "ASIAPODIDENTITY00001", "SecretAccessKey": "pod-identity-secret",
                        "Token": "pod-identity-session", "AccountId": "123456789012",
                        "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}, 200
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", port), Agent).serve_forever()
        """

    static let botocoreScript = """
        import botocore.session
        credentials = botocore.session.get_session().get_credentials().get_frozen_credentials()
        print(credentials.access_key, credentials.secret_key, credentials.token)
        """

    @Test(
        "the agent's credentials, read with the token file's token, equal what botocore reads; a wrong token is named"
    )
    func podIdentity() async throws {
        let python = try await PythonPeer.require(module: "botocore", pipPackage: "botocore")
        let folder = try TemporaryDirectory("pod-identity")
        defer { folder.remove() }
        let tokenFile = try folder.write("eks-pod-identity-token", "pod-identity-authorization")
        let port = try freeLoopbackPort()
        let agent = try PeerProcess(python, ["-c", Self.agentScript, String(port), "pod-identity-authorization"])
        defer { agent.stop() }
        let url = "http://127.0.0.1:\(port)/v1/credentials"
        let environment = [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true", "HOME": folder.path,
        ]
        let chain = AWSCredentialChain(
            config: AWSAuthConfig(clusterName: "c", region: "eu-west-1"),
            environment: environment,
            http: CloudTestSupport.http(environment)
        )
        var ours: AWSCredentials?
        for _ in 0..<50 where ours == nil {
            ours = try? await chain.resolve()
            if ours == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let credentials = try #require(ours, "the agent did not answer: \(agent.stderr)")
        #expect(credentials.source == "container credentials")
        #expect(credentials.expiration.map { abs($0.timeIntervalSinceNow - 900) < 60 } == true)
        let botocore = try await PythonPeer.run(python, script: Self.botocoreScript, environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            botocore
                == "\(credentials.accessKeyID) \(credentials.secretAccessKey.revealed) "
                + (credentials.sessionToken?.revealed ?? "")
        )

        try folder.write("eks-pod-identity-token", "a-token-the-agent-does-not-know")
        do {
            _ = try await chain.resolve()
            Issue.record("a rejected token must fail")
        } catch {
            #expect(
                error.description
                    == "aws container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): http://127.0.0.1:\(port) "
                    + "answered HTTP 403 AccessDeniedException"
            )
        }
    }
}
