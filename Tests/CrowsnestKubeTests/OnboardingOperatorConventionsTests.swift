import CrowsnestCore
import Foundation
import Testing

/// Command-line habits operators bring from Prometheus and kubectl: `--version`, `--log-level warn`, `--shard auto`
/// in a StatefulSet (with clear refusals), and `add-cluster` reading `$KUBECONFIG` like kubectl.
@Suite("Onboarding: operator conventions", .timeLimit(.minutes(2)))
struct OnboardingOperatorConventionsTests {
    /// The environment of the test process, with `changes` applied (nil removes a variable).
    static func environment(_ changes: [String: String?]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes { environment[name] = value }
        return environment
    }

    @Test("crowsnest --version prints version, revision and Swift version; --log-level warn is accepted")
    func versionAndLogLevel() throws {
        let version = try Onboarding.crowsnest(["--version"])
        #expect(version.status == 0)
        #expect(version.standardOutput == BuildInfo.versionLine + "\n", "\(version.standardOutput)")
        #expect(version.standardOutput.hasPrefix("crowsnest \(BuildInfo.version) (revision "))
        let warn = try Onboarding.crowsnest(["rbac", "--log-level", "warn"])
        #expect(warn.status == 0, "\(warn.standardError)")
        let wrong = try Onboarding.crowsnest(["rbac", "--log-level", "loud"])
        #expect(wrong.status == 2 && wrong.standardError.contains("warn"), "\(wrong.standardError)")
    }

    @Test("--shard auto: a pod name without an ordinal, a zero count, an ordinal past the count are refused (exit 2)")
    func shardRefusals() throws {
        let directory = try Onboarding.makeDirectory("shard")
        defer { Onboarding.removeDirectory(directory) }
        let cases: [([String], [String: String?], String)] = [
            (
                ["--shard", "auto", "--shard-count", "3"], ["HOSTNAME": "crowsnest-7c9d5b8f4-x2k9p", "POD_NAME": nil],
                "does not end in a StatefulSet ordinal"
            ),
            (
                ["--shard", "auto", "--shard-count", "0"], ["HOSTNAME": "crowsnest-0", "POD_NAME": nil],
                "at least 1, not 0"
            ),
            (
                [], ["CROWSNEST_SHARD": "auto", "CROWSNEST_SHARD_COUNT": "3", "POD_NAME": "crowsnest-3"],
                "ordinal 3, but the shard count is 3"
            ),
            (["--shard", "auto"], ["HOSTNAME": "crowsnest-0", "CROWSNEST_SHARD_COUNT": nil], "needs the shard count"),
            (["--shard", "0/0"], [:], "at least 1, not 0"),
            (["--shard", "2/2"], [:], "not in 0..<2"),
        ]
        for (arguments, changes, words) in cases {
            let result = try Onboarding.crowsnest(
                ["serve", "--config-dir", directory, "--listen", "127.0.0.1:0"] + arguments,
                environment: Self.environment(changes),
                timeout: 20
            )
            #expect(result.status == 2, "\(arguments) \(changes): \(result.standardError)")
            #expect(result.standardError.contains(words), "\(arguments): \(result.standardError)")
        }
    }

    @Test("--shard auto takes the index from the StatefulSet pod's name (POD_NAME, else HOSTNAME)")
    func shardAuto() throws {
        let directory = try Onboarding.makeDirectory("shard-auto")
        defer { Onboarding.removeDirectory(directory) }
        let result = try Onboarding.crowsnest(
            ["serve", "--config-dir", directory, "--listen", "127.0.0.1:0", "--shard", "auto"],
            environment: Self.environment([
                "HOSTNAME": "crowsnest-1", "POD_NAME": nil, "CROWSNEST_SHARD_COUNT": "2",
            ]),
            timeout: 3
        )
        #expect(result.standardError.contains("keeping this replica's share of the targets"), "\(result.standardError)")
        #expect(result.standardError.contains("shard=1/2"), "\(result.standardError)")
    }

    @Test("add-cluster without --kubeconfig reads the first file of $KUBECONFIG, else ~/.kube/config")
    func addClusterDefaultsToKubeconfigVariable() throws {
        let directory = try Onboarding.makeDirectory("add-default")
        defer { Onboarding.removeDirectory(directory) }
        let kubeconfig = OnboardingAddClusterTests.kubeconfig(
            contextName: "from-variable",
            server: "https://127.0.0.1:6443",
            caData: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            userYAML: "token: not-a-real-token"
        )
        try Onboarding.write(directory + "/first", kubeconfig)
        try Onboarding.write(
            directory + "/home/.kube/config",
            kubeconfig.replacingOccurrences(of: "from-variable", with: "from-home")
        )
        var result = try Onboarding.crowsnest(
            ["add-cluster", "--out", directory + "/a"],
            environment: Self.environment(["KUBECONFIG": directory + "/first:" + directory + "/second"])
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            Onboarding.listing(directory + "/a").contains("from-variable.yaml"),
            "\(Onboarding.listing(directory + "/a"))"
        )
        result = try Onboarding.crowsnest(
            ["add-cluster", "--out", directory + "/b"],
            environment: Self.environment(["KUBECONFIG": nil, "HOME": directory + "/home"])
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            Onboarding.listing(directory + "/b").contains("from-home.yaml"),
            "\(Onboarding.listing(directory + "/b"))"
        )
    }

    @Test(
        "the image's health check follows the address serve really listens on, plain and TLS",
        arguments: [false, true]
    )
    func healthCheckFollowsListenAndTLS(tls: Bool) throws {
        let directory = try Onboarding.makeDirectory("health")
        defer { Onboarding.removeDirectory(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/clusters.d", withIntermediateDirectories: true)
        var arguments = ["serve", "--config-dir", directory + "/clusters.d", "--listen", "127.0.0.1:0"]
        if tls {
            let openssl = try Onboarding.requirePeer("openssl", package: "openssl")
            let made = try Onboarding.run(
                openssl,
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", directory + "/tls.key", "-out", directory + "/tls.crt", "-days", "1",
                    "-subj", "/CN=localhost",
                ]
            )
            #expect(made.status == 0, "\(made.standardError)")
            try Onboarding.write(
                directory + "/crowsnest.yaml",
                "web:\n  tls_cert_file: \(directory)/tls.crt\n  tls_key_file: \(directory)/tls.key\n"
            )
            arguments += ["--config", directory + "/crowsnest.yaml"]
        }
        let healthFile = directory + "/health"
        let environment = Self.environment(["CROWSNEST_HEALTH_FILE": healthFile])
        let before = try Onboarding.crowsnest(["healthcheck"], environment: environment, timeout: 20)
        #expect(before.status == 1 && before.standardError.contains("CROWSNEST_HEALTH_FILE"), "\(before)")

        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: try Onboarding.crowsnestPath())
        serve.arguments = arguments
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer {
            if serve.isRunning { serve.terminate() }
            serve.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: healthFile) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let recorded = try Onboarding.read(healthFile).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recorded.hasPrefix(tls ? "https://127.0.0.1:" : "http://127.0.0.1:"), "\(recorded)")
        #expect(recorded.hasSuffix("/-/healthy") && !recorded.contains(":0/"), "\(recorded)")
        let healthy = try Onboarding.crowsnest(["healthcheck"], environment: environment, timeout: 20)
        #expect(healthy.status == 0, "\(healthy.standardError)")

        serve.terminate()
        serve.waitUntilExit()
        let stopped = try Onboarding.crowsnest(["healthcheck"], environment: environment, timeout: 20)
        #expect(stopped.status == 1 && stopped.standardError.contains(recorded), "\(stopped.standardError)")
    }
}
