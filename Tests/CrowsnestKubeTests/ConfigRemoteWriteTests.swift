import CrowsnestCore
import CrowsnestKube
import Testing

/// `remote_write:` in `crowsnest.yaml`: Prometheus' field names and defaults, every problem reported with its field.
@Suite("crowsnest.yaml remote_write")
struct ConfigRemoteWriteTests {
    static func parse(_ yaml: String) -> GlobalConfigReport {
        GlobalConfigFile.parse(yaml: yaml, path: "/etc/crowsnest/crowsnest.yaml", homeDirectory: "/home/ops")
    }

    @Test("every field decodes, with Prometheus' defaults where absent")
    func everyField() throws {
        let report = Self.parse(
            """
            remote_write:
              - url: http://vminsert:8480/insert/0/prometheus/api/v1/write
                name: central
                protocol: v1
                remote_timeout: 10s
                headers: { X-Scope-OrgID: "{{cluster}}", X-Team: ops }
                authorization: { credentials_file: secrets/rw.token }
                write_relabel_configs:
                  - source_labels: [__name__]
                    regex: go_.*
                    action: drop
                queue_config: { capacity: 5000, max_shards: 4, max_samples_per_send: 500, batch_send_deadline: 2s,
                                min_backoff: 50ms, max_backoff: 10s, retry_on_http_429: false }
                buffer: { dir: /var/lib/crowsnest/wal/central, max_size: 256MiB, max_age: 30m }
                flush_deadline: 0s
              - url: https://mimir.example:443/api/v1/push
                basic_auth: { username: crowsnest, password_file: ~/mimir.password }
                tls_config: { ca_file: ca.pem }
            """
        )
        let config = try #require(report.config, "\(report.problems)")
        #expect(report.problems.isEmpty)
        try #require(config.remoteWrite.count == 2)
        let central = config.remoteWrite[0]
        #expect(central.name == "central")
        #expect(central.remoteTimeout == .seconds(10))
        #expect(central.headersDependOnCluster)
        #expect(central.headers(cluster: "east").map { "\($0.0)=\($0.1)" } == ["X-Scope-OrgID=east", "X-Team=ops"])
        #expect(
            central.authentication == .authorization(type: "Bearer", credentialsFile: "/etc/crowsnest/secrets/rw.token")
        )
        #expect(central.writeRelabelRules.count == 1)
        #expect(
            central.queue
                == RemoteWriteQueueConfig(
                    capacity: 5000,
                    maxShards: 4,
                    maxSamplesPerSend: 500,
                    batchSendDeadline: .seconds(2),
                    minBackoff: .milliseconds(50),
                    maxBackoff: .seconds(10),
                    retryOnHTTP429: false
                )
        )
        #expect(central.buffer?.directory == "/var/lib/crowsnest/wal/central")
        #expect(central.buffer?.maxSize == .mebibytes(256))
        #expect(central.buffer?.maxAge == .seconds(1800))
        #expect(central.flushDeadline == .zero, "0s: a shutdown leaves what waits in the buffer at once")
        let mimir = config.remoteWrite[1]
        #expect(mimir.name == "mimir.example:443")
        #expect(mimir.queue == RemoteWriteQueueConfig())
        #expect(mimir.buffer == nil)
        #expect(mimir.flushDeadline == .seconds(60), "Prometheus' --storage.remote.flush-deadline default")
        #expect(mimir.authentication == .basic(username: "crowsnest", passwordFile: "/home/ops/mimir.password"))
        #expect(mimir.tls.caFile == "/etc/crowsnest/ca.pem")
        #expect(!mimir.headersDependOnCluster)
    }

    @Test(
        "bad entries are reported at their field and nothing is used",
        arguments: [
            ("remote_write: {url: x}", "remote_write", "expected a list"),
            ("remote_write: [{name: a}]", "remote_write[0].url", "required"),
            ("remote_write: [{url: ftp://x/}]", "remote_write[0].url", "http://"),
            ("remote_write: [{url: 'http://a/', protocol: v3}]", "remote_write[0].protocol", "not supported"),
            (
                "remote_write: [{url: 'http://a/', queue_config: {max_shards: 0}}]",
                "remote_write[0].queue_config.max_shards", "between"
            ),
            (
                "remote_write: [{url: 'http://a/', queue_config: {min_backoff: 5s, max_backoff: 1s}}]",
                "remote_write[0].queue_config.max_backoff", "at least"
            ),
            (
                "remote_write: [{url: 'http://a/', queue_config: {capacty: 5}}]",
                "remote_write[0].queue_config.capacty", "did you mean 'capacity'"
            ),
            (
                "remote_write: [{url: 'http://a/', headers: {Authorization: x}}]",
                "remote_write[0].headers.Authorization", "set by Crowsnest"
            ),
            (
                "remote_write: [{url: 'http://a/', authorization: {type: Bearer}}]",
                "remote_write[0].authorization.credentials_file", "required"
            ),
            ("remote_write: [{url: 'http://a/', buffer: {max_size: 1GiB}}]", "remote_write[0].buffer.dir", "required"),
            (
                "remote_write: [{url: 'http://a/', buffer: {dir: /b, max_size: 10KiB}}]",
                "remote_write[0].buffer.max_size", "1MiB"
            ),
            (
                "remote_write: [{url: 'http://a/', write_relabel_configs: [{action: bogus}]}]",
                "remote_write[0].write_relabel_configs[0].action", ""
            ),
            ("remote_write: [{url: 'http://a/'}, {url: 'http://a/x'}]", "remote_write[1].name", "unique"),
        ] as [(String, String, String)]
    )
    func badEntries(yaml: String, field: String, reason: String) {
        let report = Self.parse(yaml)
        #expect(report.config == nil)
        #expect(
            report.problems.contains { $0.field == field && $0.reason.contains(reason) },
            "\(report.problems.map { "\($0.field): \($0.reason)" })"
        )
    }

    @Test("a header value that is a secret is never quoted in a problem")
    func secretsNotQuoted() {
        let report = Self.parse("remote_write: [{url: 'http://a/', headers: {X-Api-Key: [s3cr3t-value]}}]")
        #expect(report.config == nil)
        #expect(!report.problems.contains { $0.reason.contains("s3cr3t") })
    }
}
