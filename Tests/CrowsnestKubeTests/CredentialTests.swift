import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import Testing

@testable import CrowsnestKube

@Suite("Credentials and TLS against KubeSim", .timeLimit(.minutes(2)))
struct CredentialTests {
    static func get(_ client: KubeClusterClient, _ path: String = "/api/v1/namespaces/default/pods") async throws -> Int
    {
        let response = try await client.get(path: path, deadline: KubeTestSupport.deadline())
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test("a token file rewritten while the old token is revoked is picked up at once after the 401")
    func tokenFileRotation() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "rotate"))
        let old = sim.issueToken(for: .admin("old-user"))
        let new = sim.issueToken(for: .admin("new-user"))
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tokenPath = folder + "/token"
        try KubeTestSupport.write(tokenPath, old + "\n")
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerTokenFile(path: tokenPath)),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(client) == 200)
                // Rotate: the old token is revoked and the file rewritten (same size, so only content changed).
                sim.tokens.remove(old)
                try KubeTestSupport.write(tokenPath, new + "\n")
                let started = ContinuousClock.now
                #expect(try await Self.get(client) == 200)
                #expect(ContinuousClock.now - started < .seconds(60))
                let users = sim.requestLog.entries.map { $0.user ?? "-" }
                #expect(users == ["old-user", "-", "new-user"])
                #expect(client.credentialStatus.lastError == nil)
            }
        }
    }

    @Test("a changed token file is noticed without a 401 (at most a minute stale)")
    func tokenFileChangeNoticed() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "stale"))
        let first = sim.issueToken(for: .admin("first"))
        let second = sim.issueToken(for: .admin("second"))
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tokenPath = folder + "/token"
        try KubeTestSupport.write(tokenPath, first)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerTokenFile(path: tokenPath)),
                    httpClient: http,
                    logger: Logger(label: "t"),
                    queriesPerSecond: 100,
                    burst: 100,
                    credentialCheckInterval: .milliseconds(100)
                )
                #expect(try await Self.get(client) == 200)
                try await Task.sleep(for: .milliseconds(1100))  // a different mtime second
                try KubeTestSupport.write(tokenPath, second + "-padding-to-change-size")
                sim.tokens.add(second + "-padding-to-change-size", for: .admin("second"))
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await Self.get(client) == 200)
                #expect(sim.requestLog.entries.last?.user == "second")
            }
        }
    }

    @Test("an exec plugin is re-run after its credential expires, not on every request, and after a 401")
    func execPluginCaching() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "exec"))
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = sim.issueToken(for: .admin("exec-user"))
        try KubeTestSupport.write(folder + "/token", first)
        let script = """
            #!/bin/sh
            echo run >> "\(folder)/runs"
            case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "no exec info" >&2; exit 3;; esac
            [ "$PLUGIN_SECRET" = "s3cr3t-env-value" ] || { echo "env missing" >&2; exit 4; }
            expiry=$(date -u -d '+8 seconds' +%Y-%m-%dT%H:%M:%SZ)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "$(cat "\(folder)/token")" "$expiry"
            """
        try KubeTestSupport.write(folder + "/plugin.sh", script, executable: true)
        let exec = ExecConfig(
            command: folder + "/plugin.sh",
            env: [ExecEnvironmentVariable(name: "PLUGIN_SECRET", value: Secret("s3cr3t-env-value"))]
        )
        func runs() -> Int {
            ((try? String(contentsOfFile: folder + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .exec(exec)),
                    httpClient: http,
                    logger: Logger(label: "t"),
                    queriesPerSecond: 100,
                    burst: 100,
                    credentialCheckInterval: .seconds(5)
                )
                // Concurrent first requests share one run.
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<5 { group.addTask { try await Self.get(client) } }
                    for try await status in group { #expect(status == 200) }
                }
                #expect(runs() == 1)
                let expiry = try #require(client.credentialStatus.expiry)
                #expect(expiry.timeIntervalSinceNow > 5 && expiry.timeIntervalSinceNow <= 9)
                for _ in 0..<10 {
                    #expect(try await Self.get(client) == 200)
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(runs() == 1)
                try await Task.sleep(for: .seconds(7.5))  // past expiry minus the margin
                #expect(try await Self.get(client) == 200)
                #expect(runs() == 2)
                // Revoke: the 401 makes the plugin run again, which prints the new token.
                sim.tokens.remove(first)
                let second = sim.issueToken(for: .admin("exec-user-2"))
                try KubeTestSupport.write(folder + "/token", second)
                #expect(try await Self.get(client) == 200)
                #expect(runs() == 3)
                #expect(sim.requestLog.entries.last?.user == "exec-user-2")
            }
        }
    }

    @Test("a bearer token that is a JWT exposes its exp claim as the credential's expiry")
    func jwtExpiry() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "jwt"))
        let exp = Int(Date().timeIntervalSince1970) + 3600
        func b64url(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let jwt =
            b64url(#"{"alg":"RS256"}"#) + "." + b64url(#"{"sub":"system:serviceaccount:mon:gw","exp":\#(exp)}"#)
            + ".c2ln"
        sim.tokens.add(jwt, for: .admin("jwt-user"))
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(jwt))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(client) == 200)
                #expect(client.credentialStatus.expiry == Date(timeIntervalSince1970: TimeInterval(exp)))
                #expect(!"\(client.credentialStatus)".contains(jwt))
            }
        }
    }

    @Test("client-certificate auth works and its NotAfter is the credential's expiry")
    func clientCertificate() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "mtls"))
        let notAfter = Date().addingTimeInterval(86_400 * 10)
        let issued = try sim.certificateAuthority.issueClientCertificate(
            for: Identity(user: "cert-user", groups: ["system:masters"]),
            notValidAfter: notAfter
        )
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try KubeTestSupport.write(folder + "/client.crt", issued.certificatePEM)
        try KubeTestSupport.write(folder + "/client.key", issued.privateKeyPEM)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        auth: .clientCertificate(
                            certificateFile: folder + "/client.crt",
                            keyFile: folder + "/client.key"
                        )
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(client) == 200)
                #expect(sim.requestLog.entries.last?.user == "cert-user")
                let expiry = try #require(client.credentialStatus.expiry)
                #expect(abs(expiry.timeIntervalSince(notAfter)) < 2)
                #expect(client.credentialStatus.certificateAuthorityExpiry != nil)
                #expect(client.credentialStatus.kind == "client_certificate")
            }
        }
    }

    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test("a kubeconfig with embedded data works (CA, client certificate and key data)")
    func kubeconfigEmbedded() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "kc"))
        let issued = try sim.certificateAuthority.issueClientCertificate(
            for: Identity(user: "kc-user", groups: ["system:masters"])
        )
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await sim.withRunning { (sim: SimulatedCluster) async throws -> Void in
            let kubeconfig = """
                apiVersion: v1
                kind: Config
                current-context: other
                clusters:
                - name: sim
                  cluster:
                    server: \(sim.apiServerURL!)
                    certificate-authority-data: \(Self.b64(sim.caCertificatePEM))
                users:
                - name: cert
                  user:
                    client-certificate-data: \(Self.b64(issued.certificatePEM))
                    client-key-data: \(Self.b64(issued.privateKeyPEM))
                contexts:
                - name: sim-ctx
                  context: {cluster: sim, user: cert, namespace: monitoring}
                - name: other
                  context: {cluster: missing, user: cert}
                """
            try KubeTestSupport.write(folder + "/config", kubeconfig)
            try await KubeTestSupport.withHTTPClient { (http: HTTPClient) async throws -> Void in
                let config = ClusterConfig(
                    name: "kc",
                    apiServer: nil,
                    auth: .kubeconfig(path: folder + "/config", context: "sim-ctx")
                )
                let client = KubeClusterClient(config: config, httpClient: http, logger: Logger(label: "t"))
                #expect(try await Self.get(client) == 200)
                #expect(sim.requestLog.entries.last?.user == "kc-user")
                // The current context names a missing cluster: a clear configuration error.
                let broken = KubeClusterClient(
                    config: ClusterConfig(
                        name: "kc2",
                        apiServer: nil,
                        auth: .kubeconfig(path: folder + "/config", context: nil)
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let error = await #expect(throws: KubeClientError.self) { _ = try await CredentialTests.get(broken) }
                #expect(error?.code == .configuration)
                #expect(error?.message.contains("cluster \"missing\"") == true)
                #expect(broken.credentialStatus.lastError?.contains("missing") == true)
            }
        }
    }

    @Test("a wrong CA fails with a clear TLS error naming the cluster")
    func wrongCA() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "tls"))
        let other = try CertificateAuthority(commonName: "someone-else")
        let token = sim.issueToken(for: .admin())
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        name: "prod-eu",
                        auth: .bearerToken(Secret(token)),
                        tls: TLSSettings(certificateAuthority: .pem(other.certificatePEM))
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let error = await #expect(throws: KubeClientError.self) { _ = try await CredentialTests.get(client) }
                #expect(error?.code == .tls)
                #expect(
                    error?.message.hasPrefix("cluster prod-eu: certificate verify failed") == true,
                    "\(String(describing: error))"
                )
                #expect(error?.message.contains("issued by CN=tls-ca,O=KubeSim") == true)
                // insecure_skip_verify works (and is reported).
                let insecure = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        auth: .bearerToken(Secret(token)),
                        tls: TLSSettings(insecureSkipVerify: true)
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(insecure) == 200)
                #expect(insecure.credentialStatus.insecureSkipVerify)
                // server_name: the chain is verified against the cluster's CA.
                let named = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        auth: .bearerToken(Secret(token)),
                        tls: TLSSettings(
                            certificateAuthority: .pem(sim.caCertificatePEM),
                            serverName: "kubernetes.default.svc"
                        )
                    ),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(named) == 200)
            }
        }
    }

    @Test("the real aws eks get-token, as a cluster's exec plugin, authenticates against KubeSim's EKS mode")
    func awsEKSGetToken() async throws {
        let aws = ExecPlugin.locate("aws", path: ProcessInfo.processInfo.environment["PATH"] ?? "")
        try #require(aws != nil, "the AWS CLI (package awscli) is not installed: `aws` is not in PATH")
        let credential = EKSAuthentication.Credential(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            identity: Identity(user: "eks-admin", groups: ["system:masters"])
        )
        let sim = try SimulatedCluster(
            ClusterConfiguration(
                name: "eks",
                eks: EKSAuthentication(clusterName: "prod-eks", credentials: [credential])
            )
        )
        let exec = ExecConfig(
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", "prod-eks"],
            env: [
                ExecEnvironmentVariable(name: "AWS_ACCESS_KEY_ID", value: Secret(credential.accessKeyID)),
                ExecEnvironmentVariable(name: "AWS_SECRET_ACCESS_KEY", value: Secret(credential.secretAccessKey)),
                ExecEnvironmentVariable(name: "AWS_DEFAULT_REGION", value: Secret("us-east-1")),
                ExecEnvironmentVariable(name: "AWS_CONFIG_FILE", value: Secret("/dev/null")),
                ExecEnvironmentVariable(name: "AWS_SHARED_CREDENTIALS_FILE", value: Secret("/dev/null")),
                ExecEnvironmentVariable(name: "AWS_EC2_METADATA_DISABLED", value: Secret("true")),
            ],
            apiVersion: "client.authentication.k8s.io/v1beta1",
            timeout: .seconds(30)
        )
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .exec(exec)),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.get(client) == 200)
                #expect(try await Self.get(client) == 200)
                #expect(sim.requestLog.entries.map(\.user) == ["eks-admin", "eks-admin"])
                let expiry = try #require(client.credentialStatus.expiry)
                #expect(expiry.timeIntervalSinceNow > 60 && expiry.timeIntervalSinceNow < 20 * 60)
            }
        }
    }
}
