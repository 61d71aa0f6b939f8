/// What loading one cluster file produced: the configuration (when usable), the name it claims, the files it
/// names, and every problem found.
public struct ClusterFileReport: Sendable, Hashable {
    /// The file's path, as given to the loader.
    public var path: String
    /// The validated configuration; `nil` when any problem is an error (or the name is claimed twice).
    public var config: ClusterConfig?
    /// The cluster name the file claims (`name:` or the file name), even when the file has errors — so a broken
    /// file can be matched to the cluster it configures.
    ///
    /// `nil` only when the file could not be read or parsed.
    public var claimedName: String?
    /// Where the name comes from: the `name:` value, or line 1 when it is the file name.
    public var nameLocation: ConfigSourceLocation?
    /// Files the configuration names (CA, token, client certificate and key, kubeconfig, exec command path).
    public var fileReferences: [ConfigFileReference]
    /// Whether the file itself holds secrets (`auth.bearer_token`, `auth.exec.env` values).
    public var containsInlineSecrets: Bool
    /// Every problem, errors and warnings, in file order.
    public var problems: [ConfigProblem]

    /// Creates a report.
    public init(
        path: String,
        config: ClusterConfig? = nil,
        claimedName: String? = nil,
        nameLocation: ConfigSourceLocation? = nil,
        fileReferences: [ConfigFileReference] = [],
        containsInlineSecrets: Bool = false,
        problems: [ConfigProblem] = []
    ) {
        self.path = path
        self.config = config
        self.claimedName = claimedName
        self.nameLocation = nameLocation
        self.fileReferences = fileReferences
        self.containsInlineSecrets = containsInlineSecrets
        self.problems = problems
    }

    /// Whether any problem is an error.
    public var hasErrors: Bool { problems.containsError }

    /// The errors only.
    public var errors: [ConfigProblem] { problems.filter(\.isError) }

    /// The warnings only.
    public var warnings: [ConfigProblem] { problems.filter { !$0.isError } }

    /// The configuration, or a `ConfigError` with every problem when there is none.
    public func get() throws(ConfigError) -> ClusterConfig {
        guard let config else { throw ConfigError(problems: problems) }
        return config
    }

    /// Adds problems; an error makes the configuration unusable (`config` becomes `nil`).
    public mutating func add(_ newProblems: [ConfigProblem]) {
        problems += newProblems
        problems.sort()
        if problems.containsError { config = nil }
    }
}

/// The inputs of decoding one cluster file besides its YAML.
public struct ClusterFileContext: Sendable, Hashable {
    /// The file's path as shown in problems.
    public var file: String
    /// The name used when the file has no `name:` (the file name without extension).
    public var defaultName: String
    /// The folder that relative paths resolve against (the file's folder, ideally absolute).
    public var baseDirectory: String
    /// `$HOME`, for `~` in paths; `nil` when unknown.
    public var homeDirectory: String?
    /// The `scrape:` defaults from `crowsnest.yaml` (empty when there is none).
    public var scrapeDefaults: PartialScrapeConfig

    /// Creates a context; `defaultName` and `baseDirectory` default to the file's stem and folder.
    public init(
        file: String,
        defaultName: String? = nil,
        baseDirectory: String? = nil,
        homeDirectory: String? = nil,
        scrapeDefaults: PartialScrapeConfig = PartialScrapeConfig()
    ) {
        self.file = file
        self.defaultName = defaultName ?? ConfigPaths.stem(of: file)
        self.baseDirectory = baseDirectory ?? ConfigPaths.directory(of: file)
        self.homeDirectory = homeDirectory
        self.scrapeDefaults = scrapeDefaults
    }
}
