import AsyncHTTPClient
import CrowsnestKube
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

/// Issue 8: secrets (tokens, keys, exec output) never appear in logs, errors, the health pages, the JSON API or
/// any metrics. The real `crowsnest serve` runs (so its logs are captured as an operator sees them) against
/// KubeSim with every credential kind holding a planted, unique secret, and with error paths forced (a token
/// revoked after rotation, broken files with tokens in them, a TLS failure, failing exec plugins). Then every
/// output is searched for every secret and its base64 form.
@Suite("No secret leaks from the gateway", .serialized, .timeLimit(.minutes(3)))
struct GatewaySecretLeakTests {
    /// A secret planted in the setup, and where.
    struct Planted {
        var name: String
        var value: String
    }

    /// The files and secrets of one run.
    struct Setup {
        var secrets: [Planted] = []
        /// Clusters that must authenticate, with the KubeSim user their credential maps to.
        var authenticating: [String: String] = [:]
        var rotatedToken = ""
        var execMarker = ""
        var envFileMarker = ""
        var clusterNames: [String] = []
        /// The gateway's environment (the cloud credentials' standard variables).
        var environment: [String: String] = [:]
        /// Clusters whose credential must fail (their error path must run).
        var failing: [String] = []

        mutating func plant(_ name: String) -> String {
            let value = "cnp-\(name)-\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            secrets.append(Planted(name: name, value: value))
            return value
        }
    }

    /// Writes every cluster file into `scratch/clusters.d` for the running `cluster`.
    static func prepare(_ cluster: SimulatedCluster, _ scratch: TemporaryDirectory) throws -> Setup {
        var setup = Setup()
        let server = try #require(cluster.apiServerURL)
        let caFile = try scratch.write("ca.crt", cluster.caCertificatePEM, permissions: 0o644)
        func allow(_ user: String) { cluster.policy.allowScraping(.user(user)) }
        func header(_ name: String, tls: String = "") -> String {
            "name: \(name)\napi_server: \"\(server)\"\ntls:\n  ca_file: \"\(caFile)\"\n\(tls)"
                + "scrape:\n  interval: 1s\n  timeout: 800ms\n"
        }
        func clusterFile(_ name: String, _ text: String) throws {
            try scratch.write("clusters.d/\(name).yaml", text)
            setup.clusterNames.append(name)
        }

        // A static token file.
        let fileToken = setup.plant("tokenfile")
        cluster.tokens.add(fileToken, for: Identity(user: "planted-tokenfile"))
        allow("planted-tokenfile")
        let tokenPath = try scratch.write("secrets/tokenfile", fileToken + "\n")
        try clusterFile("tokenfile", header("tokenfile") + "auth:\n  bearer_token_file: \"\(tokenPath)\"\n")
        setup.authenticating["tokenfile"] = "planted-tokenfile"

        // A client certificate and key.
        let issued = try cluster.certificateAuthority.issueClientCertificate(for: Identity(user: "planted-clientcert"))
        allow("planted-clientcert")
        let certPath = try scratch.write("secrets/client.crt", issued.certificatePEM, permissions: 0o644)
        let keyPath = try scratch.write("secrets/client.key", issued.privateKeyPEM)
        for (index, line) in issued.privateKeyPEM.split(separator: "\n").enumerated()
        where !line.hasPrefix("-----") && line.count >= 16 {
            setup.secrets.append(Planted(name: "client key line \(index)", value: String(line)))
        }
        setup.secrets.append(
            Planted(
                name: "client key body",
                value: issued.privateKeyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            )
        )
        try clusterFile(
            "clientcert",
            header("clientcert") + "auth:\n  client_cert_file: \"\(certPath)\"\n  client_key_file: \"\(keyPath)\"\n"
        )
        setup.authenticating["clientcert"] = "planted-clientcert"

        // An exec plugin printing a token, chatting a secret on stderr and needing a secret environment variable.
        let execToken = setup.plant("exec-token")
        let execStderr = setup.plant("exec-stderr")
        let execEnv = setup.plant("exec-env")
        cluster.tokens.add(execToken, for: Identity(user: "planted-exec"))
        allow("planted-exec")
        setup.execMarker = scratch.file("exec-ran-with-env")
        let plugin = try scratch.write(
            "bin/plugin.sh",
            """
            #!/bin/sh
            echo "plugin debug: using \(execStderr)" >&2
            [ "$PLANTED_ENV" = "\(execEnv)" ] || { echo "env missing" >&2; exit 4; }
            touch "\(setup.execMarker)"
            expiry=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "\(execToken)" "$expiry"

            """,
            permissions: 0o700
        )
        try clusterFile(
            "exec",
            header("exec")
                + "auth:\n  exec:\n    command: \"\(plugin)\"\n    args: [\"--secret-arg-free\"]\n"
                + "    env: {PLANTED_ENV: \"\(execEnv)\"}\n"
        )
        setup.authenticating["exec"] = "planted-exec"

        // An exec plugin whose secret environment comes from an env_file (as add-cluster writes it), and one whose
        // env_file has a secret on a line that is not KEY=VALUE.
        let fileEnv = setup.plant("exec-env-file")
        let fileEnvToken = setup.plant("exec-env-file-token")
        cluster.tokens.add(fileEnvToken, for: Identity(user: "planted-exec-envfile"))
        allow("planted-exec-envfile")
        let envFile = try scratch.write("secrets/exec.env", "# planted\nPLANTED_FILE_ENV=\(fileEnv)\n")
        setup.envFileMarker = scratch.file("exec-ran-with-env-file")
        let envPlugin = try scratch.write(
            "bin/envfile.sh",
            """
            #!/bin/sh
            echo "plugin debug: using $PLANTED_FILE_ENV" >&2
            [ "$PLANTED_FILE_ENV" = "\(fileEnv)" ] || { echo "env file missing: $PLANTED_FILE_ENV" >&2; exit 4; }
            touch "\(setup.envFileMarker)"
            expiry=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "\(fileEnvToken)" "$expiry"

            """,
            permissions: 0o700
        )
        try clusterFile(
            "execenvfile",
            header("execenvfile") + "auth:\n  exec:\n    command: \"\(envPlugin)\"\n    env_file: \"\(envFile)\"\n"
        )
        setup.authenticating["execenvfile"] = "planted-exec-envfile"
        let brokenEnv = setup.plant("exec-env-file-broken")
        let brokenEnvFile = try scratch.write("secrets/broken.env", "A=1\n\(brokenEnv)\n")
        try clusterFile(
            "execenvbroken",
            header("execenvbroken")
                + "auth:\n  exec:\n    command: \"\(envPlugin)\"\n    env_file: \"\(brokenEnvFile)\"\n"
        )

        // Exec plugins that fail: exit 1 with secrets on both streams; exit 0 with broken JSON holding a token.
        let failStderr = setup.plant("execfail-stderr")
        let failStdout = setup.plant("execfail-stdout")
        let failing = try scratch.write(
            "bin/failing.sh",
            "#!/bin/sh\necho \"error: token \(failStderr) rejected\" >&2\necho \"\(failStdout)\"\nexit 1\n",
            permissions: 0o700
        )
        try clusterFile("execfail", header("execfail") + "auth:\n  exec:\n    command: \"\(failing)\"\n")
        let badJSONToken = setup.plant("execbadjson")
        let badJSON = try scratch.write(
            "bin/badjson.sh",
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\(badJSONToken)\"'\n",
            permissions: 0o700
        )
        try clusterFile("execbadjson", header("execbadjson") + "auth:\n  exec:\n    command: \"\(badJSON)\"\n")

        // A kubeconfig with a token (server and CA from the kubeconfig too).
        let kubeconfigToken = setup.plant("kubeconfig")
        cluster.tokens.add(kubeconfigToken, for: Identity(user: "planted-kubeconfig"))
        allow("planted-kubeconfig")
        let kubeconfig = try scratch.write(
            "secrets/kubeconfig",
            ClusterFiles.kubeconfigYAML(
                [
                    KubeconfigContext(
                        name: "leaky-ctx",
                        server: server,
                        caFile: caFile,
                        credential: .token(kubeconfigToken)
                    )
                ],
                currentContext: "leaky-ctx"
            )
        )
        try clusterFile(
            "kubeconfig",
            "name: kubeconfig\nauth:\n  kubeconfig: \"\(kubeconfig)\"\n  context: leaky-ctx\nscrape:\n  interval: 1s\n  timeout: 800ms\n"
        )
        setup.authenticating["kubeconfig"] = "planted-kubeconfig"

        // A broken kubeconfig with a token in it.
        let brokenKubeconfigToken = setup.plant("brokenkubeconfig")
        let brokenKubeconfig = try scratch.write(
            "secrets/broken-kubeconfig",
            "apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    token: \(brokenKubeconfigToken)\n  - [unbalanced: {\n"
        )
        try clusterFile("brokenkubeconfig", "name: brokenkubeconfig\nauth:\n  kubeconfig: \"\(brokenKubeconfig)\"\n")

        // A token file whose token is revoked after rotation (the file keeps the old one: 401s).
        let rotated = setup.plant("rotated")
        setup.rotatedToken = rotated
        cluster.tokens.add(rotated, for: Identity(user: "planted-rotated"))
        allow("planted-rotated")
        let rotatedPath = try scratch.write("secrets/rotated", rotated + "\n")
        try clusterFile("rotated", header("rotated") + "auth:\n  bearer_token_file: \"\(rotatedPath)\"\n")
        setup.authenticating["rotated"] = "planted-rotated"

        // An inline token on a cluster whose TLS verification fails (a CA that did not sign the server's certificate).
        let inline = setup.plant("inline-tls")
        cluster.tokens.add(inline, for: Identity(user: "planted-inline"))
        allow("planted-inline")
        let otherCA = try scratch.write("other-ca.crt", try CertificateAuthority(commonName: "other-ca").certificatePEM)
        try clusterFile(
            "tlsfail",
            "name: tlsfail\napi_server: \"\(server)\"\ntls:\n  ca_file: \"\(otherCA)\"\n"
                + "scrape:\n  interval: 1s\n  timeout: 800ms\nauth:\n  bearer_token: \"\(inline)\"\n"
        )

        // Broken cluster files with tokens in them: a YAML syntax error on the token's line, a token with a
        // space, a token pasted where a path belongs, a token under a misspelt key.
        let syntax = setup.plant("broken-syntax")
        try clusterFile("broken-syntax", header("broken-syntax") + "auth:\n  bearer_token: \"\(syntax)\n  bogus: [\n")
        let spaced = setup.plant("broken-space")
        try clusterFile("broken-space", header("broken-space") + "auth:\n  bearer_token: \"\(spaced) tail\"\n")
        let asPathJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjcm93c25lc3QifQ.\(setup.plant("token-as-path-jwt"))"
        setup.secrets.append(Planted(name: "token-as-path-jwt (whole)", value: asPathJWT))
        try clusterFile("token-as-path-jwt", header("token-as-path-jwt") + "auth:\n  bearer_token_file: \(asPathJWT)\n")
        let asPathLong = setup.plant("token-as-path-long-" + String(repeating: "x", count: 30))
        try clusterFile(
            "token-as-path-long",
            header("token-as-path-long") + "auth:\n  bearer_token_file: \(asPathLong)\n"
        )
        let asPathShort = setup.plant("token-as-path")
        try clusterFile("token-as-path", header("token-as-path") + "auth:\n  bearer_token_file: \(asPathShort)\n")
        let misspelt = setup.plant("misspelt-key")
        try clusterFile("misspelt-key", header("misspelt-key") + "auth:\n  bearer_tokn: \"\(misspelt)\"\n")
        return setup
    }

    @Test("every credential kind and error path: no planted secret in logs, pages, JSON, metrics or check output")
    func noSecretInAnyOutput() async throws {
        let crowsnest = try PeerBinary.crowsnest()
        let scratch = try TemporaryDirectory("crowsnest-secrets")
        defer { scratch.remove() }
        let keys = LeakAWSKeys()
        var configuration = ClusterConfiguration(name: "leaky")
        var eks = EKSAuthentication(clusterName: "leaky", credentials: [])
        eks.lookup = { keys.lookup($0) }
        configuration.eks = eks
        let cluster = try SimulatedCluster(configuration)
        try cluster.addFrozenExporterPod(namespace: "app", name: "web-0", series: 10)
        try cluster.addFrozenExporterPod(namespace: "app", name: "web-1", series: 10)
        let (moto, motoEndpoint) = try await Self.startMoto(scratch)
        defer { moto.stop() }
        let google = GoogleIdentityServer(tokens: cluster.tokens)
        let entra = try EntraIDServer(tokens: cluster.tokens, tenant: "leaky-tenant")
        try await cluster.withRunning { cluster in
            try await google.withRunning { google in
                try await entra.withRunning { entra in
                    let peers = CloudPeers(
                        moto: moto,
                        motoEndpoint: motoEndpoint,
                        google: google,
                        entra: entra,
                        keys: keys
                    )
                    var setup = try Self.prepare(cluster, scratch)
                    try Self.prepareCloud(cluster, scratch, &setup, peers)
                    let prepared = setup
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await Self.acceptSTSSessions(peers) }
                        try await Self.serveAndSearch(
                            cluster: cluster,
                            setup: prepared,
                            scratch: scratch,
                            crowsnest: crowsnest,
                            peers: peers
                        )
                        group.cancelAll()
                    }
                }
            }
        }
    }

    /// Runs `crowsnest serve` on the prepared files, forces the error paths, and searches every output.
    static func serveAndSearch(
        cluster: SimulatedCluster,
        setup: Setup,
        scratch: TemporaryDirectory,
        crowsnest: PeerBinary,
        peers: CloudPeers
    ) async throws {
        let gateway = try PeerProcess(
            crowsnest,
            ["serve", "--config-dir", scratch.file("clusters.d"), "--listen", "127.0.0.1:0", "--log-level", "trace"],
            environment: setup.environment,
            home: scratch.path
        )
        defer { gateway.stop() }
        let listening = await gateway.wait(timeout: .seconds(30)) { $0.stderr.contains("gateway listening") }
        let line = gateway.stderr.split(separator: "\n").first { $0.contains("gateway listening") } ?? ""
        let port = try #require(
            listening ? line.firstMatch(of: /127\.0\.0\.1:(\d+)/).map { String($0.1) } : nil,
            "crowsnest serve did not report its port: \(gateway.stderr)"
        )
        let base = "http://127.0.0.1:\(port)"
        try await KubeHTTPClient.withClient { client in
            try await search(
                client: client,
                base: base,
                gateway: gateway,
                cluster: cluster,
                setup: setup,
                scratch: scratch,
                crowsnest: crowsnest,
                peers: peers
            )
        }
    }

    /// The checks and the search, with the gateway listening at `base`.
    static func search(
        client: HTTPClient,
        base: String,
        gateway: PeerProcess,
        cluster: SimulatedCluster,
        setup: Setup,
        scratch: TemporaryDirectory,
        crowsnest: PeerBinary,
        peers: CloudPeers
    ) async throws {
        func report(_ name: String) async -> ClusterHealth? {
            let (status, body) = await LoopbackHTTP.get(client, base + "/api/v1/clusters/\(name)")
            return status == 200 ? try? ClusterHealth.decode(body) : nil
        }
        // Every authenticating cluster scrapes both pods.
        let deadline = ContinuousClock.now + .seconds(30)
        var pending = Set(setup.authenticating.keys)
        while !pending.isEmpty && ContinuousClock.now < deadline {
            for name in pending {
                if await report(name)?.targetsUp == 2 { pending.remove(name) }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(
            pending.isEmpty,
            "clusters that did not authenticate and scrape: \(pending.sorted()); log: \(gateway.stderr.suffix(3000))"
        )
        // The secrets were really used: KubeSim authenticated each credential's user.
        for (name, user) in setup.authenticating.sorted(by: { $0.key < $1.key }) {
            #expect(
                cluster.requestLog.count { $0.user == user && $0.status == 200 && $0.path.contains("/proxy/") } > 0,
                "\(name): no authenticated scrape as \(user)"
            )
        }
        #expect(FileManager.default.fileExists(atPath: setup.execMarker), "the exec plugin never saw its secret env")
        #expect(
            FileManager.default.fileExists(atPath: setup.envFileMarker),
            "the exec plugin never saw its env_file's secret"
        )

        // Rotation: the old token is revoked; the file still holds it, so the API server answers 401.
        cluster.tokens.remove(setup.rotatedToken)
        _ = try? await client.execute(
            {
                var request = HTTPClientRequest(url: base + "/-/reload")
                request.method = .POST
                return request
            }(),
            timeout: .seconds(10)
        )
        let rejectedBy = ContinuousClock.now + .seconds(20)
        var rotatedReport = await report("rotated")
        while rotatedReport?.status == "ok" && ContinuousClock.now < rejectedBy {
            try await Task.sleep(for: .milliseconds(250))
            rotatedReport = await report("rotated")
        }
        #expect(rotatedReport?.status != "ok", "the revoked token still works: \(String(describing: rotatedReport))")
        #expect(cluster.requestLog.count { $0.status == 401 } > 0, "no 401 was ever answered")
        let tlsReport = await report("tlsfail")
        #expect(tlsReport?.status != "ok" && tlsReport?.lastError != nil, "tlsfail: \(String(describing: tlsReport))")
        for name in [
            "broken-syntax", "broken-space", "token-as-path", "token-as-path-jwt", "token-as-path-long", "misspelt-key",
        ] {
            #expect(await report(name)?.status == "config error", "\(name) should be a config error")
        }
        try await Task.sleep(for: .seconds(2))  // a few more failing rounds for the logs

        // Every output.
        var outputs: [(String, String)] = []
        var paths = [
            "/", "/?refresh=5", "/api/v1/clusters", "/-/metrics", "/metrics", "/federate", "/-/ready", "/-/healthy",
        ]
        for name in setup.clusterNames + ["leaky", "does-not-exist"] {
            paths += ["/clusters/\(name)", "/api/v1/clusters/\(name)"]
            for target in await report(name)?.targets ?? [] {
                paths.append("/clusters/\(name)/targets/\(target.namespace)/\(target.pod)/\(target.port)")
            }
        }
        for path in paths {
            let (status, body) = await LoopbackHTTP.get(client, base + path)
            #expect(status != nil, "\(path) did not answer")
            outputs.append(("GET \(path)", body))
        }
        var openMetrics = HTTPClientRequest(url: base + "/metrics")
        openMetrics.headers.add(name: "Accept", value: "application/openmetrics-text; version=1.0.0")
        let response = try await client.execute(openMetrics, timeout: .seconds(10))
        outputs.append(("GET /metrics (OpenMetrics)", String(buffer: try await response.body.collect(upTo: 64 << 20))))
        #expect(paths.contains { $0.contains("/targets/") }, "no raw scrape view was fetched")
        await Self.checkCloudHealth(client, base: base)
        for name in setup.failing {
            let failing = await report(name)
            #expect(failing?.status != "ok" && failing?.lastError != nil, "\(name): \(String(describing: failing))")
        }
        let check = try await PeerProcess.run(
            crowsnest,
            ["check", "config", scratch.file("clusters.d")],
            environment: setup.environment,
            home: scratch.path
        )
        outputs.append(("crowsnest check config (stdout)", check.stdout))
        outputs.append(("crowsnest check config (stderr)", check.stderr))
        #expect(check.status != 0, "check config should report the broken files")

        gateway.stop()  // the shutdown logs too
        outputs.append(("serve stdout", gateway.stdout))
        outputs.append(("serve stderr (logs)", gateway.stderr))
        // The broken env file is caught when the cluster file is loaded (its referenced files are checked).
        #expect(
            gateway.stderr.contains("execenvbroken.yaml") && gateway.stderr.contains("line 2: expected KEY=VALUE"),
            "the logs do not report the broken exec env file"
        )
        for name in ["rotated", "tlsfail", "execfail", "execbadjson"] + setup.failing {
            #expect(
                gateway.stderr.contains("cluster=\(name)"),
                "the logs do not mention \(name): the error path did not run"
            )
        }

        let issued = try await Self.issuedSecrets(peers)
        #expect(issued.count >= 5, "the cloud peers issued too few sessions and tokens: \(issued.map(\.name))")
        var leaks: [String] = []
        for secret in setup.secrets + issued {
            let forms = [secret.value, Data(secret.value.utf8).base64EncodedString()]
            for (output, text) in outputs {
                for form in forms where text.contains(form) {
                    leaks.append("\(secret.name) in \(output): …\(Self.context(of: form, in: text))")
                }
            }
        }
        #expect(leaks.isEmpty, "secrets leaked:\n\(leaks.joined(separator: "\n"))")
        #expect(setup.secrets.count >= 15)
        #expect(outputs.reduce(0) { $0 + $1.1.utf8.count } > 10_000, "the outputs searched are suspiciously small")
    }

    /// Up to 120 characters before `needle` in `text`, and the needle.
    static func context(of needle: String, in text: String) -> Substring {
        guard let range = text.range(of: needle) else { return "" }
        let start = text.index(range.lowerBound, offsetBy: -120, limitedBy: text.startIndex) ?? text.startIndex
        return text[start..<range.upperBound]
    }
}
