import Testing

@testable import CrowsnestCore

@Suite("Config values: durations, sizes, URLs, paths")
struct ConfigValueTests {
    @Test(
        "Prometheus durations parse",
        arguments: [
            ("0", Duration.zero), ("30s", .seconds(30)), ("1m30s", .seconds(90)), ("500ms", .milliseconds(500)),
            ("1h", .seconds(3600)), ("2d12h", .seconds(2 * 86_400 + 12 * 3600)), ("1w", .seconds(7 * 86_400)),
            ("1y", .seconds(365 * 86_400)), ("1h1m1s1ms", .milliseconds(3_661_001)), ("0s", .zero),
            ("90m", .seconds(5400)),
        ] as [(String, Duration)]
    )
    func durationParses(text: String, expected: Duration) {
        #expect(Duration(prometheus: text) == expected)
    }

    @Test(
        "invalid Prometheus durations are rejected",
        arguments: [
            "", "1", "30", "1.5s", "-1s", "1s1m", "1m1m", "s", "1sec", "1 s", " 1s", "1S", "1ms1s",
            "99999999999999999999s", "1mss",
        ]
    )
    func durationRejects(text: String) {
        #expect(Duration(prometheus: text) == nil)
    }

    @Test("durations print in Prometheus syntax")
    func durationPrints() {
        #expect(Duration.seconds(90).prometheusDescription == "1m30s")
        #expect(Duration.zero.prometheusDescription == "0s")
        #expect(Duration.milliseconds(500).prometheusDescription == "500ms")
        #expect(Duration.seconds(86_400 + 1).prometheusDescription == "1d1s")
    }

    @Test(
        "sizes parse with Prometheus' base-2 units",
        arguments: [
            ("0", Int64(0)), ("1B", 1), ("50MiB", 50 << 20), ("50MB", 50 << 20), ("1KB", 1024), ("1KiB", 1024),
            ("2GiB", 2 << 30), ("1.5KiB", 1536), ("1 MiB", 1 << 20), ("3TB", 3 << 40), ("0.5B", 0),
        ] as [(String, Int64)]
    )
    func sizeParses(text: String, bytes: Int64) {
        #expect(ByteCount(parsing: text)?.bytes == bytes)
    }

    @Test(
        "invalid sizes are rejected",
        arguments: ["", "10", "MiB", "10mb", "10 kb", "-1MiB", "1.MiB", "1e3B", "99999999999EiB"]
    )
    func sizeRejects(text: String) {
        #expect(ByteCount(parsing: text) == nil)
    }

    @Test("sizes print with the largest exact unit")
    func sizePrints() {
        #expect(ByteCount.mebibytes(50).description == "50MiB")
        #expect(ByteCount(bytes: 1536).description == "1536B")
        #expect(ByteCount(bytes: 3072).description == "3KiB")
        #expect(ByteCount.zero.description == "0B")
    }

    @Test(
        "API server URLs parse",
        arguments: [
            ("https://203.0.113.10:6443", "https", "203.0.113.10", 6443, "", "https://203.0.113.10:6443"),
            ("https://Kube.Example.com", "https", "kube.example.com", 443, "", "https://kube.example.com"),
            ("https://kube.example.com/", "https", "kube.example.com", 443, "", "https://kube.example.com"),
            ("https://[2001:db8::1]:6443", "https", "2001:db8::1", 6443, "", "https://[2001:db8::1]:6443"),
            ("http://127.0.0.1:8001", "http", "127.0.0.1", 8001, "", "http://127.0.0.1:8001"),
            (
                "https://rancher.example.com/k8s/clusters/c-m-abc12/", "https", "rancher.example.com", 443,
                "/k8s/clusters/c-m-abc12", "https://rancher.example.com/k8s/clusters/c-m-abc12"
            ),
        ] as [(String, String, String, Int, String, String)]
    )
    func apiServerParses(text: String, scheme: String, host: String, port: Int, prefix: String, base: String) throws {
        let url = try APIServerURL(parsing: text)
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.pathPrefix == prefix)
        #expect(url.baseURL == base)
    }

    @Test(
        "invalid API server URLs are rejected",
        arguments: [
            "203.0.113.10:6443", "ftp://host", "https://", "https://:6443", "https://host:0", "https://host:70000",
            "https://host:port", "https://host/?x=1", "https://host/#frag", "https://user:pw@host", "https://ho st",
            "https://host/a/../b", "https://host//a", "https://[::1", "https://host/a%2Fb",
        ]
    )
    func apiServerRejects(text: String) {
        #expect(throws: APIServerURL.ParseError.self) { try APIServerURL(parsing: text) }
    }

    @Test("URL user info is never quoted in the error")
    func apiServerUserInfoNotQuoted() {
        do {
            _ = try APIServerURL(parsing: "https://admin:hunter2-secret@host")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("loopback detection")
    func loopback() throws {
        #expect(try APIServerURL(parsing: "http://localhost:8001").isLoopback)
        #expect(try APIServerURL(parsing: "http://127.0.0.1:8001").isLoopback)
        #expect(try APIServerURL(parsing: "http://[::1]:8001").isLoopback)
        #expect(try !APIServerURL(parsing: "http://10.0.0.1:8001").isLoopback)
    }

    @Test(
        "paths resolve against the file's folder and HOME",
        arguments: [
            ("ca.crt", "/etc/crowsnest/clusters.d/ca.crt"),
            ("./ca/x.crt", "/etc/crowsnest/clusters.d/ca/x.crt"),
            ("../tokens/t", "/etc/crowsnest/tokens/t"),
            ("/abs/ca.crt", "/abs/ca.crt"),
            ("~/.kube/config", "/home/ops/.kube/config"),
            ("~", "/home/ops"),
        ]
    )
    func pathsResolve(written: String, expected: String) throws {
        let result = ConfigPaths.resolve(
            written,
            baseDirectory: "/etc/crowsnest/clusters.d",
            homeDirectory: "/home/ops"
        )
        #expect(try result.get() == expected)
    }

    @Test("unresolvable paths")
    func pathsFail() {
        #expect(throws: ConfigPaths.PathError.self) {
            try ConfigPaths.resolve("~other/x", baseDirectory: "/b", homeDirectory: "/h").get()
        }
        #expect(throws: ConfigPaths.PathError.self) {
            try ConfigPaths.resolve("~/x", baseDirectory: "/b", homeDirectory: nil).get()
        }
        #expect(throws: ConfigPaths.PathError.self) {
            try ConfigPaths.resolve("", baseDirectory: "/b", homeDirectory: "/h").get()
        }
    }

    @Test("file names")
    func fileNames() {
        #expect(ConfigPaths.stem(of: "clusters.d/prod-eu.yaml") == "prod-eu")
        #expect(ConfigPaths.stem(of: "a.b.yml") == "a.b")
        #expect(ConfigPaths.directory(of: "clusters.d/prod.yaml") == "clusters.d")
        #expect(ConfigPaths.directory(of: "prod.yaml") == ".")
        #expect(ConfigPaths.directory(of: "/prod.yaml") == "/")
    }

    @Test(
        "scrape path rule (SPEC §4)",
        arguments: [
            ("/metrics", true), ("/a/b/metrics", true), ("/", true), ("/metrics%20x", true),
            ("metrics", false), ("//evil/metrics", false), ("/a/../b", false), ("/a/./b", false), ("/a%2Fb", false),
            ("/a%2e%2e/b", true), ("/%2e%2e/b", false), ("/a?x=1", false), ("/a#f", false), ("/a\\b", false),
            ("/a%25b", false), ("/a%zz", false), ("/a%3Fb", false), ("/%2F%2Fhost", false),
        ]
    )
    func scrapePathRule(path: String, valid: Bool) {
        #expect((ScrapeConfig.pathProblem(path) == nil) == valid, "\(path)")
    }

    @Test("cluster name rule")
    func clusterNames() {
        for name in ["a", "prod-eu", "aws.prod_1", "A1", String(repeating: "x", count: 63)] {
            #expect(ClusterConfig.isValidName(name), "\(name)")
        }
        for name in ["", "-a", ".a", "_a", "a b", "a/b", "ä", "a%2F", String(repeating: "x", count: 64)] {
            #expect(!ClusterConfig.isValidName(name), "\(name)")
        }
    }

    @Test("base64 decoding")
    func base64() {
        #expect(ConfigBase64.decode("aGVsbG8=").map { String(decoding: $0, as: UTF8.self) } == "hello")
        #expect(ConfigBase64.decode("aGVsbG8").map { String(decoding: $0, as: UTF8.self) } == "hello")
        #expect(ConfigBase64.decode("aGVs\nbG8=\n").map { String(decoding: $0, as: UTF8.self) } == "hello")
        #expect(ConfigBase64.decode("aGVsbG8=x") == nil)
        #expect(ConfigBase64.decode("a") == nil)
        #expect(ConfigBase64.decode("not base64!") == nil)
        #expect(ConfigBase64.decode("") == nil)
    }

    @Test("suggestions for misspelt keys")
    func suggestions() {
        let keys = ["bearer_token_file", "bearer_token", "client_cert_file", "kubeconfig"]
        #expect(ConfigText.suggestion(for: "bearer_tokn_file", among: keys) == "bearer_token_file")
        #expect(ConfigText.suggestion(for: "bearerTokenFile", among: keys) == "bearer_token_file")
        #expect(ConfigText.suggestion(for: "kube_config", among: keys) == "kubeconfig")
        #expect(ConfigText.suggestion(for: "password", among: keys) == nil)
    }
}
