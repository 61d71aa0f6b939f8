import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import Testing

@testable import CrowsnestKube

@Suite("Bad cluster input gives that cluster a clear error; secrets never leak", .timeLimit(.minutes(2)))
struct KubeBadInputTests {
    static func firstError(_ client: KubeClusterClient) async -> KubeClientError? {
        do {
            let response = try await client.get(path: "/api/v1/pods", deadline: KubeTestSupport.deadline())
            _ = try await response.body.collect(upTo: 1 << 20)
            return nil
        } catch let error as KubeClientError {
            return error
        } catch {
            Issue.record("not a KubeClientError: \(error)")
            return nil
        }
    }

    @Test("missing CA file, unreadable token, hanging and garbage exec plugins, missing kubeconfig context")
    func badInputs() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "bad"))
        let token = sim.issueToken(for: .admin())
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try KubeTestSupport.write(folder + "/hang.sh", "#!/bin/sh\nsleep 60\n", executable: true)
        try KubeTestSupport.write(
            folder + "/garbage.sh",
            "#!/bin/sh\necho 'this is not json tok-abcdef'\n",
            executable: true
        )
        try KubeTestSupport.write(
            folder + "/fails.sh",
            "#!/bin/sh\necho 'error: token AKIAIOSFODNN7EXAMPLE123456 rejected' >&2\nexit 2\n",
            executable: true
        )
        try KubeTestSupport.write(folder + "/unreadable", token)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: folder + "/unreadable")
        try KubeTestSupport.write(
            folder + "/kubeconfig",
            """
            apiVersion: v1
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: kubeconfig-secret-token-123}}]
            contexts: [{name: ctx, context: {cluster: c, user: u}}]
            """
        )
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                func client(_ auth: ClusterAuth, tls: TLSSettings? = nil) throws -> KubeClusterClient {
                    KubeClusterClient(
                        config: try KubeTestSupport.config(sim, auth: auth, tls: tls),
                        httpClient: http,
                        logger: Logger(label: "t")
                    )
                }
                let missingCA = try client(
                    .bearerToken(Secret(token)),
                    tls: TLSSettings(certificateAuthority: .file(path: folder + "/nope.crt"))
                )
                var error = await Self.firstError(missingCA)
                #expect(error?.message.contains("cannot read CA file \(folder)/nope.crt") == true)
                #expect(missingCA.credentialStatus.lastError == error?.message)

                if getuid() != 0 {  // root reads any file
                    error = await Self.firstError(try client(.bearerTokenFile(path: folder + "/unreadable")))
                    #expect(error?.code == .credentials)
                }
                error = await Self.firstError(try client(.bearerTokenFile(path: folder + "/absent")))
                #expect(error?.code == .credentials)
                #expect(error?.message.contains("token file \(folder)/absent") == true)

                let started = ContinuousClock.now
                error = await Self.firstError(
                    try client(.exec(ExecConfig(command: folder + "/hang.sh", timeout: .seconds(1))))
                )
                #expect(error?.message.contains("did not finish within 1s") == true)
                #expect(ContinuousClock.now - started < .seconds(5))

                error = await Self.firstError(try client(.exec(ExecConfig(command: folder + "/garbage.sh"))))
                #expect(error?.message.contains("not an ExecCredential") == true)
                #expect(error?.message.contains("tok-abcdef") == false)

                error = await Self.firstError(try client(.exec(ExecConfig(command: folder + "/fails.sh"))))
                #expect(error?.message.contains("exited with status 2") == true)
                #expect(error?.message.contains("AKIAIOSFODNN7EXAMPLE123456") == false)

                error = await Self.firstError(try client(.exec(ExecConfig(command: "no-such-plugin-xyz"))))
                #expect(error?.message.contains("\"no-such-plugin-xyz\" was not found") == true)

                error = await Self.firstError(try client(.kubeconfig(path: folder + "/kubeconfig", context: "prod")))
                #expect(error?.code == .configuration)
                #expect(error?.message.contains("no context \"prod\"") == true)
                #expect(error?.message.contains("kubeconfig-secret-token-123") == false)

                // Meanwhile a good cluster on the same HTTP client works.
                let good = try client(.bearerToken(Secret(token)))
                #expect(await Self.firstError(good) == nil)
            }
        }
    }

    @Test("planted secrets appear in no log line, error, status or state")
    func secretsNeverLeak() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "leak"))
        let validToken = sim.issueToken(for: .admin())
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let planted = [
            "PLANTED-static-token-0123456789", "PLANTED-file-token-9876543210", "PLANTED-env-secret-value",
            "PLANTED-exec-token-55555", "PLANTED-kubeconfig-token-777", validToken,
        ]
        try KubeTestSupport.write(folder + "/token", planted[1])
        try KubeTestSupport.write(
            folder + "/plugin.sh",
            """
            #!/bin/sh
            echo "failed with $SECRET_ENV and PLANTED-exec-token-55555" >&2
            exit 1
            """,
            executable: true
        )
        try KubeTestSupport.write(
            folder + "/kubeconfig",
            """
            apiVersion: v1
            clusters: [{name: c, cluster: {server: "\(sim.apiServerURL ?? "https://127.0.0.1:1")"}}]
            users: [{name: u, user: {token: PLANTED-kubeconfig-token-777}}]
            contexts: [{name: ctx, context: {cluster: c, user: u}}]
            current-context: ctx
            """
        )
        let (logger, logs) = CapturingLogHandler.logger()
        var rendered: [String] = []
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let auths: [ClusterAuth] = [
                    .bearerToken(Secret(planted[0])), .bearerTokenFile(path: folder + "/token"),
                    .exec(
                        ExecConfig(
                            command: folder + "/plugin.sh",
                            env: [ExecEnvironmentVariable(name: "SECRET_ENV", value: Secret(planted[2]))]
                        )
                    ),
                    .kubeconfig(path: folder + "/kubeconfig", context: nil), .bearerToken(Secret(validToken)),
                ]
                for (index, auth) in auths.enumerated() {
                    var config = try KubeTestSupport.config(sim, name: "c\(index)", auth: auth)
                    if case .kubeconfig = auth {
                        config.apiServer = nil
                        config.tls = TLSSettings(insecureSkipVerify: true)
                    }
                    rendered.append("\(config)")
                    let client = KubeClusterClient(config: config, httpClient: http, logger: logger)
                    let discovery = ClusterDiscovery(
                        client: client,
                        logger: logger,
                        options: DiscoveryOptions(
                            initialBackoff: .milliseconds(50),
                            maximumBackoff: .milliseconds(200),
                            debounce: .milliseconds(20)
                        )
                    )
                    try await KubeTestSupport.withDiscovery(discovery) { updates in
                        _ = await KubeTestSupport.eventually(.seconds(3)) { updates.latest != nil }
                        rendered.append("\(updates.updates)")
                    }
                    if let error = await KubeBadInputTests.firstError(client) {
                        rendered += ["\(error)", error.message, String(reflecting: error)]
                    }
                    rendered.append("\(client.credentialStatus)")
                    rendered.append(String(reflecting: client.credentialStatus))
                    rendered.append("\(discovery.state)")
                }
            }
        }
        rendered += logs.all
        #expect(rendered.count > 10)
        for secret in planted {
            for text in rendered {
                #expect(!text.contains(secret), "a planted secret leaked into: \(text.prefix(200))")
            }
        }
    }
}
