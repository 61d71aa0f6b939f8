import CrowsnestCore
import CrowsnestKube
import Testing

@Suite("Secrets never appear in errors or descriptions")
struct ConfigSecretRedactionTests {
    typealias S = ConfigTestSupport

    static let secret = "s3cr3t-T0KEN-value-4711"

    /// Everything a user, a log line or the health page could see of a report.
    static func everythingRendered(_ report: ClusterFileReport) -> [String] {
        var texts = report.problems.map(\.description)
        texts += report.problems.map { String(reflecting: $0) }
        texts.append(String(describing: report))
        texts.append(String(reflecting: report))
        var dumped = ""
        dump(report, to: &dumped)
        texts.append(dumped)
        if let config = report.config {
            texts.append(String(describing: config))
            texts.append("\(config)")
            texts.append(String(reflecting: config))
            var dumpedConfig = ""
            dump(config, to: &dumpedConfig)
            texts.append(dumpedConfig)
            texts.append(String(describing: config.auth))
            switch config.auth {
            case .bearerToken(let token): texts += ["\(token)", String(reflecting: token)]
            case .exec(let exec): texts += exec.env.flatMap { ["\($0.value)", String(reflecting: $0.value), "\($0)"] }
            default: break
            }
        }
        return texts
    }

    @Test(
        "planted secrets stay hidden",
        arguments: [
            // Valid files: the secret is in the configuration, which prints redacted.
            "api_server: https://h\nauth:\n  bearer_token: \(secret)\n",
            "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env: {AWS_SECRET_ACCESS_KEY: \(secret)}\n",
            "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env:\n      - name: K\n        value: \(secret)\n",
            "api_server: https://h\nauth:\n  exec:\n    command: kubelogin\n    args: [get-token, --client-secret, \(secret)]\n",
            // Files with errors next to or around the secret.
            "api_server: https://h\nauth:\n  bearer_token: \(secret)\n  exec: {command: aws}\n",
            "api_server: https://h\nauth:\n  bearer_token: [\(secret)]\n",
            "api_server: https://h\nauth:\n  bearer_token: {\(secret): x}\n",
            "api_server: https://h\nauth:\n  bearer_token: \"\(secret) x\"\n",
            "api_server: https://h\nauth:\n  bearer_tokn: \(secret)\n",
            "api_server: https://h\nauth:\n  bearer_token_file: \(secret)\(secret)\(secret)\n",
            "api_server: https://h\nauth:\n  bearer_token_file: eyJhbGciOiJSUzI1NiJ9.\(secret).sig\n",
            "api_server: https://h\nauth:\n  bearer_token_file: k8s-aws-v1.\(secret)\n",
            "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env: {K: [\(secret)]}\n",
            "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env:\n      - name: K\n        value: {a: \(secret)}\n",
            "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env: {K: \(secret)}\n    timeout: never\n",
            "api_server: https://admin:\(secret)@h\nauth:\n  bearer_token_file: t\n",
            // YAML syntax errors on the secret's line.
            "api_server: https://h\nauth:\n  bearer_token: \"\(secret)\n",
            "api_server: https://h\nauth:\n  bearer_token: \(secret): x: y\n",
            "api_server: https://h\nauth:\n\tbearer_token: \(secret)\n",
            "api_server: https://h\nauth:\n  bearer_token: \(secret)\n  bearer_token: \(secret)\n",
        ]
    )
    func redacted(yaml: String) {
        let report = S.parse(yaml)
        for text in Self.everythingRendered(report) {
            #expect(!text.contains(Self.secret), "leaked: \(text)")
        }
    }

    @Test("the planted secret really is in the configuration (the test can fail)")
    func secretIsThere() throws {
        let report = S.parse("api_server: https://h\nauth:\n  bearer_token: \(Self.secret)\n")
        let config = try #require(report.config)
        #expect(config.auth == .bearerToken(Secret(Self.secret)))
        if case .bearerToken(let token) = config.auth { #expect(token.revealed == Self.secret) }
        // An unredacted rendering of the same value would contain it: the check above is meaningful.
        #expect("\(Secret(Self.secret).revealed)".contains(Self.secret))
        #expect(!"\(Secret(Self.secret))".contains(Self.secret))
    }

    @Test("a directory scan with secrets renders none")
    func scanRedacted() {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile(
            "/c/a.yaml",
            "api_server: https://h\nauth:\n  bearer_token: \(Self.secret)\n",
            permissions: 0o644
        )
        fileSystem.writeFile(
            "/c/b.yaml",
            "name: a\napi_server: https://h\nauth:\n  exec: {command: aws, env: {X: \(Self.secret)}}\n"
        )
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        #expect(scan.hasErrors)  // duplicate name
        var dumped = ""
        dump(scan, to: &dumped)
        for text in scan.problems.map(\.description) + [String(describing: scan), dumped] {
            #expect(!text.contains(Self.secret), "leaked: \(text)")
        }
        // The permissions warning for the file holding an inline token is there.
        #expect(scan.problems.contains { $0.code == .permissions && $0.location.file == "/c/a.yaml" })
    }
}
