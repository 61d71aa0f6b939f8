import CrowsnestCore
import CrowsnestKube
import Testing

@Suite("Cluster file: defaults, fields, validation")
struct ConfigClusterFileTests {
    typealias S = ConfigTestSupport

    @Test("a minimal file gets every default")
    func defaults() throws {
        let report = S.parse(S.minimal)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let config = try #require(report.config)
        #expect(config.name == "prod")
        #expect(config.apiServer?.baseURL == "https://203.0.113.10:6443")
        #expect(config.tls == TLSSettings())
        #expect(config.tls.certificateAuthority == nil)
        #expect(config.tls.serverName == nil)
        #expect(config.tls.insecureSkipVerify == false)
        #expect(config.auth == .bearerTokenFile(path: "/etc/crowsnest/clusters.d/tokens/prod"))
        #expect(config.labels.isEmpty)
        #expect(config.discovery.namespaces.isEmpty)
        #expect(config.discovery.labelSelector.isEmpty)
        #expect(config.discovery.fieldSelector.isEmpty)
        #expect(config.scrape.interval == .seconds(30))
        #expect(config.scrape.timeout == .seconds(10))
        #expect(config.scrape.path == "/metrics")
        #expect(config.scrape.scheme == .http)
        #expect(config.scrape.sampleLimit == 0)
        #expect(config.scrape.bodySizeLimit == .mebibytes(50))
        #expect(config.scrape.labelLimit == 0)
        #expect(config.scrape.labelNameLengthLimit == 0)
        #expect(config.scrape.labelValueLengthLimit == 4096)
        #expect(config.scrape.honorLabels == false)
        #expect(config.scrape.maxConcurrentScrapes == 256)
        #expect(config.relabelConfigs.isEmpty)
        #expect(config.relabelMode == .crowsnest)
        #expect(config.discovery.excludeNamespaces.isEmpty)
        #expect(config.metricRelabelConfigs.isEmpty)
        #expect(report.fileReferences.map(\.field) == ["auth.bearer_token_file"])
    }

    @Test("exec defaults: api_version v1, timeout 30s, no args, no env")
    func execDefaults() throws {
        let report = S.parse(
            """
            api_server: https://kube.example.com
            auth:
              exec:
                command: aws
            """
        )
        let config = try #require(report.config, "\(report.problems)")
        #expect(config.auth == .exec(ExecConfig(command: "aws")))
        guard case .exec(let exec) = config.auth else { return }
        #expect(exec.apiVersion == "client.authentication.k8s.io/v1")
        #expect(exec.timeout == .seconds(30))
        #expect(exec.args.isEmpty && exec.env.isEmpty)
    }

    @Test("an unset timeout is min(10s, interval), as in Prometheus")
    func timeoutDefaultCappedByInterval() throws {
        let report = S.parse(S.minimal + "\nscrape:\n  interval: 5s\n")
        let config = try #require(report.config)
        #expect(config.scrape.interval == .seconds(5))
        #expect(config.scrape.timeout == .seconds(5))
    }

    @Test("every field decodes")
    func everyField() throws {
        let report = S.parse(
            """
            name: aws-prod-eu
            api_server: https://203.0.113.10:6443
            tls:
              ca_file: /etc/crowsnest/ca/aws.crt
              server_name: kubernetes.default.svc
              insecure_skip_verify: false
            auth:
              exec:
                command: aws
                args: [eks, get-token, --cluster-name, prod-eu]
                env: {AWS_PROFILE: prod, AWS_REGION: eu-west-1}
                api_version: client.authentication.k8s.io/v1beta1
                timeout: 45s
            labels: {provider: aws, region: eu-west-1}
            discovery:
              namespaces: [shop, payments]
              exclude_namespaces: [kube-system]
              label_selector: "app in (web, api),!legacy"
              field_selector: status.phase=Running
            scrape:
              interval: 1m
              timeout: 15s
              path: /custom/metrics
              scheme: https
              sample_limit: 10000
              body_size_limit: 10MB
              label_limit: 30
              label_name_length_limit: 100
              label_value_length_limit: 500
              honor_labels: true
              max_concurrent_scrapes: 8
            relabel_configs:
              - source_labels: [__meta_kubernetes_namespace]
                target_label: team
            relabel_mode: prometheus
            metric_relabel_configs:
              - source_labels: [__name__]
                regex: go_.*
                action: drop
            """
        )
        let config = try #require(report.config, "\(report.problems)")
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(config.name == "aws-prod-eu")
        #expect(config.tls.certificateAuthority == .file(path: "/etc/crowsnest/ca/aws.crt"))
        #expect(config.tls.serverName == "kubernetes.default.svc")
        guard case .exec(let exec) = config.auth else {
            Issue.record("expected exec auth")
            return
        }
        #expect(exec.command == "aws")
        #expect(exec.args == ["eks", "get-token", "--cluster-name", "prod-eu"])
        #expect(exec.env.map(\.name) == ["AWS_PROFILE", "AWS_REGION"])
        #expect(exec.env.map(\.value.revealed) == ["prod", "eu-west-1"])
        #expect(exec.apiVersion == "client.authentication.k8s.io/v1beta1")
        #expect(exec.timeout == .seconds(45))
        #expect(config.labels == ["provider": "aws", "region": "eu-west-1"])
        #expect(config.discovery.namespaces == ["shop", "payments"])
        #expect(config.discovery.labelSelector.text == "app in (web, api),!legacy")
        #expect(config.discovery.labelSelector.requirements.count == 2)
        #expect(config.discovery.fieldSelector.text == "status.phase=Running")
        #expect(config.scrape.interval == .seconds(60))
        #expect(config.scrape.timeout == .seconds(15))
        #expect(config.scrape.path == "/custom/metrics")
        #expect(config.scrape.scheme == .https)
        #expect(config.scrape.sampleLimit == 10000)
        #expect(config.scrape.bodySizeLimit == .mebibytes(10))
        #expect(config.scrape.labelLimit == 30)
        #expect(config.scrape.labelNameLengthLimit == 100)
        #expect(config.scrape.labelValueLengthLimit == 500)
        #expect(config.scrape.honorLabels)
        #expect(config.scrape.maxConcurrentScrapes == 8)
        #expect(
            config.relabelConfigs == [
                RelabelRule(sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "team")
            ]
        )
        #expect(config.relabelMode == .prometheus)
        #expect(config.discovery.excludeNamespaces == ["kube-system"])
        #expect(config.metricRelabelConfigs == [RelabelRule(sourceLabels: ["__name__"], regex: "go_.*", action: .drop)])
    }

    @Test("rules that touch cluster, namespace or pod_name are warned about, per mode; relabel_mode is checked")
    func identityLabelWarnings() throws {
        let crowsnest = S.parse(
            S.minimal + "\nrelabel_configs:\n  - {target_label: namespace, replacement: x}\n"
                + "metric_relabel_configs:\n  - {action: labeldrop, regex: pod_name}\n"
        )
        #expect(crowsnest.config != nil)
        #expect(
            crowsnest.problems.map(\.description).contains {
                $0.contains("relabel_configs[0]: changes namespace: the gateway always sets")
            }
        )
        #expect(
            crowsnest.problems.map(\.description).contains {
                $0.contains("metric_relabel_configs[0]: changes pod_name: metric relabeling never")
            }
        )
        let prometheus = S.parse(
            S.minimal + "\nrelabel_mode: prometheus\nrelabel_configs:\n  - {target_label: pod_name, replacement: x}\n"
        )
        #expect(
            prometheus.problems.map(\.description).contains {
                $0.contains("targets of different pods may end with equal labels")
            }
        )
        let bad = S.parse(S.minimal + "\nrelabel_mode: vmagent\n")
        #expect(bad.config == nil)
        #expect(
            bad.problems.map(\.description).contains {
                $0.contains("relabel_mode: must be crowsnest or prometheus, got \"vmagent\"")
            }
        )
        let quiet = S.parse(
            S.minimal
                + "\nrelabel_configs:\n  - {source_labels: [__meta_kubernetes_namespace], regex: restricted, action: drop}\n"
        )
        #expect(quiet.problems.isEmpty, "\(quiet.problems)")
    }

    @Test("a static label value over label_value_length_limit is refused at load")
    func staticLabelTooLong() {
        let long = String(repeating: "x", count: 5000)
        let report = S.parse(S.minimal + "\nlabels: {team: \(long)}\n")
        #expect(report.config == nil)
        #expect(
            report.problems.map(\.description).contains {
                $0.contains("labels.team: the value has 5000 bytes, over scrape.label_value_length_limit (4096)")
            }
        )
        #expect(S.parse(S.minimal + "\nlabels: {team: \(long)}\nscrape: {label_value_length_limit: 0}\n").config != nil)
    }

    @Test("the other auth methods")
    func authMethods() throws {
        let cases: [(String, ClusterAuth)] = [
            ("bearer_token_file: /var/run/token", .bearerTokenFile(path: "/var/run/token")),
            (
                "client_cert_file: pki/c.crt\n  client_key_file: pki/c.key",
                .clientCertificate(certificateFile: "\(S.folder)/pki/c.crt", keyFile: "\(S.folder)/pki/c.key")
            ),
            (
                "kubeconfig: ~/.kube/config\n  context: prod-eu",
                .kubeconfig(path: "/home/ops/.kube/config", context: "prod-eu")
            ),
            ("kubeconfig: ../kubeconfig", .kubeconfig(path: "/etc/crowsnest/kubeconfig", context: nil)),
            ("exec:\n    command: ./bin/get-token", .exec(ExecConfig(command: "\(S.folder)/bin/get-token"))),
            (
                "exec:\n    command: kubelogin\n    env:\n      - name: A\n        value: x\n      - name: B",
                .exec(
                    ExecConfig(
                        command: "kubelogin",
                        env: [.init(name: "A", value: Secret("x")), .init(name: "B", value: Secret(""))]
                    )
                )
            ),
        ]
        for (auth, expected) in cases {
            let report = S.parse("api_server: https://h\nauth:\n  \(auth)\n")
            #expect(report.config?.auth == expected, "\(auth): \(report.problems)")
            #expect(!report.hasErrors, "\(auth): \(report.problems)")
        }
    }

    @Test("a kubeconfig may supply the server: api_server becomes optional")
    func kubeconfigWithoutServer() throws {
        let report = S.parse("auth:\n  kubeconfig: /k/config\n")
        let config = try #require(report.config, "\(report.problems)")
        #expect(config.apiServer == nil)
    }

    @Test("the bearer token is trimmed, kept as a secret, and warned about")
    func inlineToken() throws {
        let report = S.parse("api_server: https://h\nauth:\n  bearer_token: \"  abc.def  \"\n")
        #expect(report.config?.auth == .bearerToken(Secret("abc.def")))
        #expect(report.warning(on: "auth.bearer_token") != nil)
        #expect(report.containsInlineSecrets)
    }

    @Test("CA from inline PEM and from base64 PEM")
    func inlineCA() throws {
        let pem = S.pem
        let indented = pem.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        let inline = S.parse(S.minimal + "\ntls:\n  ca_data: |\n\(indented)\n")
        #expect(inline.config?.tls.certificateAuthority == .pem(pem), "\(inline.problems)")
        let base64 = Array(pem.utf8).base64Encoded()
        let encoded = S.parse(S.minimal + "\ntls:\n  ca_data_base64: \(base64)\n")
        #expect(encoded.config?.tls.certificateAuthority == .pem(pem), "\(encoded.problems)")
        let swapped = S.parse(S.minimal + "\ntls:\n  ca_data: \(base64)\n")
        #expect(swapped.error(on: "tls.ca_data")?.reason.contains("use ca_data_base64") == true)
    }

    /// One row: a snippet appended to the minimal file (or a whole file), the field and the words of the error.
    struct Rule: CustomTestStringConvertible, Sendable {
        var yaml: String
        var field: String
        var words: String
        var whole = false
        var testDescription: String { "\(field): \(words)" }
    }

    static let rules: [Rule] = [
        Rule(yaml: "name: 'prod eu'", field: "name", words: "invalid cluster name"),
        Rule(yaml: "name: [a]", field: "name", words: "expected a string"),
        Rule(yaml: "auth:\n  bearer_token_file: t", field: "api_server", words: "required", whole: true),
        Rule(
            yaml: "api_server: 203.0.113.10:6443\nauth:\n  bearer_token_file: t",
            field: "api_server",
            words: "absolute URL",
            whole: true
        ),
        Rule(
            yaml: "api_server: ftp://h\nauth:\n  bearer_token_file: t",
            field: "api_server",
            words: "scheme must be https",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h/?a=1\nauth:\n  bearer_token_file: t",
            field: "api_server",
            words: "query",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h:99999\nauth:\n  bearer_token_file: t",
            field: "api_server",
            words: "invalid port",
            whole: true
        ),
        Rule(
            yaml: "tls:\n  ca_file: a.crt\n  ca_data_base64: eA==",
            field: "tls.ca_data_base64",
            words: "at most one of"
        ),
        Rule(yaml: "tls:\n  ca_data: hello", field: "tls.ca_data", words: "expected PEM"),
        Rule(yaml: "tls:\n  ca_data_base64: '!!!'", field: "tls.ca_data_base64", words: "not valid base64"),
        Rule(yaml: "tls:\n  ca_data_base64: aGVsbG8=", field: "tls.ca_data_base64", words: "does not decode to PEM"),
        Rule(yaml: "tls:\n  server_name: 'a b'", field: "tls.server_name", words: "not a DNS name"),
        Rule(
            yaml: "tls:\n  insecure_skip_verify: maybe",
            field: "tls.insecure_skip_verify",
            words: "expected true or false"
        ),
        Rule(yaml: "tls: [a]", field: "tls", words: "expected a mapping"),
        Rule(
            yaml: "api_server: https://h\nauth:\n  bearer_token_file: t\n  exec:\n    command: aws",
            field: "auth.exec",
            words: "exactly one of",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  client_cert_file: c.crt",
            field: "auth.client_key_file",
            words: "required together",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  client_key_file: c.key",
            field: "auth.client_cert_file",
            words: "required together",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  context: prod",
            field: "auth.kubeconfig",
            words: "context needs kubeconfig",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  kubeconfig: ~bob/config",
            field: "auth.kubeconfig",
            words: "~user",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  bearer_token: ''",
            field: "auth.bearer_token",
            words: "must not be empty",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  bearer_token: 'a b'",
            field: "auth.bearer_token",
            words: "whitespace",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    args: [x]",
            field: "auth.exec.command",
            words: "required",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: ''",
            field: "auth.exec.command",
            words: "must not be empty",
            whole: true
        ),
        Rule(
            yaml:
                "api_server: https://h\nauth:\n  exec:\n    command: aws\n    api_version: client.authentication.k8s.io/v1alpha1",
            field: "auth.exec.api_version",
            words: "unsupported",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    timeout: 30",
            field: "auth.exec.timeout",
            words: "invalid duration",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    args: aws",
            field: "auth.exec.args",
            words: "expected a list",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env: x",
            field: "auth.exec.env",
            words: "expected a mapping",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env: {'A=B': x}",
            field: "auth.exec.env.A=B",
            words: "not a valid environment variable name",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env:\n      - name: A\n      - name: A",
            field: "auth.exec.env[1].name",
            words: "set twice",
            whole: true
        ),
        Rule(
            yaml: "api_server: https://h\nauth:\n  exec:\n    command: aws\n    env:\n      - value: x",
            field: "auth.exec.env[0].name",
            words: "required",
            whole: true
        ),
        Rule(yaml: "labels: {cluster: x}", field: "labels.cluster", words: "set by the gateway"),
        Rule(yaml: "labels: {namespace: x}", field: "labels.namespace", words: "set by the gateway"),
        Rule(yaml: "labels: {pod_name: x}", field: "labels.pod_name", words: "set by the gateway"),
        Rule(yaml: "labels: {port: x}", field: "labels.port", words: "set by the gateway"),
        Rule(yaml: "labels: {__x: y}", field: "labels.__x", words: "reserved"),
        Rule(yaml: "labels: {'a-b': y}", field: "labels.a-b", words: "not a valid label name"),
        Rule(yaml: "labels: {'1a': y}", field: "labels.1a", words: "not a valid label name"),
        Rule(yaml: "labels: {a: ''}", field: "labels.a", words: "must not be empty"),
        Rule(yaml: "labels: {a: }", field: "labels.a", words: "must have a value"),
        Rule(yaml: "labels: {a: [x]}", field: "labels.a", words: "expected a string"),
        Rule(yaml: "labels: [a]", field: "labels", words: "expected a mapping"),
        Rule(yaml: "discovery:\n  namespaces: [Shop]", field: "discovery.namespaces[0]", words: "not a namespace name"),
        Rule(yaml: "discovery:\n  namespaces: shop", field: "discovery.namespaces", words: "expected a list"),
        Rule(
            yaml: "discovery:\n  label_selector: 'app in web'",
            field: "discovery.label_selector",
            words: "expected: '('"
        ),
        Rule(
            yaml: "discovery:\n  label_selector: 'app=web,'",
            field: "discovery.label_selector",
            words: "identifier after ','"
        ),
        Rule(
            yaml: "discovery:\n  field_selector: 'metadata.labels=x'",
            field: "discovery.field_selector",
            words: "field label not supported"
        ),
        Rule(
            yaml: "discovery:\n  field_selector: 'status.phase'",
            field: "discovery.field_selector",
            words: "can't understand"
        ),
        Rule(yaml: "scrape:\n  interval: 30", field: "scrape.interval", words: "invalid duration"),
        Rule(yaml: "scrape:\n  interval: 1.5m", field: "scrape.interval", words: "invalid duration"),
        Rule(yaml: "scrape:\n  interval: 0s", field: "scrape.interval", words: "greater than 0"),
        Rule(yaml: "scrape:\n  timeout: 0", field: "scrape.timeout", words: "greater than 0"),
        Rule(
            yaml: "scrape:\n  interval: 10s\n  timeout: 20s",
            field: "scrape.timeout",
            words: "must not exceed interval"
        ),
        Rule(yaml: "scrape:\n  path: metrics", field: "scrape.path", words: "absolute"),
        Rule(yaml: "scrape:\n  path: /a/../b", field: "scrape.path", words: ". or .. segments"),
        Rule(yaml: "scrape:\n  path: /a?b=1", field: "scrape.path", words: "? or #"),
        Rule(yaml: "scrape:\n  path: //host/x", field: "scrape.path", words: "//"),
        Rule(yaml: "scrape:\n  scheme: ftp", field: "scrape.scheme", words: "http or https"),
        Rule(yaml: "scrape:\n  sample_limit: -1", field: "scrape.sample_limit", words: "at least 0"),
        Rule(yaml: "scrape:\n  sample_limit: lots", field: "scrape.sample_limit", words: "expected an integer"),
        Rule(yaml: "scrape:\n  label_limit: -5", field: "scrape.label_limit", words: "at least 0"),
        Rule(
            yaml: "scrape:\n  label_name_length_limit: x",
            field: "scrape.label_name_length_limit",
            words: "expected an integer"
        ),
        Rule(
            yaml: "scrape:\n  label_value_length_limit: -1",
            field: "scrape.label_value_length_limit",
            words: "at least 0"
        ),
        Rule(yaml: "scrape:\n  body_size_limit: 50", field: "scrape.body_size_limit", words: "invalid size"),
        Rule(yaml: "scrape:\n  body_size_limit: 50mb", field: "scrape.body_size_limit", words: "invalid size"),
        Rule(yaml: "scrape:\n  honor_labels: yes", field: "scrape.honor_labels", words: "expected true or false"),
        Rule(
            yaml: "scrape:\n  max_concurrent_scrapes: 0",
            field: "scrape.max_concurrent_scrapes",
            words: "between 1 and 10000"
        ),
        Rule(
            yaml: "scrape:\n  max_concurrent_scrapes: 100000",
            field: "scrape.max_concurrent_scrapes",
            words: "between 1 and 10000"
        ),
        Rule(yaml: "scrape:\n  intervall: 30s", field: "scrape.intervall", words: "did you mean 'interval'"),
        Rule(yaml: "interval: 30s", field: "interval", words: "did you mean 'scrape.interval'"),
        Rule(yaml: "bearer_token_file: x", field: "bearer_token_file", words: "'auth.bearer_token_file'"),
        Rule(yaml: "apiServer: https://h", field: "apiServer", words: "did you mean 'api_server'"),
        Rule(yaml: "colour: blue", field: "colour", words: "unknown field"),
        Rule(yaml: "relabel_configs: {a: b}", field: "relabel_configs", words: "expected a list"),
        Rule(
            yaml: "relabel_configs:\n  - action: rplace",
            field: "relabel_configs[0].action",
            words: "did you mean 'replace'"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: hashmod\n    target_label: h",
            field: "relabel_configs[0].modulus",
            words: "non-zero modulus"
        ),
        Rule(
            yaml: "relabel_configs:\n  - source_labels: [a]",
            field: "relabel_configs[0].target_label",
            words: "requires 'target_label'"
        ),
        Rule(
            yaml: "relabel_configs:\n  - target_label: 'a-b'",
            field: "relabel_configs[0].target_label",
            words: "invalid 'target_label' for replace"
        ),
        Rule(
            yaml: "relabel_configs:\n  - source_labels: ['a-b']\n    action: keep",
            field: "relabel_configs[0].source_labels[0]",
            words: "not a valid label name"
        ),
        Rule(
            yaml: "relabel_configs:\n  - source_labels: a\n    action: keep",
            field: "relabel_configs[0].source_labels",
            words: "expected a list"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: labelmap\n    replacement: 'a-$1'",
            field: "relabel_configs[0].replacement",
            words: "labelmap"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: labeldrop\n    source_labels: [a]",
            field: "relabel_configs[0].source_labels",
            words: "requires only 'regex'"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: keepequal\n    target_label: a\n    regex: x",
            field: "relabel_configs[0].regex",
            words: "requires only 'source_labels' and 'target_label'"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: lowercase\n    target_label: a\n    replacement: x",
            field: "relabel_configs[0].replacement",
            words: "can not be set"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: hashmod\n    target_label: a\n    modulus: -1",
            field: "relabel_configs[0].modulus",
            words: "non-negative integer"
        ),
        Rule(
            yaml: "relabel_configs:\n  - action: keep\n    source_labels: [a]\n    regex: '(['",
            field: "relabel_configs[0].regex",
            words: "missing"
        ),
        Rule(
            yaml: "relabel_configs:\n  - target_label: ok\n  - target_label: '0bad'",
            field: "relabel_configs[1].target_label",
            words: "invalid"
        ),
        Rule(
            yaml: "metric_relabel_configs:\n  - actoin: drop",
            field: "metric_relabel_configs[0].actoin",
            words: "did you mean 'action'"
        ),
    ]

    @Test("each validation rule reports its field", arguments: rules)
    func validationRule(rule: Rule) {
        let yaml = rule.whole ? rule.yaml : S.minimal + "\n" + rule.yaml + "\n"
        let report = S.parse(yaml)
        #expect(report.config == nil, "a file with an error must not yield a configuration")
        let problem = report.error(on: rule.field)
        #expect(problem != nil, "no error on \(rule.field); got \(report.problems)")
        if let problem {
            #expect(problem.reason.contains(rule.words), "\(problem)")
            #expect(problem.location.line > 0 && problem.location.column > 0, "\(problem)")
            #expect(problem.location.file == "clusters.d/prod.yaml")
        }
    }

    @Test("get() returns the configuration or throws every problem")
    func getOrThrow() throws {
        #expect(try S.parse(S.minimal).get().name == "prod")
        do {
            _ = try S.parse("api_server: ftp://h\nscrape: {interval: x}\n").get()
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.filter(\.isError).map(\.field) == ["api_server", "scrape.interval"])
            #expect(error.description.split(separator: "\n").count == error.problems.count)
        }
    }

    @Test("valid relabel rules (Prometheus' shapes) pass")
    func validRelabelRules() throws {
        let report = S.parse(
            S.minimal + """

                relabel_configs:
                  - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_pod_name]
                    separator: /
                    regex: (.*)/(.*)
                    target_label: ${1}_$2
                    replacement: $1
                  - action: Keep
                    source_labels: [__meta_kubernetes_pod_container_port_name]
                    regex: metrics
                  - action: labelmap
                    regex: __meta_kubernetes_pod_label_(.+)
                  - action: hashmod
                    source_labels: [__address__]
                    modulus: 4
                    target_label: __tmp_hash
                  - action: labeldrop
                    regex: tmp_.*
                  - action: keepequal
                    source_labels: [a]
                    target_label: b
                  - action: uppercase
                    source_labels: [a]
                    target_label: A
                """
        )
        let config = try #require(report.config, "\(report.problems)")
        #expect(
            config.relabelConfigs.map(\.action) == [
                .replace, .keep, .labelmap, .hashmod, .labeldrop, .keepequal, .uppercase,
            ]
        )
        #expect(config.relabelConfigs[0].separator == "/")
        #expect(config.relabelConfigs[3].modulus == 4)
    }

    @Test("all problems of a file are reported, not just the first")
    func allProblems() {
        let report = S.parse(
            """
            name: bad name
            api_server: ftp://x
            tls:
              ca_data: nope
            auth:
              bearer_tokn_file: t
            labels: {cluster: x}
            scrape:
              interval: soon
              scheme: gopher
              max_concurrent_scrapes: 0
            """
        )
        #expect(
            Set(report.problems.filter(\.isError).map(\.field)).isSuperset(of: [
                "name", "api_server", "tls.ca_data", "auth.bearer_tokn_file", "labels.cluster", "scrape.interval",
                "scrape.scheme", "scrape.max_concurrent_scrapes",
            ]),
            "\(report.problems)"
        )
        #expect(report.problems == report.problems.sorted(), "problems come in file order")
    }

    @Test("line and column point at the offending value or key")
    func positions() {
        let report = S.parse(
            """
            # a comment
            api_server: https://203.0.113.10:6443
            auth:
              bearer_token_file: tokens/prod
            scrape:
              interval: 30s
              timeout: 1m
            labels:
              provider: aws
              cluster: nope
            unknown_thing: 1
            """
        )
        #expect(report.positions() == ["7:12 scrape.timeout", "10:3 labels.cluster", "11:1 unknown_thing"])
        let rendered = report.problems.map(\.description)
        #expect(rendered[0] == "clusters.d/prod.yaml:7:12: scrape.timeout: timeout 1m must not exceed interval 30s")
    }

    @Test("warnings leave the configuration usable")
    func warnings() throws {
        let cases: [(String, String)] = [
            (
                "api_server: https://h\nauth:\n  bearer_token_file: t\ntls:\n  insecure_skip_verify: true",
                "tls.insecure_skip_verify"
            ),
            ("api_server: https://h\nauth:\n  bearer_token: abc", "auth.bearer_token"),
            (
                "api_server: http://10.0.0.1:8080\nauth:\n  bearer_token_file: t\ntls:\n  insecure_plain_http: true",
                "api_server"
            ),
            ("api_server: https://h", "auth"),
            (
                "api_server: http://10.0.0.1:8080\nauth:\n  bearer_token_file: t\ntls:\n  server_name: x\n"
                    + "  insecure_plain_http: true",
                "tls"
            ),
            (
                "api_server: https://h\nauth:\n  bearer_token_file: t\ntls:\n  ca_file: a.crt\n  insecure_skip_verify: true",
                "tls.ca_file"
            ),
            (
                "api_server: https://h\nauth:\n  bearer_token_file: t\ndiscovery:\n  namespaces: [a, a]",
                "discovery.namespaces[1]"
            ),
        ]
        for (yaml, field) in cases {
            let report = S.parse(yaml)
            #expect(report.config != nil, "\(yaml): \(report.problems)")
            #expect(report.warning(on: field) != nil, "\(field): \(report.problems)")
            #expect(report.warning(on: field)?.description.hasPrefix("warning: clusters.d/prod.yaml:") == true)
            // For log lines (whose level already says warning): the same without the prefix.
            let warning = try #require(report.warning(on: field))
            #expect(warning.summary.hasPrefix("clusters.d/prod.yaml:"))
            #expect(warning.description == "warning: " + warning.summary)
        }
        // kubectl proxy: plain http on loopback without auth is quiet.
        let proxy = S.parse("api_server: http://127.0.0.1:8001\n")
        #expect(proxy.problems.isEmpty, "\(proxy.problems)")
        #expect(proxy.config?.auth == .anonymous)
    }

    @Test("http to a non-loopback host with credentials is refused unless tls.insecure_plain_http: true")
    func plainHTTPWithCredentials() throws {
        let sentence = "tokens must not travel in clear; use https, or set tls.insecure_plain_http: true to allow it"
        for auth in ["bearer_token_file: t", "bearer_token: abc", "exec: {command: aws}", "kubeconfig: kc"] {
            let refused = S.parse("api_server: http://10.0.0.1:8080\nauth:\n  \(auth)\n")
            #expect(refused.config == nil, "\(auth)")
            let error = try #require(refused.problems.first { $0.isError && $0.field == "api_server" }, "\(auth)")
            #expect(error.reason.contains(sentence), "\(error)")
            #expect(error.location.line == 1)
        }
        // Opted in: accepted, warned about on api_server, and no "tls ignored" for the key itself.
        let allowed = S.parse(
            "api_server: http://10.0.0.1:8080\nauth:\n  bearer_token_file: t\ntls:\n  insecure_plain_http: true\n"
        )
        let config = try #require(allowed.config, "\(allowed.problems)")
        #expect(config.tls.insecurePlainHTTP)
        #expect(allowed.problems.count == 1, "\(allowed.problems)")
        #expect(allowed.warning(on: "api_server")?.reason.contains("credentials travel in clear") == true)
        #expect(allowed.warning(on: "tls") == nil)
        // false is the same as unset; a non-boolean is an error of its own.
        #expect(
            S.parse("api_server: http://10.0.0.1\nauth:\n  bearer_token_file: t\ntls:\n  insecure_plain_http: false\n")
                .config == nil
        )
        let typo = S.parse(
            "api_server: https://h\nauth:\n  bearer_token_file: t\ntls:\n  insecure_plain_http: yes please\n"
        )
        #expect(typo.problems.contains { $0.isError && $0.field == "tls.insecure_plain_http" }, "\(typo.problems)")
        // Loopback http with credentials stays allowed (a sidecar, kubectl proxy with a token); anonymous http to
        // another host is only warned about.
        let loopback = S.parse("api_server: http://127.0.0.1:8001\nauth:\n  bearer_token_file: t\n")
        #expect(loopback.config != nil && loopback.problems.isEmpty, "\(loopback.problems)")
        let anonymous = S.parse("api_server: http://10.0.0.1:8080\n")
        #expect(anonymous.config != nil)
        #expect(anonymous.warning(on: "api_server") != nil)
    }

    @Test("auth.exec.env_file is resolved against the folder and listed as a secret file")
    func execEnvFile() throws {
        let report = S.parse("api_server: https://h\nauth:\n  exec:\n    command: aws\n    env_file: prod.exec-env\n")
        let config = try #require(report.config, "\(report.problems)")
        guard case .exec(let exec) = config.auth else {
            Issue.record("not exec")
            return
        }
        #expect(exec.envFile == "\(S.folder)/prod.exec-env")
        let reference = try #require(report.fileReferences.first { $0.field == "auth.exec.env_file" })
        #expect(reference.kind == .execEnvironmentFile && reference.kind.holdsSecret)
        #expect(!"\(exec)".contains("KEY"))
        let parsed = try ExecEnvironmentFile.parse("# c\n\nexport A=1\nB=\"two words\"\r\nC='x'\nD=a=b\n")
        #expect(parsed.map(\.name) == ["A", "B", "C", "D"])
        #expect(parsed.map(\.value.revealed) == ["1", "two words", "x", "a=b"])
        #expect(throws: ExecEnvironmentFile.ParseError(line: 2, reason: "expected KEY=VALUE")) {
            try ExecEnvironmentFile.parse("A=1\nsecret-without-equals\n")
        }
        let tricky = [
            ExecEnvironmentVariable(name: "Q", value: Secret("\"quoted\"")),
            ExecEnvironmentVariable(name: "E", value: Secret("")),
        ]
        let rendered = try #require(ExecEnvironmentFile.render(tricky))
        #expect(try ExecEnvironmentFile.parse(rendered) == tricky)
    }

    @Test("global scrape defaults apply; the cluster file overrides field by field")
    func globalScrapeDefaults() throws {
        var defaults = PartialScrapeConfig()
        defaults.interval = .seconds(60)
        defaults.timeout = .seconds(20)
        defaults.sampleLimit = 5000
        defaults.maxConcurrentScrapes = 4
        let inherited = try #require(S.parse(S.minimal, scrapeDefaults: defaults).config)
        #expect(inherited.scrape.interval == .seconds(60))
        #expect(inherited.scrape.timeout == .seconds(20))
        #expect(inherited.scrape.sampleLimit == 5000)
        #expect(inherited.scrape.maxConcurrentScrapes == 4)
        #expect(inherited.scrape.path == "/metrics")

        let overridden = try #require(
            S.parse(S.minimal + "\nscrape:\n  sample_limit: 10\n  interval: 2m\n", scrapeDefaults: defaults).config
        )
        #expect(overridden.scrape.sampleLimit == 10)
        #expect(overridden.scrape.interval == .seconds(120))
        #expect(overridden.scrape.timeout == .seconds(20))
        #expect(overridden.scrape.maxConcurrentScrapes == 4)

        let clash = S.parse(S.minimal + "\nscrape:\n  interval: 15s\n", scrapeDefaults: defaults)
        let problem = try #require(clash.error(on: "scrape.interval"))
        #expect(problem.reason.contains("timeout 20s (from the global scrape block) must not exceed interval 15s"))
    }

    @Test("the name defaults to the file name, which must be valid")
    func nameFromFile() {
        #expect(S.parse(S.minimal, file: "clusters.d/gcp-prod.yml").config?.name == "gcp-prod")
        let bad = S.parse(S.minimal, file: "clusters.d/prod cluster.yaml")
        #expect(bad.error(on: "name")?.reason.contains("rename the file or set name:") == true)
        #expect(bad.error(on: "name")?.location.line == 1)
        #expect(S.parse(S.minimal + "\nname: ok\n", file: "clusters.d/prod cluster.yaml").config?.name == "ok")
    }

    @Test("YAML syntax problems carry positions")
    func syntax() {
        let cases: [(String, String, Int)] = [
            ("api_server: https://h\nauth: [\n", "invalid YAML", 3),
            ("api_server: https://h\n\tauth: x\n", "invalid YAML", 2),
            ("api_server: https://h\napi_server: https://g\n", "duplicate key 'api_server'", 1),
            ("api_server: https://h\n---\napi_server: https://g\n", "one document per file", 2),
            ("- a\n- b\n", "expected a mapping", 1),
            ("just text\n", "expected a mapping", 1),
            ("", "the file is empty", 1),
            ("# only a comment\n", "the file is empty", 1),
            ("api_server: *nothing\n", "invalid YAML", 1),
        ]
        for (yaml, words, line) in cases {
            let report = S.parse(yaml)
            #expect(report.config == nil)
            let first = report.problems.first
            #expect(first?.reason.contains(words) == true, "\(yaml): \(report.problems)")
            #expect(first?.location.line == line, "\(yaml): \(report.problems)")
        }
    }

    @Test("aliases and anchors resolve; merge keys are refused")
    func anchors() {
        let anchored = S.parse(
            "api_server: &srv https://h\nauth:\n  bearer_token_file: t\nlabels: {origin: *srv}\n"
        )
        #expect(anchored.config?.labels["origin"] == "https://h", "\(anchored.problems)")
        let merged = S.parse("base: &b {interval: 1m}\n" + S.minimal + "\nscrape:\n  <<: *b\n")
        #expect(merged.error(on: "scrape.<<") != nil, "\(merged.problems)")
    }

    @Test("invalid UTF-8 is reported with its position")
    func invalidUTF8() {
        var bytes = Array("api_server: https://h\nlabels: {a: \"".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"}\n".utf8)
        switch ConfigYAML.parse(bytes: bytes, file: "x.yaml") {
        case .success: Issue.record("expected a problem")
        case .failure(let problem):
            #expect(problem.reason.contains("UTF-8"))
            #expect(problem.location.line == 2)
        }
    }
}

extension Array where Element == UInt8 {
    /// Standard base64 with padding (tests only).
    fileprivate func base64Encoded() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < count {
            let chunk = Array(self[index..<Swift.min(index + 3, count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
