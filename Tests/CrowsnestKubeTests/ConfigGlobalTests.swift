import CrowsnestCore
import CrowsnestKube
import Testing

@Suite("crowsnest.yaml")
struct ConfigGlobalTests {
    static func parse(_ yaml: String) -> GlobalConfigReport {
        GlobalConfigFile.parse(yaml: yaml, path: "/etc/crowsnest/crowsnest.yaml", homeDirectory: "/home/ops")
    }

    @Test("an empty file is the default configuration")
    func defaults() throws {
        let config = try #require(Self.parse("").config)
        #expect(config == GlobalConfig())
        #expect(config.listen == nil)
        #expect(config.timestamps)
        #expect(config.web == WebConfig())
        #expect(!config.web.requiresAuthentication)
        #expect(config.scrape == PartialScrapeConfig())
        #expect(GlobalConfig.defaultListen.description == "127.0.0.1:9464")
    }

    @Test("every field decodes")
    func everyField() throws {
        let report = Self.parse(
            """
            listen: 0.0.0.0:9464
            timestamps: false
            scrape:
              interval: 1m
              body_size_limit: 10MiB
            web:
              tls_cert_file: tls/server.crt
              tls_key_file: tls/server.key
              basic_auth:
                username: prometheus
                password_file: ~/prom.password
              bearer_token_file: /run/secrets/token
            """
        )
        let config = try #require(report.config, "\(report.problems)")
        #expect(report.problems.isEmpty)
        #expect(config.listen == ListenAddress(host: "0.0.0.0", port: 9464))
        #expect(!config.timestamps)
        #expect(config.scrape.interval == .seconds(60))
        #expect(config.scrape.bodySizeLimit == .mebibytes(10))
        #expect(config.scrape.timeout == nil)
        #expect(config.web.tlsCertFile == "/etc/crowsnest/tls/server.crt")
        #expect(config.web.tlsKeyFile == "/etc/crowsnest/tls/server.key")
        #expect(config.web.basicAuth == BasicAuth(username: "prometheus", passwordFile: "/home/ops/prom.password"))
        #expect(config.web.bearerTokenFile == "/run/secrets/token")
        #expect(report.fileReferences.count == 4)
    }

    @Test(
        "listen addresses",
        arguments: [
            ("127.0.0.1:9464", "127.0.0.1", 9464), (":9464", "", 9464), ("[::1]:80", "::1", 80), ("host:0", "host", 0),
        ]
            as [(String, String, Int)]
    )
    func listen(text: String, host: String, port: Int) throws {
        #expect(try ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(
        "global validation rules",
        arguments: [
            ("listen: 9464", "listen", "HOST:PORT"),
            ("listen: 'h:99999'", "listen", "invalid port"),
            ("timestamps: sometimes", "timestamps", "true or false"),
            ("scrape:\n  interval: 10s\n  timeout: 11s", "scrape.timeout", "must not exceed"),
            ("scrape:\n  max_concurrent_scrapes: 0", "scrape.max_concurrent_scrapes", "between 1"),
            ("web:\n  tls_cert_file: a.crt", "web.tls_key_file", "required together"),
            ("web:\n  basic_auth: {username: u}", "web.basic_auth.password_file", "required"),
            ("web:\n  basic_auth: {password_file: p}", "web.basic_auth.username", "required"),
            ("web:\n  basic_auth: {username: 'a:b', password_file: p}", "web.basic_auth.username", "no ':'"),
            ("interval: 30s", "interval", "did you mean 'scrape.interval'"),
            ("lisen: ':1'", "lisen", "did you mean 'listen'"),
            ("web:\n  basic_auth: {user: u, password_file: p}", "web.basic_auth.user", "did you mean 'username'"),
        ] as [(String, String, String)]
    )
    func rules(yaml: String, field: String, words: String) throws {
        let report = Self.parse(yaml)
        #expect(report.config == nil)
        let problem = try #require(report.problems.first { $0.isError && $0.field == field }, "\(report.problems)")
        #expect(problem.reason.contains(words), "\(problem)")
        #expect(problem.location.line > 0)
    }

    @Test("authentication without TLS is warned about")
    func authWithoutTLS() {
        let report = Self.parse("web:\n  bearer_token_file: t\n")
        #expect(report.config != nil)
        #expect(report.problems.contains { $0.severity == .warning && $0.field == "web" })
    }

    @Test("global files are checked on disk; the global scrape block feeds the directory scan")
    func globalIntoScan() throws {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile(
            "/etc/crowsnest/crowsnest.yaml",
            "scrape:\n  interval: 2m\nweb:\n  bearer_token_file: tok\n"
        )
        let global = GlobalConfigFile.load(path: "/etc/crowsnest/crowsnest.yaml", fileSystem: fileSystem)
        #expect(
            global.problems.contains { $0.field == "web.bearer_token_file" && $0.reason.contains("does not exist") }
        )
        #expect(global.config == nil)

        fileSystem.writeFile("/etc/crowsnest/tok", "secret\n")
        let fixed = GlobalConfigFile.load(path: "/etc/crowsnest/crowsnest.yaml", fileSystem: fileSystem)
        let config = try #require(fixed.config, "\(fixed.problems)")
        fileSystem.writeFile("/etc/crowsnest/clusters.d/a.yaml", "api_server: http://127.0.0.1:8001\n")
        let scan = ClusterDirectory(path: "/etc/crowsnest/clusters.d", fileSystem: fileSystem, globalConfig: config)
            .scan()
        #expect(scan.clusters.first?.scrape.interval == .seconds(120))
        #expect(scan.clusters.first?.scrape.timeout == .seconds(10))
    }
}
