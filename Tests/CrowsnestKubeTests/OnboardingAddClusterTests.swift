import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `crowsnest add-cluster`: kubeconfig contexts with token, tokenFile, client-certificate data and exec users become
/// cluster files that `check config` accepts and that authenticate against KubeSim; bad input writes nothing.
@Suite("Onboarding: add-cluster", .timeLimit(.minutes(3)))
struct OnboardingAddClusterTests {
    static let identity = Identity.serviceAccount(namespace: "crowsnest", name: "crowsnest")

    /// A cluster allowing the gateway's identity exactly what `crowsnest rbac` grants.
    static func makeCluster(_ name: String) throws -> SimulatedCluster {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: name))
        for rule in RBACManifest.rules {
            cluster.policy.allow(.user(identity.user), verbs: Set(rule.verbs), resources: Set(rule.resources))
        }
        return cluster
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A kubeconfig with one context `name` whose user block is `userYAML` (indented under `user:`).
    static func kubeconfig(
        contextName: String,
        server: String,
        caData: String? = nil,
        caFile: String? = nil,
        userYAML: String,
        extraCluster: String = "",
        namespace: String? = nil
    ) -> String {
        var text = "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster:\n    server: \(server)\n"
        if let caData { text += "    certificate-authority-data: \(base64(caData))\n" }
        if let caFile { text += "    certificate-authority: \(caFile)\n" }
        text += extraCluster
        text += "users:\n- name: u1\n  user:\n"
        text += userYAML.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        text += "contexts:\n- name: \"\(contextName)\"\n  context:\n    cluster: c1\n    user: u1\n"
        if let namespace { text += "    namespace: \(namespace)\n" }
        text += "current-context: \"\(contextName)\"\n"
        return text
    }

    /// Loads a written cluster file the way the gateway does, referenced files included; fails on any error.
    static func load(_ path: String) throws -> ClusterConfig {
        var report = ClusterFile.load(path: path)
        report.validateReferencedFiles()
        #expect(!report.hasErrors, "\(report.problems)")
        return try #require(report.config)
    }

    /// The bearer token a cluster configuration yields (file or exec plugin), as the gateway would obtain it.
    static func token(for config: ClusterConfig) throws -> String? {
        switch config.auth {
        case .bearerTokenFile(let path):
            return try Onboarding.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        case .exec(let exec):
            var environment = ProcessInfo.processInfo.environment
            var variables = exec.env
            if let envFile = exec.envFile {
                variables = try ExecEnvironmentFile.parse(Onboarding.read(envFile)) + variables
            }
            for variable in variables { environment[variable.name] = variable.value.revealed }
            let result = try Onboarding.run(exec.command, exec.args, environment: environment)
            #expect(result.status == 0, "exec plugin: \(result.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
            return (object?["status"] as? [String: Any])?["token"] as? String
        default:
            return nil
        }
    }

    /// `GET path` against the cluster with the configuration's CA and credential; returns the HTTP status.
    static func status(of path: String, with config: ClusterConfig) async throws -> UInt {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch config.tls.certificateAuthority {
        case .file(let file): tls.trustRoots = .file(file)
        case .pem(let pem): tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
        case nil: break
        }
        if case .clientCertificate(let certificateFile, let keyFile) = config.auth {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            tls.privateKey = .file(keyFile)
        }
        let server = try #require(config.apiServer)
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.tlsConfiguration = tls
        if let token = try token(for: config) { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    /// Runs add-cluster, checks the written files and `check config`, and proves the credential works.
    func addAndUse(
        cluster: SimulatedCluster,
        kubeconfigText: String,
        in directory: String,
        name: String,
        expectedFiles: [String: Int]
    ) async throws -> ClusterConfig {
        let kubeconfig = directory + "/kubeconfig"
        try Onboarding.write(kubeconfig, kubeconfigText)
        let out = directory + "/clusters.d"
        let result = try Onboarding.crowsnest([
            "add-cluster", "--kubeconfig", kubeconfig, "--name", name, "--out", out,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("wrote cluster \(name)"))
        #expect(Onboarding.listing(out) == expectedFiles.keys.sorted())
        for (file, mode) in expectedFiles {
            #expect(try Onboarding.permissions(out + "/" + file) == mode, "\(file)")
        }
        let check = try Onboarding.crowsnest(["check", "config", out])
        #expect(check.status == 0, "check config: \(check.standardOutput)\(check.standardError)")
        #expect(check.standardOutput.contains("1 ok"), "\(check.standardOutput)")
        let config = try Self.load(out + "/\(name).yaml")
        #expect(config.name == name)
        #expect(try await Self.status(of: "/api/v1/pods", with: config) == 200)
        // The grant is exactly pods + pods/proxy: anything else is forbidden.
        #expect(try await Self.status(of: "/api/v1/namespaces/default/secrets", with: config) == 403)
        return config
    }

    // MARK: - Credential kinds

    @Test func inlineTokenAndCADataBecomeFilesBesideTheClusterFile() async throws {
        let cluster = try Self.makeCluster("add-token")
        let token = cluster.issueToken(for: Self.identity)
        let directory = try Onboarding.makeDirectory("add-token")
        defer { Onboarding.removeDirectory(directory) }
        try await cluster.withRunning { cluster in
            let server = try #require(cluster.apiServerURL)
            let config = try await addAndUse(
                cluster: cluster,
                kubeconfigText: Self.kubeconfig(
                    contextName: "dev",
                    server: server,
                    caData: cluster.caCertificatePEM,
                    userYAML: "token: \(token)"
                ),
                in: directory,
                name: "dev",
                expectedFiles: ["dev.yaml": 0o600, "dev.token": 0o600, "dev.ca.crt": 0o644]
            )
            guard case .bearerTokenFile(let path) = config.auth else {
                Issue.record("expected bearer_token_file, got \(config.auth.kind)")
                return
            }
            #expect(path == directory + "/clusters.d/dev.token")
            let text = try Onboarding.read(directory + "/clusters.d/dev.yaml")
            #expect(!text.contains(token), "the token never lands in the cluster file")
            #expect(text.contains("ca_file: \"dev.ca.crt\""), "side files are referenced relative to the file")
            #expect(try Onboarding.read(directory + "/clusters.d/dev.ca.crt") == cluster.caCertificatePEM)
        }
    }

    @Test func tokenFileIsReferencedWhereItIs() async throws {
        let cluster = try Self.makeCluster("add-tokenfile")
        let token = cluster.issueToken(for: Self.identity)
        let directory = try Onboarding.makeDirectory("add-tokenfile")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/secrets/sa-token", token + "\n")
        try Onboarding.write(directory + "/secrets/ca.crt", cluster.caCertificatePEM, permissions: 0o644)
        try await cluster.withRunning { cluster in
            let server = try #require(cluster.apiServerURL)
            let config = try await addAndUse(
                cluster: cluster,
                // Relative paths in a kubeconfig resolve against its folder.
                kubeconfigText: Self.kubeconfig(
                    contextName: "prod",
                    server: server,
                    caFile: "secrets/ca.crt",
                    userYAML: "tokenFile: secrets/sa-token"
                ),
                in: directory,
                name: "prod",
                expectedFiles: ["prod.yaml": 0o600]
            )
            #expect(config.auth == .bearerTokenFile(path: directory + "/secrets/sa-token"))
            #expect(config.tls.certificateAuthority == .file(path: directory + "/secrets/ca.crt"))
        }
    }

    @Test func clientCertificateDataBecomesOwnerOnlyFiles() async throws {
        let cluster = try Self.makeCluster("add-cert")
        let issued = try cluster.certificateAuthority.issueClientCertificate(for: Self.identity)
        let directory = try Onboarding.makeDirectory("add-cert")
        defer { Onboarding.removeDirectory(directory) }
        try await cluster.withRunning { cluster in
            let server = try #require(cluster.apiServerURL)
            let config = try await addAndUse(
                cluster: cluster,
                kubeconfigText: Self.kubeconfig(
                    contextName: "kind-dev",
                    server: server,
                    caData: cluster.caCertificatePEM,
                    userYAML: """
                        client-certificate-data: \(Self.base64(issued.certificatePEM))
                        client-key-data: \(Self.base64(issued.privateKeyPEM))
                        """
                ),
                in: directory,
                name: "kind-dev",
                expectedFiles: [
                    "kind-dev.yaml": 0o600, "kind-dev.ca.crt": 0o644, "kind-dev.client-cert.pem": 0o600,
                    "kind-dev.client-key.pem": 0o600,
                ]
            )
            #expect(config.auth.kind == "client_certificate")
            let text = try Onboarding.read(directory + "/clusters.d/kind-dev.yaml")
            #expect(!text.contains("PRIVATE KEY"))
        }
    }

    /// The exec env values are secrets: they go to a 0600 `NAME.exec-env` beside the cluster file, which
    /// references it as `auth.exec.env_file`; the cluster file holds none of them.
    @Test func execPluginIsCopiedWithItsEnvironmentInASideFile() async throws {
        let cluster = try Self.makeCluster("add-exec")
        let token = cluster.issueToken(for: Self.identity)
        let directory = try Onboarding.makeDirectory("add-exec")
        defer { Onboarding.removeDirectory(directory) }
        let plugin = directory + "/bin/token-plugin"
        try Onboarding.write(
            plugin,
            """
            #!/bin/sh
            [ "$1" = get-token ] || exit 3
            printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}\\n' "$PLUGIN_TOKEN"

            """,
            permissions: 0o755
        )
        try await cluster.withRunning { cluster in
            let server = try #require(cluster.apiServerURL)
            let config = try await addAndUse(
                cluster: cluster,
                kubeconfigText: Self.kubeconfig(
                    contextName: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-prod",
                    server: server,
                    caData: cluster.caCertificatePEM,
                    userYAML: """
                        exec:
                          apiVersion: client.authentication.k8s.io/v1beta1
                          command: bin/token-plugin
                          args: [get-token, --cluster-name, shop-prod]
                          env:
                          - name: PLUGIN_TOKEN
                            value: \(token)
                          interactiveMode: Never
                        """
                ),
                in: directory,
                name: "shop-prod",
                expectedFiles: ["shop-prod.yaml": 0o600, "shop-prod.ca.crt": 0o644, "shop-prod.exec-env": 0o600]
            )
            guard case .exec(let exec) = config.auth else {
                Issue.record("expected exec, got \(config.auth.kind)")
                return
            }
            #expect(exec.command == plugin)
            #expect(exec.args == ["get-token", "--cluster-name", "shop-prod"])
            #expect(exec.env.isEmpty)
            let envFile = directory + "/clusters.d/shop-prod.exec-env"
            #expect(exec.envFile == envFile)
            #expect(try Onboarding.read(envFile) == "PLUGIN_TOKEN=\(token)\n")
            let clusterFile = try Onboarding.read(directory + "/clusters.d/shop-prod.yaml")
            #expect(!clusterFile.contains(token), "the cluster file must not hold the exec env value")
            #expect(clusterFile.contains("env_file: \"shop-prod.exec-env\""), "\(clusterFile)")
            #expect(exec.apiVersion == "client.authentication.k8s.io/v1beta1")
        }
    }

    /// Without --name, an EKS ARN context gives the cluster's name; a kubeconfig's current-context is the default.
    @Test func defaultNameComesFromTheContext() throws {
        let directory = try Onboarding.makeDirectory("add-name")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(
            directory + "/kubeconfig",
            Self.kubeconfig(
                contextName: "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu",
                server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
                caData: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                userYAML:
                    "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: aws\n  args: [eks, get-token]"
            )
        )
        let out = directory + "/clusters.d"
        let result = try Onboarding.crowsnest(["add-cluster", "--kubeconfig", directory + "/kubeconfig", "--out", out])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(Onboarding.listing(out) == ["prod-eu.ca.crt", "prod-eu.yaml"])
        #expect(result.standardOutput.contains("looked up in PATH"))
    }

    @Test("a context's proxy-url becomes the cluster file's proxy_url")
    func proxyURLIsCarriedOver() throws {
        let directory = try Onboarding.makeDirectory("add-proxy")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(
            directory + "/kubeconfig",
            Self.kubeconfig(
                contextName: "behind-proxy",
                server: "https://api.prod.example.com:6443",
                caData: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                userYAML: "token: abc",
                extraCluster: "    proxy-url: http://proxy.corp:3128\n"
            )
        )
        let out = directory + "/clusters.d"
        let result = try Onboarding.crowsnest(["add-cluster", "--kubeconfig", directory + "/kubeconfig", "--out", out])
        #expect(result.status == 0, "\(result.standardError)")
        let config = try Self.load(out + "/behind-proxy.yaml")
        #expect(config.proxy == ProxyURL(kind: .http, host: "proxy.corp", port: 3128))
    }

    @Test func derivedNames() {
        #expect(ClusterFileWriter.derivedName(fromContext: "dev") == "dev")
        #expect(ClusterFileWriter.derivedName(fromContext: "arn:aws:eks:us-east-1:1:cluster/prod") == "prod")
        #expect(ClusterFileWriter.derivedName(fromContext: "gke_my-project_europe-west1_shop") == "shop")
        #expect(
            ClusterFileWriter.derivedName(fromContext: "kubernetes-admin@kubernetes") == "kubernetes-admin-kubernetes"
        )
        #expect(ClusterFileWriter.derivedName(fromContext: "@@@") == nil)
        #expect(ClusterFileWriter.derivedName(fromContext: String(repeating: "x", count: 80))?.count == 63)
    }

    // MARK: - Refusals: nothing is written

    func expectNothingWritten(
        kubeconfigText: String,
        arguments: [String] = [],
        mentions: [String],
        files: [String: String] = [:]
    ) throws {
        let directory = try Onboarding.makeDirectory("add-refuse")
        defer { Onboarding.removeDirectory(directory) }
        for (path, text) in files { try Onboarding.write(directory + "/" + path, text) }
        try Onboarding.write(directory + "/kubeconfig", kubeconfigText)
        let out = directory + "/clusters.d"
        let result = try Onboarding.crowsnest(
            ["add-cluster", "--kubeconfig", directory + "/kubeconfig", "--out", out, "--name", "x"] + arguments
        )
        #expect(result.status == 2, "\(result.standardOutput)\(result.standardError)")
        for text in mentions { #expect(result.standardError.contains(text), "\(result.standardError)") }
        #expect(result.standardError.contains("nothing written"))
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written: \(Onboarding.listing(out))")
    }

    @Test func missingContextNamesIt() throws {
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(contextName: "dev", server: "https://10.0.0.1:6443", userYAML: "token: t"),
            arguments: ["--context", "staging"],
            mentions: ["staging", "dev"]
        )
    }

    @Test func missingReferencedFilesAreNamed() throws {
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(
                contextName: "dev",
                server: "https://10.0.0.1:6443",
                userYAML: "tokenFile: /nonexistent/crowsnest/token"
            ),
            mentions: ["/nonexistent/crowsnest/token", "tokenFile"]
        )
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(
                contextName: "dev",
                server: "https://10.0.0.1:6443",
                caFile: "/nonexistent/ca.crt",
                userYAML: "token: t"
            ),
            mentions: ["/nonexistent/ca.crt", "certificate-authority"]
        )
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(
                contextName: "dev",
                server: "https://10.0.0.1:6443",
                userYAML: "client-certificate: pki/missing.crt\nclient-key: pki/present.key"
            ),
            mentions: ["pki/missing.crt", "client-certificate"],
            files: ["pki/present.key": "key"]
        )
    }

    @Test func unsupportedAuthProviderAndBasicAuthAreRefused() throws {
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(
                contextName: "old-gke",
                server: "https://10.0.0.1:6443",
                userYAML: "auth-provider:\n  name: gcp\n  config: {}"
            ),
            mentions: ["auth-provider", "gcp"]
        )
        try expectNothingWritten(
            kubeconfigText: Self.kubeconfig(
                contextName: "basic",
                server: "https://10.0.0.1:6443",
                userYAML: "username: admin\npassword: hunter2"
            ),
            mentions: ["username/password"]
        )
    }

    @Test func secretsNeverAppearInErrors() throws {
        let directory = try Onboarding.makeDirectory("add-secret")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(
            directory + "/kubeconfig",
            Self.kubeconfig(contextName: "dev", server: "https://10.0.0.1:6443", userYAML: "token: s3cr3t-t0ken")
        )
        let result = try Onboarding.crowsnest([
            "add-cluster", "--kubeconfig", directory + "/kubeconfig", "--context", "nope", "--out", directory + "/o",
        ])
        #expect(result.status == 2)
        #expect(!(result.standardError + result.standardOutput).contains("s3cr3t"))
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let directory = try Onboarding.makeDirectory("add-force")
        defer { Onboarding.removeDirectory(directory) }
        let kubeconfig = directory + "/kubeconfig"
        try Onboarding.write(
            kubeconfig,
            Self.kubeconfig(contextName: "dev", server: "https://10.0.0.1:6443", userYAML: "token: first")
        )
        let out = directory + "/clusters.d"
        try Onboarding.write(out + "/dev.yaml", "# mine\n")
        let refused = try Onboarding.crowsnest(["add-cluster", "--kubeconfig", kubeconfig, "--out", out])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("dev.yaml"))
        #expect(refused.standardError.contains("--force"))
        #expect(try Onboarding.read(out + "/dev.yaml") == "# mine\n")
        #expect(Onboarding.listing(out) == ["dev.yaml"], "no side file written either")

        let forced = try Onboarding.crowsnest(["add-cluster", "--kubeconfig", kubeconfig, "--out", out, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try Onboarding.read(out + "/dev.yaml").contains("bearer_token_file"))
        #expect(try Onboarding.read(out + "/dev.token") == "first\n")
        #expect(try Onboarding.permissions(out + "/dev.yaml") == 0o600)
    }

    @Test func refusesANameAnotherClusterFileClaims() throws {
        let directory = try Onboarding.makeDirectory("add-clash")
        defer { Onboarding.removeDirectory(directory) }
        let kubeconfig = directory + "/kubeconfig"
        try Onboarding.write(
            kubeconfig,
            Self.kubeconfig(contextName: "dev", server: "https://10.0.0.1:6443", userYAML: "token: t")
        )
        let out = directory + "/clusters.d"
        try Onboarding.write(out + "/other.yaml", "name: dev\napi_server: https://10.0.0.2:6443\n")
        let result = try Onboarding.crowsnest(["add-cluster", "--kubeconfig", kubeconfig, "--out", out])
        #expect(result.status == 2)
        #expect(result.standardError.contains("other.yaml"))
        #expect(Onboarding.listing(out) == ["other.yaml"])
        let renamed = try Onboarding.crowsnest([
            "add-cluster", "--kubeconfig", kubeconfig, "--out", out, "--name", "dev2",
        ])
        #expect(renamed.status == 0, "\(renamed.standardError)")
        #expect(Onboarding.listing(out) == ["dev2.token", "dev2.yaml", "other.yaml"])
    }

    @Test func serviceAccountModePrintsCommandsAndWritesNothing() throws {
        let directory = try Onboarding.makeDirectory("add-sa")
        defer { Onboarding.removeDirectory(directory) }
        let kubeconfig = directory + "/kubeconfig"
        try Onboarding.write(
            kubeconfig,
            Self.kubeconfig(
                contextName: "gke_proj_europe-west1_shop",
                server: "https://34.1.2.3",
                userYAML: "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: gke-gcloud-auth-plugin"
            )
        )
        let out = directory + "/clusters.d"
        let result = try Onboarding.crowsnest([
            "add-cluster", "--kubeconfig", kubeconfig, "--out", out, "--service-account", "monitoring/crowsnest",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let text = result.standardOutput
        #expect(text.contains("crowsnest rbac --namespace monitoring --name crowsnest | kubectl"))
        #expect(text.contains("--context gke_proj_europe-west1_shop"))
        #expect(text.contains("create namespace monitoring"))
        #expect(text.contains("get secret crowsnest-token -o jsonpath='{.data.token}' | base64 -d > \(out)/shop.token"))
        #expect(text.contains("api_server: \"https://34.1.2.3\""))
        #expect(text.contains("bearer_token_file: \"shop.token\""))
        #expect(text.contains("crowsnest check config \(out)"))
        #expect(!FileManager.default.fileExists(atPath: out))

        let bad = try Onboarding.crowsnest([
            "add-cluster", "--kubeconfig", kubeconfig, "--service-account", "no-slash",
        ])
        #expect(bad.status == 2)
    }

    /// The written file passes the decoder before anything is written (unit level, no files).
    @Test func planIsValidatedAndKeepsTLSSettings() throws {
        let context = ResolvedKubeContext(
            name: "lab",
            server: "https://10.0.0.1:6443",
            certificateAuthority: nil,
            tlsServerName: "kubernetes.default.svc",
            insecureSkipVerify: true,
            namespace: "shop",
            user: KubeconfigUser(
                token: Secret("abc"),
                clientCertificate: .file(path: "/x.crt"),
                clientKey: .file(path: "/x.key")
            ),
            userName: "lab-admin"
        )
        let plan = try ClusterFileWriter.plan(
            context: context,
            name: nil,
            outputDirectory: "/etc/crowsnest/clusters.d",
            kubeconfigPath: "/home/ops/.kube/config",
            fileExists: { _ in true }
        )
        #expect(plan.clusterName == "lab")
        #expect(
            plan.files.map(\.path) == ["/etc/crowsnest/clusters.d/lab.token", "/etc/crowsnest/clusters.d/lab.yaml"]
        )
        #expect(plan.files.last?.role == "cluster file")
        #expect(plan.clusterFileYAML.contains("server_name: \"kubernetes.default.svc\""))
        #expect(plan.clusterFileYAML.contains("insecure_skip_verify: true"))
        #expect(plan.warnings.contains { $0.contains("insecure-skip-tls-verify") })
        #expect(plan.warnings.contains { $0.contains("several credentials") })
        #expect(!plan.clusterFileYAML.contains("abc"))
        let report = ClusterFile.parse(
            yaml: plan.clusterFileYAML,
            context: ClusterFileContext(file: plan.clusterFilePath)
        )
        #expect(!report.hasErrors)
        #expect(report.config?.tls.insecureSkipVerify == true)
    }
}
