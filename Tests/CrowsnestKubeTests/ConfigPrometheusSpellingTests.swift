import CrowsnestCore
import CrowsnestKube
import Testing

/// Keys spelled as in a Prometheus scrape job get a "did you mean" naming where Crowsnest keeps the setting.
@Suite("ConfigPrometheusSpelling")
struct ConfigPrometheusSpellingTests {
    @Test(
        "cluster files: Prometheus spellings point at the Crowsnest field",
        arguments: [
            ("scrape_interval: 30s", "scrape_interval", "did you mean 'scrape.interval'? (Prometheus spells it"),
            ("scrape_timeout: 10s", "scrape_timeout", "did you mean 'scrape.timeout'?"),
            ("metrics_path: /m", "metrics_path", "did you mean 'scrape.path'?"),
            ("tls_config: {ca_file: ca.crt}", "tls_config", "did you mean 'tls'?"),
            ("authorization: {credentials_file: t}", "authorization", "did you mean 'auth.bearer_token_file'?"),
            ("relabelings: []", "relabelings", "did you mean 'relabel_configs'?"),
            ("scrape:\n  scrape_interval: 30s", "scrape.scrape_interval", "did you mean 'scrape.interval'?"),
            ("scrape:\n  metrics_path: /m", "scrape.metrics_path", "did you mean 'scrape.path'?"),
            ("bearer_token_file: t", "bearer_token_file", "'auth.bearer_token_file'"),
        ] as [(String, String, String)]
    )
    func clusterFile(yaml: String, field: String, words: String) throws {
        let report = ConfigTestSupport.parse(ConfigTestSupport.minimal + "\n" + yaml + "\n")
        #expect(report.config == nil)
        let problem = try #require(report.problems.first { $0.isError && $0.field == field }, "\(report.problems)")
        #expect(problem.reason.contains(words), "\(problem)")
    }

    @Test(
        "crowsnest.yaml: Prometheus spellings point at the Crowsnest field",
        arguments: [
            ("scrape_interval: 30s", "scrape_interval", "did you mean 'scrape.interval'?"),
            ("scrape_timeout: 10s", "scrape_timeout", "did you mean 'scrape.timeout'?"),
            ("metrics_path: /m", "metrics_path", "did you mean 'scrape.path'?"),
            ("tls_config: {cert_file: a}", "tls_config", "did you mean 'web.tls_cert_file'?"),
            ("bearer_token_file: t", "bearer_token_file", "'web.bearer_token_file'"),
            ("authorization: {credentials_file: t}", "authorization", "did you mean 'web.bearer_token_file'?"),
        ] as [(String, String, String)]
    )
    func globalFile(yaml: String, field: String, words: String) throws {
        let report = GlobalConfigFile.parse(yaml: yaml, path: "/etc/crowsnest/crowsnest.yaml", homeDirectory: "/h")
        #expect(report.config == nil)
        let problem = try #require(report.problems.first { $0.isError && $0.field == field }, "\(report.problems)")
        #expect(problem.reason.contains(words), "\(problem)")
    }
}
