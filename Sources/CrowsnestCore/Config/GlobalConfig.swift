/// The optional `crowsnest.yaml` (`serve --config FILE`): defaults for every cluster and the gateway's own settings.
///
/// ```yaml
/// listen: 127.0.0.1:9464          # HOST:PORT; `--listen` wins
/// timestamps: true                # samples carry their scrape timestamp
/// scrape: { interval: 30s, … }    # the cluster file's scrape block, as defaults for every cluster
/// web:
///   tls_cert_file: server.crt     # both or neither: serve HTTPS
///   tls_key_file: server.key
///   basic_auth: { username: prom, password_file: prom.password }
///   bearer_token_file: scrape.token   # with basic_auth too, either one is accepted
/// remote_write:                   # Prometheus' remote_write entries (see RemoteWriteConfig)
///   - url: http://127.0.0.1:8428/api/v1/write
/// ```
public struct GlobalConfig: Sendable, Hashable {
    /// `listen`, when set; `nil` leaves it to `--listen` or `GlobalConfig.defaultListen`.
    public var listen: ListenAddress?
    /// The gateway's own endpoints: TLS and authentication.
    public var web: WebConfig
    /// Whether served samples carry their scrape timestamp (default `true`).
    public var timestamps: Bool
    /// The `scrape:` block: defaults for every cluster, which a cluster file's own block overrides field by field.
    public var scrape: PartialScrapeConfig
    /// The `remote_write:` destinations (``RemoteWriteConfig``), in file order.
    public var remoteWrite: [RemoteWriteConfig] = []

    /// The default listen address, `127.0.0.1:9464`.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9464)

    /// The top-level keys of `crowsnest.yaml`.
    public static let fieldNames = ["listen", "web", "timestamps", "scrape", "remote_write"]

    /// Creates a global configuration; the defaults are those of a missing `crowsnest.yaml`.
    public init(
        listen: ListenAddress? = nil,
        web: WebConfig = WebConfig(),
        timestamps: Bool = true,
        scrape: PartialScrapeConfig = PartialScrapeConfig(),
        remoteWrite: [RemoteWriteConfig] = []
    ) {
        self.listen = listen
        self.web = web
        self.timestamps = timestamps
        self.scrape = scrape
        self.remoteWrite = remoteWrite
    }
}

/// A `HOST:PORT` listen address.
///
/// The host may be a name, an IPv4 address, `[IPv6]`, or empty (all interfaces).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host without brackets; empty = all interfaces.
    public var host: String
    /// The port (0 = any free port).
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a listen address is rejected.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The reason.
        public var reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT`.
    public init(parsing text: String) throws(ParseError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ParseError(reason: "expected HOST:PORT, e.g. 127.0.0.1:9464")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw ParseError(reason: "invalid IPv6 address")
            }
        } else {
            let valid = host.utf8.allSatisfy {
                ConfigText.isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
            guard valid else {
                throw ParseError(reason: "invalid host \(ConfigText.quote(host)) (IPv6 needs [brackets])")
            }
        }
        guard let port = Int(portText), portText.allSatisfy(\.isASCII), (0...65535).contains(port) else {
            throw ParseError(reason: "invalid port \(ConfigText.quote(String(portText))); expected 0–65535")
        }
        self.init(host: host, port: port)
    }

    /// `host:port`, IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The `web:` block of `crowsnest.yaml`: how the gateway's own endpoints are served.
///
/// Paths are absolute.
public struct WebConfig: Sendable, Hashable {
    /// The server certificate (PEM); set together with `tlsKeyFile` to serve HTTPS.
    public var tlsCertFile: String?
    /// The server key (PEM).
    public var tlsKeyFile: String?
    /// HTTP basic authentication.
    public var basicAuth: BasicAuth?
    /// A file holding the bearer token clients must send.
    public var bearerTokenFile: String?

    /// Creates a web configuration; by default plain HTTP without authentication.
    public init(
        tlsCertFile: String? = nil,
        tlsKeyFile: String? = nil,
        basicAuth: BasicAuth? = nil,
        bearerTokenFile: String? = nil
    ) {
        self.tlsCertFile = tlsCertFile
        self.tlsKeyFile = tlsKeyFile
        self.basicAuth = basicAuth
        self.bearerTokenFile = bearerTokenFile
    }

    /// Whether any authentication is required.
    public var requiresAuthentication: Bool { basicAuth != nil || bearerTokenFile != nil }

    /// Whether the listener serves HTTPS (both TLS files set).
    public var servesTLS: Bool { tlsCertFile != nil && tlsKeyFile != nil }
}

/// HTTP basic authentication for the gateway's endpoints.
public struct BasicAuth: Sendable, Hashable {
    /// The user name.
    public var username: String
    /// A file holding the password (absolute path).
    public var passwordFile: String

    /// Creates basic authentication settings.
    public init(username: String, passwordFile: String) {
        self.username = username
        self.passwordFile = passwordFile
    }
}

/// What loading `crowsnest.yaml` produced.
public struct GlobalConfigReport: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// The configuration; `nil` when any problem is an error.
    public var config: GlobalConfig?
    /// Files the configuration names.
    public var fileReferences: [ConfigFileReference]
    /// Every problem, in file order.
    public var problems: [ConfigProblem]

    /// Creates a report.
    public init(
        path: String,
        config: GlobalConfig? = nil,
        fileReferences: [ConfigFileReference] = [],
        problems: [ConfigProblem] = []
    ) {
        self.path = path
        self.config = config
        self.fileReferences = fileReferences
        self.problems = problems
    }

    /// Whether any problem is an error.
    public var hasErrors: Bool { problems.containsError }

    /// The configuration, or a `ConfigError` with every problem when there is none.
    public func get() throws(ConfigError) -> GlobalConfig {
        guard let config else { throw ConfigError(problems: problems) }
        return config
    }

    /// Adds problems; an error makes the configuration unusable.
    public mutating func add(_ newProblems: [ConfigProblem]) {
        problems += newProblems
        problems.sort()
        if problems.containsError { config = nil }
    }
}

extension GlobalConfig {
    /// Decodes and validates `crowsnest.yaml`'s document, reporting every problem.
    ///
    /// An empty document is the default
    /// configuration.
    ///
    /// - Parameters:
    ///   - root: the document's root node; `nil` for an empty file.
    ///   - file: the file's path, for problems.
    ///   - baseDirectory: the folder relative paths resolve against; default the file's folder.
    ///   - homeDirectory: `$HOME`, for `~`.
    /// - Returns: the configuration (when no problem is an error), the files it names, and every problem.
    public static func decode(
        _ root: ConfigNode?,
        file: String,
        baseDirectory: String? = nil,
        homeDirectory: String? = nil
    ) -> GlobalConfigReport {
        let d = ConfigDecoder(file: file)
        let base = baseDirectory ?? ConfigPaths.directory(of: file)
        var references: [ConfigFileReference] = []
        var report = GlobalConfigReport(path: file)
        guard let root, !root.isNull else {
            report.config = GlobalConfig()
            return report
        }
        var misplaced: [String: String] = [:]
        for key in PartialScrapeConfig.keys { misplaced[key] = "scrape" }
        for key in ["tls_cert_file", "tls_key_file", "basic_auth", "bearer_token_file"] { misplaced[key] = "web" }
        guard let fields = d.mapping(root, field: "", known: fieldNames, misplaced: misplaced) else {
            report.problems = d.problems
            return report
        }
        var config = GlobalConfig()
        if let node = fields["listen"], let text = d.string(node, "listen") {
            do throws(ListenAddress.ParseError) {
                config.listen = try ListenAddress(parsing: text)
            } catch {
                d.error(.invalidValue, at: node, "listen", error.reason)
            }
        }
        if let timestamps = d.bool(fields, "timestamps") { config.timestamps = timestamps }
        if let node = fields["scrape"] {
            let (block, scrapeFields) = PartialScrapeConfig.decode(node, field: "scrape", decoder: d)
            PartialScrapeConfig.checkTimeout(block, over: PartialScrapeConfig(), fields: scrapeFields, decoder: d)
            config.scrape = block
        }
        if let node = fields["web"],
            let web = d.mapping(
                node,
                field: "web",
                known: ["tls_cert_file", "tls_key_file", "basic_auth", "bearer_token_file"]
            )
        {
            func path(_ fields: ConfigFields, _ key: String, _ kind: ConfigFileReference.Kind) -> String? {
                d.resolvePath(
                    fields,
                    key,
                    kind: kind,
                    baseDirectory: base,
                    homeDirectory: homeDirectory,
                    into: &references
                )
            }
            config.web.tlsCertFile = path(web, "tls_cert_file", .serverCertificate)
            config.web.tlsKeyFile = path(web, "tls_key_file", .serverKey)
            for (missing, other) in [("tls_cert_file", "tls_key_file"), ("tls_key_file", "tls_cert_file")]
            where !web.has(missing) && web.has(other) {
                d.error(.missingField, at: web.keys[other], web.path(missing), "required together with \(other)")
            }
            config.web.bearerTokenFile = path(web, "bearer_token_file", .webBearerToken)
            if let node = web["basic_auth"],
                let basic = d.mapping(node, field: "web.basic_auth", known: ["username", "password_file"])
            {
                let username = d.string(basic, "username")
                let passwordFile = path(basic, "password_file", .password)
                if !basic.has("username") {
                    d.error(.missingField, at: node, basic.path("username"), "required")
                } else if username?.isEmpty == true || username?.contains(":") == true {
                    d.error(
                        .invalidValue,
                        at: basic["username"],
                        basic.path("username"),
                        "must be non-empty and have no ':'"
                    )
                }
                if !basic.has("password_file") {
                    d.error(.missingField, at: node, basic.path("password_file"), "required")
                }
                if let username, let passwordFile {
                    config.web.basicAuth = BasicAuth(username: username, passwordFile: passwordFile)
                }
            }
            if config.web.requiresAuthentication && config.web.tlsCertFile == nil {
                d.warning(
                    .insecure,
                    at: node,
                    "web",
                    "authentication without tls_cert_file: credentials cross the network in clear text"
                )
            }
        }
        if let node = fields["remote_write"] {
            config.remoteWrite = RemoteWriteConfig.decodeList(
                node,
                decoder: d,
                baseDirectory: base,
                homeDirectory: homeDirectory
            )
        }
        report.fileReferences = references
        report.problems = d.problems.sorted()
        if !d.hasErrors { report.config = config }
        return report
    }
}
