extension ClusterConfig {
    /// The top-level keys of a cluster file.
    public static let fieldNames = [
        "name", "api_server", "tls", "auth", "labels", "discovery", "scrape", "relabel_configs", "relabel_mode",
        "metric_relabel_configs", "nodes", "services", "proxy_url",
    ]
    static let tlsKeys = [
        "ca_file", "ca_data", "ca_data_base64", "server_name", "insecure_skip_verify", "insecure_plain_http",
    ]
    static let authKeys = [
        "bearer_token_file", "bearer_token", "client_cert_file", "client_key_file", "kubeconfig", "context", "exec",
        "aws", "gcp", "azure",
    ]
    static let execKeys = ["command", "args", "env", "env_file", "api_version", "timeout"]
    static let discoveryKeys = ["namespaces", "exclude_namespaces", "label_selector", "field_selector"]
    static let nodeKeys = KubeletPath.allCases.map(\.rawValue) + ["label_selector", "relabel_configs"]

    /// Keys of nested blocks mapped to their block, for "did you mean 'scrape.interval'" at the top level.
    static let misplacedKeys: [String: String] = {
        var map: [String: String] = [:]
        for key in authKeys { map[key] = "auth" }
        for key in tlsKeys { map[key] = "tls" }
        for key in discoveryKeys { map[key] = "discovery" }
        for key in PartialScrapeConfig.keys { map[key] = "scrape" }
        return map
    }()

    /// Decodes and validates one cluster file's document.
    ///
    /// Every problem in the file is reported (not just the first), each with its line, column and field path.
    /// `config` is set only when no problem is an error. Nothing is read from disk: referenced files are listed in
    /// `fileReferences` for a separate check (`CrowsnestKube`'s `validateReferencedFiles`).
    ///
    /// - Parameters:
    ///   - root: the document's root node; `nil` for an empty file.
    ///   - context: the file's path, default name, folder, home directory and global scrape defaults.
    /// - Returns: the configuration (when no problem is an error), the claimed name, referenced files, problems.
    public static func decode(_ root: ConfigNode?, context: ClusterFileContext) -> ClusterFileReport {
        var state = ClusterDecoding(context: context)
        return state.decode(root)
    }
}

/// The state of decoding one cluster file.
private struct ClusterDecoding {
    let context: ClusterFileContext
    let d: ConfigDecoder
    var references: [ConfigFileReference] = []
    var inlineSecrets = false

    init(context: ClusterFileContext) {
        self.context = context
        self.d = ConfigDecoder(file: context.file)
    }

    mutating func decode(_ root: ConfigNode?) -> ClusterFileReport {
        var report = ClusterFileReport(path: context.file)
        guard let root, !root.isNull else {
            d.error(.syntax, at: nil, "", "the file is empty; a cluster file needs at least api_server and auth")
            report.problems = d.problems
            report.claimedName = context.defaultName
            report.nameLocation = d.location(nil)
            return report
        }
        guard
            let fields = d.mapping(
                root,
                field: "",
                known: ClusterConfig.fieldNames,
                misplaced: ClusterConfig.misplacedKeys
            )
        else {
            report.problems = d.problems
            return report
        }

        // name
        var name = context.defaultName
        var nameNode: ConfigNode?
        if let node = fields["name"], let text = d.string(node, "name") {
            name = text
            nameNode = node
        }
        report.claimedName = name
        report.nameLocation = d.location(nameNode)
        if !ClusterConfig.isValidName(name) {
            let rule =
                "[A-Za-z0-9][A-Za-z0-9._-]{0,62}: letters, digits, '.', '_', '-', at most 63, starting alphanumeric"
            if nameNode != nil {
                d.error(
                    .invalidValue,
                    at: nameNode,
                    "name",
                    "invalid cluster name \(ConfigText.quote(name)); use \(rule)"
                )
            } else {
                d.error(
                    .invalidValue,
                    at: nil,
                    "name",
                    "the file name gives the cluster name \(ConfigText.quote(name)), which is invalid; rename the file "
                        + "or set name: (\(rule))"
                )
            }
        }

        let auth = decodeAuth(fields)
        let apiServer = decodeAPIServer(fields, auth: auth)
        let tls = decodeTLS(fields, apiServer: apiServer)
        checkAnonymous(auth: auth, apiServer: apiServer, fields: fields)
        let discovery = decodeDiscovery(fields)

        var scrapeBlock = PartialScrapeConfig()
        if let node = fields["scrape"] {
            let (block, scrapeFields) = PartialScrapeConfig.decode(node, field: "scrape", decoder: d)
            scrapeBlock = block
            PartialScrapeConfig.checkTimeout(block, over: context.scrapeDefaults, fields: scrapeFields, decoder: d)
        }
        let scrape = scrapeBlock.overriding(context.scrapeDefaults).resolved
        let labels = decodeLabels(fields, valueLengthLimit: scrape.labelValueLengthLimit)

        let relabelMode = decodeRelabelMode(fields)
        let relabel = fields["relabel_configs"].map { RelabelRule.decodeList($0, field: "relabel_configs", decoder: d) }
        let metricRelabel = fields["metric_relabel_configs"].map {
            RelabelRule.decodeList($0, field: "metric_relabel_configs", decoder: d)
        }
        checkIdentityLabels(fields, relabelMode: relabelMode)
        let nodes = decodeNodes(fields)
        let services = d.bool(fields, "services") ?? false
        let proxy = decodeProxy(fields)

        report.fileReferences = references
        report.containsInlineSecrets = inlineSecrets
        report.problems = d.problems.sorted()
        if !d.hasErrors, let auth {
            report.config = ClusterConfig(
                name: name,
                apiServer: apiServer,
                tls: tls,
                auth: auth,
                labels: labels,
                discovery: discovery,
                scrape: scrape,
                relabelConfigs: relabel ?? [],
                relabelMode: relabelMode,
                metricRelabelConfigs: metricRelabel ?? [],
                nodes: nodes,
                services: services,
                proxy: proxy
            )
        }
        return report
    }

    /// `proxy_url`: the proxy for this cluster's API traffic (a password in it makes the file hold a secret).
    mutating func decodeProxy(_ fields: ConfigFields) -> ProxyURL? {
        guard let node = fields["proxy_url"], let text = d.string(node, "proxy_url") else { return nil }
        do throws(ProxyURL.ParseError) {
            let proxy = try ProxyURL(parsing: text)
            if proxy.password != nil { inlineSecrets = true }
            return proxy
        } catch {
            d.error(.invalidValue, at: node, "proxy_url", error.reason)
            return nil
        }
    }

    // MARK: Paths

    /// Resolves a path field and records it as a file reference.
    mutating func resolvePath(_ fields: ConfigFields, _ key: String, kind: ConfigFileReference.Kind) -> String? {
        guard let node = fields[key], let written = d.string(node, fields.path(key)) else { return nil }
        if kind == .bearerToken, Self.looksLikeToken(written) {
            // Probably the token itself pasted into the path field: never echo it.
            d.error(
                .invalidValue,
                at: node,
                fields.path(key),
                "does not look like a file path (is it the token itself? put tokens in a file, or use bearer_token)"
            )
            return nil
        }
        return d.resolvePath(
            fields,
            key,
            kind: kind,
            baseDirectory: context.baseDirectory,
            homeDirectory: context.homeDirectory,
            into: &references
        )
    }

    /// Whether a `bearer_token_file` value is probably the token itself: a JWT (`eyJ…` with two dots), an EKS token,
    /// or a long string with no `/`.
    ///
    /// Such a value is never quoted in a message.
    static func looksLikeToken(_ text: String) -> Bool {
        if text.hasPrefix("eyJ") && text.filter({ $0 == "." }).count >= 2 { return true }
        if text.hasPrefix("k8s-aws-v1.") { return true }
        return text.count > 64 && !text.contains("/")
    }

    // MARK: api_server

    func decodeAPIServer(_ fields: ConfigFields, auth: ClusterAuth?) -> APIServerURL? {
        guard let node = fields["api_server"] else {
            var usesKubeconfig = false
            if case .kubeconfig = auth { usesKubeconfig = true }
            if !usesKubeconfig && !(fields["auth"].map(hasKubeconfigKey) ?? false) {
                d.error(
                    .missingField,
                    at: fields.node,
                    "api_server",
                    "required (e.g. https://203.0.113.10:6443), unless auth.kubeconfig supplies the server"
                )
            }
            return nil
        }
        guard let text = d.string(node, "api_server") else { return nil }
        do throws(APIServerURL.ParseError) {
            let url = try APIServerURL(parsing: text)
            if !url.isTLS && !url.isLoopback {
                var sendsCredentials = auth != nil
                if case .anonymous? = auth { sendsCredentials = false }
                // tls.insecure_plain_http is validated by decodeTLS; here only whether it is set to true.
                var allowed = false
                if case .mapping(let entries)? = fields["tls"]?.kind,
                    let entry = entries.first(where: { $0.key.scalarText == "insecure_plain_http" }),
                    let flag = entry.value.scalarText, ["true", "True", "TRUE"].contains(flag)
                {
                    allowed = true
                }
                if !sendsCredentials {
                    d.warning(
                        .insecure,
                        at: node,
                        "api_server",
                        "plain http to a non-loopback host: traffic is not encrypted"
                    )
                } else if allowed {
                    d.warning(
                        .insecure,
                        at: node,
                        "api_server",
                        "plain http to a non-loopback host: credentials travel in clear (allowed by "
                            + "tls.insecure_plain_http)"
                    )
                } else {
                    d.error(
                        .insecure,
                        at: node,
                        "api_server",
                        "plain http to a non-loopback host with credentials: tokens must not travel in clear; use "
                            + "https, or set tls.insecure_plain_http: true to allow it"
                    )
                }
            }
            return url
        } catch {
            // Never quote the URL as a whole: it may carry user info.
            d.error(.invalidValue, at: node, "api_server", error.reason)
            return nil
        }
    }

    func hasKubeconfigKey(_ node: ConfigNode) -> Bool {
        guard case .mapping(let entries) = node.kind else { return false }
        return entries.contains { $0.key.scalarText == "kubeconfig" }
    }

    // MARK: tls

    mutating func decodeTLS(_ root: ConfigFields, apiServer: APIServerURL?) -> TLSSettings {
        var tls = TLSSettings()
        guard let node = root["tls"], let fields = d.mapping(node, field: "tls", known: ClusterConfig.tlsKeys) else {
            return tls
        }
        let sources = ["ca_file", "ca_data", "ca_data_base64"].filter { fields.has($0) }
        if sources.count > 1 {
            d.error(
                .conflict,
                at: fields.keys[sources[1]],
                fields.path(sources[1]),
                "set at most one of ca_file, ca_data, ca_data_base64 (also set: \(sources[0]))"
            )
        }
        if let path = resolvePath(fields, "ca_file", kind: .certificateAuthority) {
            tls.certificateAuthority = .file(path: path)
        }
        if let node = fields["ca_data"], let text = d.string(node, fields.path("ca_data")) {
            if text.contains("-----BEGIN CERTIFICATE-----") {
                tls.certificateAuthority = .pem(text)
            } else if let decoded = ConfigBase64.decode(text), let pem = String(validating: decoded, as: UTF8.self),
                pem.contains("-----BEGIN CERTIFICATE-----")
            {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("ca_data"),
                    "holds base64; use ca_data_base64 for base64 PEM"
                )
            } else {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("ca_data"),
                    "expected PEM text with -----BEGIN CERTIFICATE-----"
                )
            }
        }
        if let node = fields["ca_data_base64"], let text = d.string(node, fields.path("ca_data_base64")) {
            if let decoded = ConfigBase64.decode(text) {
                if let pem = String(validating: decoded, as: UTF8.self), pem.contains("-----BEGIN CERTIFICATE-----") {
                    tls.certificateAuthority = .pem(pem)
                } else {
                    d.error(
                        .invalidValue,
                        at: node,
                        fields.path("ca_data_base64"),
                        "does not decode to PEM certificates (-----BEGIN CERTIFICATE-----)"
                    )
                }
            } else {
                d.error(.invalidValue, at: node, fields.path("ca_data_base64"), "is not valid base64")
            }
        }
        if let node = fields["server_name"], let name = d.string(node, fields.path("server_name")) {
            let valid =
                !name.isEmpty && name.utf8.count <= 253
                && name.utf8.allSatisfy {
                    ConfigText.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                        || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "_")
                }
            if valid {
                tls.serverName = name
            } else {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("server_name"),
                    "\(ConfigText.quote(name)) is not a DNS name or IP address"
                )
            }
        }
        if let insecure = d.bool(fields, "insecure_skip_verify") {
            tls.insecureSkipVerify = insecure
            if insecure {
                d.warning(
                    .insecure,
                    at: fields["insecure_skip_verify"],
                    fields.path("insecure_skip_verify"),
                    "certificate verification is disabled: anyone on the network path can impersonate the API server"
                )
                if !sources.isEmpty {
                    d.warning(
                        .conflict,
                        at: fields.keys[sources[0]],
                        fields.path(sources[0]),
                        "ignored while insecure_skip_verify is true"
                    )
                }
            }
        }
        if let insecure = d.bool(fields, "insecure_plain_http") { tls.insecurePlainHTTP = insecure }
        if let apiServer, !apiServer.isTLS, fields.values.keys.contains(where: { $0 != "insecure_plain_http" }) {
            d.warning(.conflict, at: node, "tls", "ignored: api_server uses plain http")
        }
        return tls
    }

    // MARK: auth

    /// `nil` when the block has errors (so no configuration is built).
    mutating func decodeAuth(_ root: ConfigFields) -> ClusterAuth? {
        guard let node = root["auth"] else { return .anonymous }
        guard let fields = d.mapping(node, field: "auth", known: ClusterConfig.authKeys) else { return nil }
        let before = d.problems.count
        var methods: [String] = []
        if fields.has("bearer_token_file") { methods.append("bearer_token_file") }
        if fields.has("bearer_token") { methods.append("bearer_token") }
        if fields.has("client_cert_file") || fields.has("client_key_file") {
            methods.append(fields.has("client_cert_file") ? "client_cert_file" : "client_key_file")
        }
        if fields.has("kubeconfig") || fields.has("context") {
            methods.append(fields.has("kubeconfig") ? "kubeconfig" : "context")
        }
        if fields.has("exec") { methods.append("exec") }
        for cloud in ["aws", "gcp", "azure"] where fields.keys[cloud] != nil { methods.append(cloud) }
        if methods.count > 1 {
            d.error(
                .conflict,
                at: fields.keys[methods[1]],
                fields.path(methods[1]),
                "set exactly one of bearer_token_file, bearer_token, client_cert_file + client_key_file, kubeconfig, "
                    + "exec, aws, gcp, azure (also set: \(methods[0]))"
            )
        }

        var auth: ClusterAuth = .anonymous
        if let path = resolvePath(fields, "bearer_token_file", kind: .bearerToken) {
            auth = .bearerTokenFile(path: path)
        }
        if let node = fields["bearer_token"] {
            // A type error here must not echo the value: `string` never does.
            if let token = d.string(node, fields.path("bearer_token")) {
                inlineSecrets = true
                let trimmed = ConfigText.trimmed(token)
                if trimmed.isEmpty {
                    d.error(.invalidValue, at: node, fields.path("bearer_token"), "must not be empty")
                } else if trimmed.contains(where: { $0.isWhitespace }) {
                    d.error(.invalidValue, at: node, fields.path("bearer_token"), "must not contain whitespace")
                } else {
                    d.warning(
                        .insecure,
                        at: node,
                        fields.path("bearer_token"),
                        "an inline token is discouraged; prefer bearer_token_file (it is re-read when it rotates)"
                    )
                    auth = .bearerToken(Secret(trimmed))
                }
            }
        }
        if fields.has("client_cert_file") || fields.has("client_key_file") {
            let cert = resolvePath(fields, "client_cert_file", kind: .clientCertificate)
            let key = resolvePath(fields, "client_key_file", kind: .clientKey)
            for (missing, other) in [("client_cert_file", "client_key_file"), ("client_key_file", "client_cert_file")]
            where !fields.has(missing) && fields.has(other) {
                d.error(.missingField, at: fields.keys[other], fields.path(missing), "required together with \(other)")
            }
            if let cert, let key { auth = .clientCertificate(certificateFile: cert, keyFile: key) }
        }
        if fields.has("kubeconfig") || fields.has("context") {
            let kubeconfigPath = resolvePath(fields, "kubeconfig", kind: .kubeconfig)
            var contextName: String?
            if let node = fields["context"], let text = d.string(node, fields.path("context")) {
                if text.isEmpty {
                    d.error(
                        .invalidValue,
                        at: node,
                        fields.path("context"),
                        "must not be empty (omit it for current-context)"
                    )
                }
                contextName = text
            }
            if !fields.has("kubeconfig") {
                d.error(
                    .missingField,
                    at: fields.keys["context"],
                    fields.path("kubeconfig"),
                    "context needs kubeconfig"
                )
            }
            if let kubeconfigPath { auth = .kubeconfig(path: kubeconfigPath, context: contextName) }
        }
        if let node = fields["exec"], let exec = decodeExec(node) { auth = .exec(exec) }
        if let keyNode = fields.keys["aws"] {
            if let node = fields["aws"] {
                if let aws = CloudAuthDecoding.decodeAWS(node, decoder: d) { auth = .aws(aws) }
            } else {
                d.error(.missingField, at: keyNode, fields.path("aws.cluster_name"), "required: the EKS cluster's name")
            }
        }
        if fields.keys["gcp"] != nil {
            var file: String?
            if let node = fields["gcp"],
                let gcp = d.mapping(node, field: "auth.gcp", known: CloudAuthDecoding.gcpKeys),
                let value = gcp["credentials_file"], value.scalarText.map(ConfigText.trimmed) != ""
            {
                file = resolvePath(gcp, "credentials_file", kind: .gcpCredentials)
            }
            auth = .gcp(GCPAuthConfig(credentialsFile: file))
        }
        if fields.keys["azure"] != nil {
            var azure: AzureAuthConfig?
            if let node = fields["azure"],
                let block = d.mapping(node, field: "auth.azure", known: CloudAuthDecoding.azureKeys)
            {
                var federated: String?
                var secret: String?
                for key in ["federated_token_file", "client_secret_file"]
                where block[key].flatMap(\.scalarText).map(ConfigText.trimmed).map({ !$0.isEmpty }) == true {
                    let kind: ConfigFileReference.Kind =
                        key == "client_secret_file" ? .azureClientSecret : .azureFederatedToken
                    let path = resolvePath(block, key, kind: kind)
                    if key == "client_secret_file" { secret = path } else { federated = path }
                }
                azure = CloudAuthDecoding.decodeAzure(
                    block,
                    federatedTokenFile: federated,
                    clientSecretFile: secret,
                    decoder: d
                )
            } else if fields["azure"] == nil {
                azure = AzureAuthConfig()
            }
            if let azure { auth = .azure(azure) }
        }
        return d.problems.count == before || !d.problems[before...].containsError ? auth : nil
    }

    mutating func decodeExec(_ node: ConfigNode) -> ExecConfig? {
        guard let fields = d.mapping(node, field: "auth.exec", known: ClusterConfig.execKeys) else { return nil }
        let before = d.problems.count
        var command = ""
        if let node = fields["command"], let text = d.string(node, fields.path("command")) {
            if ConfigText.trimmed(text).isEmpty {
                d.error(.invalidValue, at: node, fields.path("command"), "must not be empty")
            } else if text.contains("/") {
                command = resolvePath(fields, "command", kind: .execCommand) ?? ""
            } else {
                command = text
                // A bare name is looked up in PATH when run; recorded so the file check can look for it too.
                references.append(
                    ConfigFileReference(
                        kind: .execCommand,
                        path: text,
                        writtenPath: text,
                        field: fields.path("command"),
                        location: d.location(node)
                    )
                )
            }
        } else if !fields.has("command") {
            d.error(.missingField, at: node, fields.path("command"), "required: the plugin to run (e.g. aws)")
        }
        let args = d.stringList(fields, "args")?.map(\.0) ?? []
        var env: [ExecEnvironmentVariable] = []
        if let envNode = fields["env"] { env = decodeEnv(envNode, field: fields.path("env")) }
        let envFile = resolvePath(fields, "env_file", kind: .execEnvironmentFile)
        var apiVersion = ExecConfig.defaultAPIVersion
        if let node = fields["api_version"], let text = d.string(node, fields.path("api_version")) {
            if ExecConfig.supportedAPIVersions.contains(text) {
                apiVersion = text
            } else {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("api_version"),
                    "unsupported \(ConfigText.quote(text)); expected "
                        + ExecConfig.supportedAPIVersions.joined(separator: " or ")
                )
            }
        }
        let timeout = d.duration(fields, "timeout") ?? ExecConfig.defaultTimeout
        guard !d.problems[before...].containsError else { return nil }
        return ExecConfig(
            command: command,
            args: args,
            env: env,
            envFile: envFile,
            apiVersion: apiVersion,
            timeout: timeout
        )
    }

    /// `env` as a mapping (`{AWS_PROFILE: prod}`) or a kubeconfig-style list (`[{name: …, value: …}]`).
    ///
    /// Values are secrets: no message quotes them.
    mutating func decodeEnv(_ node: ConfigNode, field: String) -> [ExecEnvironmentVariable] {
        var result: [ExecEnvironmentVariable] = []
        var seen: Set<String> = []
        func add(_ name: String, _ value: String, at keyNode: ConfigNode, field: String) {
            guard ConfigText.isEnvironmentName(name) else {
                d.error(
                    .invalidValue,
                    at: keyNode,
                    field,
                    "\(ConfigText.quote(name)) is not a valid environment variable name"
                )
                return
            }
            guard seen.insert(name).inserted else {
                d.error(.conflict, at: keyNode, field, "\(name) is set twice")
                return
            }
            inlineSecrets = true
            result.append(ExecEnvironmentVariable(name: name, value: Secret(value)))
        }
        func value(_ node: ConfigNode, _ field: String) -> String? {
            if node.isNull { return "" }
            guard case .scalar(let text, _) = node.kind else {
                d.error(.wrongType, at: node, field, "expected a string, got \(node.typeName)")
                return nil
            }
            return text
        }
        switch node.kind {
        case .mapping(let entries):
            for entry in entries {
                guard let name = entry.key.scalarText else {
                    d.error(.wrongType, at: entry.key, field, "keys must be strings")
                    continue
                }
                if let text = value(entry.value, "\(field).\(name)") {
                    add(name, text, at: entry.key, field: "\(field).\(name)")
                }
            }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                let itemField = "\(field)[\(index)]"
                guard let itemFields = d.mapping(item, field: itemField, known: ["name", "value"]) else { continue }
                guard let nameNode = itemFields["name"], let name = d.string(nameNode, itemFields.path("name")) else {
                    if !itemFields.has("name") { d.error(.missingField, at: item, itemFields.path("name"), "required") }
                    continue
                }
                let text = itemFields["value"].flatMap { value($0, itemFields.path("value")) } ?? ""
                add(name, text, at: nameNode, field: itemFields.path("name"))
            }
        case .scalar:
            d.error(.wrongType, at: node, field, "expected a mapping (NAME: value) or a list of {name, value}")
        }
        return result
    }

    func checkAnonymous(auth: ClusterAuth?, apiServer: APIServerURL?, fields: ConfigFields) {
        guard case .anonymous = auth else { return }
        if let apiServer, !apiServer.isTLS, apiServer.isLoopback { return }  // kubectl proxy
        d.warning(
            .insecure,
            at: fields["auth"] ?? fields["api_server"] ?? fields.node,
            "auth",
            "no credentials: requests are anonymous (set one of bearer_token_file, client_cert_file + client_key_file, "
                + "kubeconfig, exec)"
        )
    }

    // MARK: relabeling

    func decodeRelabelMode(_ root: ConfigFields) -> RelabelMode {
        guard let node = root["relabel_mode"], let text = d.string(node, "relabel_mode") else { return .crowsnest }
        guard let mode = RelabelMode(rawValue: text) else {
            let names = RelabelMode.allCases.map(\.rawValue).joined(separator: " or ")
            d.error(.invalidValue, at: node, "relabel_mode", "must be \(names), got \(ConfigText.quote(text))")
            return .crowsnest
        }
        if mode == .prometheus && root["relabel_configs"] == nil {
            d.warning(
                .conflict,
                at: node,
                "relabel_mode",
                "prometheus mode without relabel_configs makes every declared container port a target"
            )
        }
        return mode
    }

    /// Warns about rules that write or remove `cluster`, `namespace` or `pod_name`: the gateway keeps those labels
    /// the target's own, so the rule either does nothing to them or makes targets of different pods alike.
    func checkIdentityLabels(_ root: ConfigFields, relabelMode: RelabelMode) {
        for key in ["relabel_configs", "metric_relabel_configs"] {
            guard let node = root[key], case .sequence(let items) = node.kind else { continue }
            for (index, item) in items.enumerated() {
                guard let rule = RelabelRule.decodeQuietly(item) else { continue }
                let touched = rule.identityLabelsTouched
                guard !touched.isEmpty else { continue }
                let names = touched.joined(separator: ", ")
                let reason: String
                if key == "metric_relabel_configs" {
                    reason =
                        "changes \(names): metric relabeling never changes cluster, namespace or pod_name "
                        + "(they stay the target's own, so series of different pods cannot collide)"
                } else if relabelMode == .crowsnest || touched == ["cluster"] {
                    reason =
                        "changes \(names): the gateway always sets cluster, namespace and pod_name to the "
                        + "pod's own values, so this has no effect on them"
                } else {
                    reason =
                        "changes \(names): targets of different pods may end with equal labels; such duplicates "
                        + "are scraped once and listed as refused (namespace and pod_name are added back when unset)"
                }
                d.warning(.conflict, at: item, "\(key)[\(index)]", reason)
            }
        }
    }

    // MARK: labels

    func decodeLabels(_ root: ConfigFields, valueLengthLimit: Int) -> LabelSet {
        var labels = LabelSet()
        guard let node = root["labels"] else { return labels }
        guard case .mapping(let entries) = node.kind else {
            d.error(.wrongType, at: node, "labels", "expected a mapping of label names to values, got \(node.typeName)")
            return labels
        }
        for entry in entries {
            guard let name = entry.key.scalarText else {
                d.error(.wrongType, at: entry.key, "labels", "label names must be strings")
                continue
            }
            let field = "labels.\(name)"
            if !ConfigText.isLabelName(name) {
                d.error(
                    .invalidValue,
                    at: entry.key,
                    field,
                    "\(ConfigText.quote(name)) is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
                )
                continue
            }
            if name.hasPrefix("__") {
                d.error(.invalidValue, at: entry.key, field, "label names starting with __ are reserved")
                continue
            }
            if ClusterConfig.reservedLabelNames.contains(name) {
                d.error(
                    .conflict,
                    at: entry.key,
                    field,
                    "\(name) is set by the gateway itself (reserved: cluster, namespace, pod_name, port)"
                )
                continue
            }
            if labels[name] != nil {
                d.error(.conflict, at: entry.key, field, "set twice")
                continue
            }
            guard !entry.value.isNull, let value = d.string(entry.value, field) else {
                if entry.value.isNull { d.error(.invalidValue, at: entry.value, field, "must have a value") }
                continue
            }
            if value.isEmpty {
                d.error(.invalidValue, at: entry.value, field, "must not be empty (an empty value means no label)")
                continue
            }
            if valueLengthLimit > 0 && value.utf8.count > valueLengthLimit {
                d.error(
                    .invalidValue,
                    at: entry.value,
                    field,
                    "the value has \(value.utf8.count) bytes, over scrape.label_value_length_limit "
                        + "(\(valueLengthLimit)): every scrape of the cluster would fail"
                )
                continue
            }
            labels[name] = value
        }
        return labels
    }

    // MARK: discovery

    /// A list of namespace names (`namespaces`, `exclude_namespaces`), each checked, duplicates warned about.
    func decodeNamespaces(_ fields: ConfigFields, _ key: String) -> [String] {
        var result: [String] = []
        guard let namespaces = d.stringList(fields, key) else { return result }
        for (index, (namespace, node)) in namespaces.enumerated() {
            let field = fields.path(key) + "[\(index)]"
            if !ConfigText.isDNS1123Label(namespace) {
                d.error(
                    .invalidValue,
                    at: node,
                    field,
                    "\(ConfigText.quote(namespace)) is not a namespace name (lowercase letters, digits, '-', at most 63)"
                )
            } else if result.contains(namespace) {
                d.warning(.conflict, at: node, field, "\(namespace) is listed twice")
            } else {
                result.append(namespace)
            }
        }
        return result
    }

    func decodeDiscovery(_ root: ConfigFields) -> DiscoveryConfig {
        var discovery = DiscoveryConfig()
        guard let node = root["discovery"],
            let fields = d.mapping(node, field: "discovery", known: ClusterConfig.discoveryKeys)
        else { return discovery }
        discovery.namespaces = decodeNamespaces(fields, "namespaces")
        discovery.excludeNamespaces = decodeNamespaces(fields, "exclude_namespaces")
        for namespace in discovery.excludeNamespaces where discovery.namespaces.contains(namespace) {
            d.warning(
                .conflict,
                at: fields["exclude_namespaces"],
                fields.path("exclude_namespaces"),
                "\(namespace) is both watched (namespaces) and excluded: its pods never become targets"
            )
        }
        if let node = fields["label_selector"], let text = d.string(node, fields.path("label_selector")) {
            do throws(SelectorSyntaxError) {
                discovery.labelSelector = try LabelSelector(parsing: text)
            } catch {
                d.error(.invalidValue, at: node, fields.path("label_selector"), "invalid label selector: \(error)")
            }
        }
        if let node = fields["field_selector"], let text = d.string(node, fields.path("field_selector")) {
            do throws(SelectorSyntaxError) {
                discovery.fieldSelector = try FieldSelector(parsing: text)
            } catch {
                d.error(.invalidValue, at: node, fields.path("field_selector"), "invalid field selector: \(error)")
            }
        }
        return discovery
    }

    // MARK: nodes

    func decodeNodes(_ root: ConfigFields) -> NodeTargetsConfig {
        guard let node = root["nodes"], let fields = d.mapping(node, field: "nodes", known: ClusterConfig.nodeKeys)
        else { return NodeTargetsConfig() }
        var paths: [KubeletPath] = []
        for path in KubeletPath.allCases where d.bool(fields, path.rawValue) == true { paths.append(path) }
        var selector = LabelSelector()
        if let node = fields["label_selector"], let text = d.string(node, fields.path("label_selector")) {
            do throws(SelectorSyntaxError) {
                selector = try LabelSelector(parsing: text)
            } catch {
                d.error(.invalidValue, at: node, fields.path("label_selector"), "invalid label selector: \(error)")
            }
        }
        let rules = fields["relabel_configs"].map {
            RelabelRule.decodeList($0, field: fields.path("relabel_configs"), decoder: d)
        }
        if paths.isEmpty && (fields.has("label_selector") || fields.has("relabel_configs")) {
            d.warning(
                .conflict,
                at: node,
                "nodes",
                "no kubelet endpoint is enabled (kubelet, cadvisor, resource, probes), so no node is scraped"
            )
        }
        return NodeTargetsConfig(paths: paths, labelSelector: selector, relabelConfigs: rules ?? [])
    }
}
