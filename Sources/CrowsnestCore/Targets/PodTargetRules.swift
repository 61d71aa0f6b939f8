/// How one cluster turns pods into scrape targets (README, "Which pods become targets"): the built-in
/// annotation/port rules, refined by the cluster's `relabel_configs` (``RelabelMode/crowsnest``), or Prometheus
/// `role: pod` candidates decided by the rules alone (``RelabelMode/prometheus``).
public struct PodTargetRules: Sendable {
    /// The cluster name (the `cluster` label and the first part of every `TargetKey`).
    public var cluster: String
    /// Static labels added to every target (the cluster file's `labels:`).
    public var staticLabels: LabelSet
    /// The path used when a pod does not say (`scrape.path`).
    public var defaultPath: String
    /// The pod-side scheme used when a pod does not say (`scrape.scheme`).
    public var defaultScheme: String
    /// The compiled `relabel_configs`; nil = the built-in rules alone.
    public var relabeler: Relabeler?
    /// How ``relabeler`` combines with the built-in rules.
    public var mode: RelabelMode
    /// Namespaces whose pods yield nothing (`discovery.exclude_namespaces`).
    public var excludedNamespaces: Set<String>

    /// Creates rules; `relabeler` nil (or empty) selects the built-in annotation/port rules alone.
    public init(
        cluster: String,
        staticLabels: LabelSet = LabelSet(),
        defaultPath: String = "/metrics",
        defaultScheme: String = "http",
        relabeler: Relabeler? = nil,
        mode: RelabelMode = .crowsnest,
        excludedNamespaces: Set<String> = []
    ) {
        self.cluster = cluster
        self.staticLabels = staticLabels
        self.defaultPath = defaultPath
        self.defaultScheme = defaultScheme
        self.relabeler = (relabeler?.isEmpty ?? true) ? nil : relabeler
        self.mode = mode
        self.excludedNamespaces = excludedNamespaces
    }

    /// Rules from a cluster configuration (compiling its `relabel_configs`).
    public init(config: ClusterConfig) throws(RelabelError) {
        let relabeler = config.relabelConfigs.isEmpty ? nil : try Relabeler(rules: config.relabelConfigs)
        self.init(
            cluster: config.name,
            staticLabels: config.labels,
            defaultPath: config.scrape.path,
            defaultScheme: config.scrape.scheme.rawValue,
            relabeler: relabeler,
            mode: config.relabelMode,
            excludedNamespaces: Set(config.discovery.excludeNamespaces)
        )
    }
}

/// What one pod yields: its targets and, when something about it was refused, why.
public struct PodTargets: Sendable, Hashable {
    /// The targets, in port order.
    public var targets: [ScrapeTarget]
    /// Refusals (unsafe path, bad scheme, no port), at most one per candidate.
    public var refused: [RefusedPod]

    /// Creates a result.
    public init(targets: [ScrapeTarget] = [], refused: [RefusedPod] = []) {
        self.targets = targets
        self.refused = refused
    }

    /// Nothing.
    public static let none = PodTargets()
}
