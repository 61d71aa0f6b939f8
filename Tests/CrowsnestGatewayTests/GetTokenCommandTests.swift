import CrowsnestKube
import Foundation
import KubeSim
import PeerSupport
import Testing

/// `crowsnest get-token FILE`: the ExecCredential of a cluster file's credentials, and kubectl using Crowsnest as its
/// exec plugin against an EKS-style cluster.
@Suite("crowsnest get-token", .serialized, .timeLimit(.minutes(2)))
struct GetTokenCommandTests {
    static let keyID = "AKIAGETTOKEN00000001"
    static let secret = "get-token-secret-wJalrXUtnFEMI"
    static let environment = [
        "AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    ]

    static func eksCluster() throws -> SimulatedCluster {
        var configuration = ClusterConfiguration(name: "eks-get-token", gitVersion: "v1.31.4-eks-2d5f260")
        configuration.eks = EKSAuthentication(
            clusterName: "eks-get-token",
            credentials: [
                EKSAuthentication.Credential(
                    accessKeyID: keyID,
                    secretAccessKey: secret,
                    identity: Identity(user: "get-token-user", groups: ["system:masters"])
                )
            ]
        )
        return try SimulatedCluster(configuration)
    }

    @Test("prints a v1 ExecCredential whose token the EKS cluster accepts, with its expiry")
    func printsExecCredential() async throws {
        let crowsnest = try PeerBinary.crowsnest()
        let folder = try TemporaryDirectory("get-token")
        defer { folder.remove() }
        let sim = try Self.eksCluster()
        try await sim.withRunning { sim in
            let ca = try folder.write("ca.crt", sim.caCertificatePEM, permissions: 0o644)
            let file = try folder.write(
                "eks.yaml",
                "api_server: \(sim.apiServerURL!)\ntls: {ca_file: \(ca)}\n"
                    + "auth:\n  aws: {cluster_name: eks-get-token, region: eu-west-1}\n"
            )
            let result = try await PeerProcess.run(crowsnest, ["get-token", file], environment: Self.environment)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["kind"] as? String == "ExecCredential")
            #expect(object?["apiVersion"] as? String == "client.authentication.k8s.io/v1")
            let status = try #require(object?["status"] as? [String: Any])
            let token = try #require(status["token"] as? String)
            #expect(token.hasPrefix("k8s-aws-v1."))
            #expect(try sim.configuration.eks?.verify(token).get().user == "get-token-user")
            let expiry = try #require(status["expirationTimestamp"] as? String)
            let expires = try #require(ISO8601DateFormatter().date(from: expiry))
            #expect(abs(expires.timeIntervalSinceNow - 900) < 60)
            #expect(!result.stdout.contains(Self.secret) && !result.stderr.contains(Self.secret))

            // kubectl with Crowsnest as its exec plugin.
            let kubectl = try PeerBinary.require("kubectl", debianPackage: "kubectl")
            var env = ""
            for (name, value) in Self.environment.sorted(by: { $0.key < $1.key }) {
                env += "      - {name: \(name), value: \"\(value)\"}\n"
            }
            let kubeconfig = try folder.write(
                "kubeconfig",
                "apiVersion: v1\nkind: Config\nclusters:\n- name: eks\n  cluster:\n    server: \(sim.apiServerURL!)\n"
                    + "    certificate-authority: \(ca)\nusers:\n- name: crowsnest\n  user:\n    exec:\n"
                    + "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: \(crowsnest.path)\n"
                    + "      args: [get-token, \(file)]\n      interactiveMode: Never\n      env:\n" + env
                    + "contexts:\n- name: eks\n  context: {cluster: eks, user: crowsnest}\ncurrent-context: eks\n"
            )
            let listed = try await PeerProcess.run(
                kubectl,
                ["--kubeconfig", kubeconfig, "--request-timeout=20s", "get", "pods", "-A"],
                home: folder.path,
                timeout: .seconds(60)
            )
            #expect(listed.status == 0, "kubectl: \(listed.stderr)")
            #expect(sim.requestLog.entries.contains { $0.user == "get-token-user" && $0.status == 200 })
        }
    }

    @Test("a failing credential exits 1 naming the step and endpoint; a broken file exits 2")
    func failures() async throws {
        let crowsnest = try PeerBinary.crowsnest()
        let folder = try TemporaryDirectory("get-token-fail")
        defer { folder.remove() }
        let closed = "http://127.0.0.1:\(try freeLoopbackPort())"
        let file = try folder.write(
            "eks.yaml",
            "api_server: https://127.0.0.1:6443\n"
                + "auth:\n  aws: {cluster_name: c, region: eu-west-1, role_arn: \"arn:aws:iam::1:role/r\"}\n"
        )
        var environment = Self.environment
        environment["AWS_ENDPOINT_URL_STS"] = closed
        let failed = try await PeerProcess.run(crowsnest, ["get-token", file], environment: environment)
        #expect(failed.status == 1)
        #expect(
            failed.stderr.contains("aws role_arn (AssumeRole): cannot reach \(closed): connection refused"),
            "\(failed.stderr)"
        )
        #expect(!failed.stderr.contains(Self.secret))
        #expect(failed.stdout.isEmpty)
        let broken = try folder.write("broken.yaml", "api_server: https://127.0.0.1:6443\nauth:\n  aws: {region: x}\n")
        let invalid = try await PeerProcess.run(crowsnest, ["get-token", broken], environment: environment)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("auth.aws.cluster_name: required"), "\(invalid.stderr)")
    }
}
