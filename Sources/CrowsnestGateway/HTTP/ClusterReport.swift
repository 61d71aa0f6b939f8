import CrowsnestCore
import CrowsnestKube
import Foundation

/// The per-cluster health model, as the JSON API and the health page present it. Secret-free by construction:
/// it is built only from names, counts, states and plain-words errors.
///
/// Times are kept as seconds since the epoch (the `…Time` properties, used by the page for ages and countdowns)
/// and encoded in JSON as ISO 8601 strings under the documented keys (`docs/api.md`).
public struct ClusterReport: Encodable, Sendable {
    /// One scrape target of the cluster.
    public struct Target: Encodable, Sendable {
        /// `pod` (a pod port, also behind a Service) or `node` (a kubelet endpoint).
        public var role: String
        /// The pod's namespace (empty for a node target).
        public var namespace: String
        /// The pod, or the node of a node target.
        public var pod: String
        /// The port (name or number), or the kubelet path of a node target.
        public var port: String
        /// The labels every sample of the target gets.
        public var labels: [String: String]
        /// Whether the last scrape succeeded; nil before the first scrape.
        public var up: Bool?
        /// When the last scrape happened, ISO 8601.
        public var lastScrape: String? { lastScrapeTime.map(ClusterReport.iso) }
        /// How long the last scrape took.
        public var durationSeconds: Double?
        /// Samples in the last scrape.
        public var samples: Int?
        /// The last scrape's error in plain words.
        public var error: String?
        /// When the last scrape happened, seconds since the epoch (not encoded; `lastScrape` is).
        public var lastScrapeTime: Double?

        enum CodingKeys: String, CodingKey {
            case role, namespace, pod, port, node, path, labels, up, lastScrape, durationSeconds, samples, error
        }

        /// Encodes the documented keys; times as ISO 8601, formatted here and nowhere else.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            if role == TargetRole.node.rawValue {
                try container.encode(pod, forKey: .node)
                try container.encode(port, forKey: .path)
            } else {
                try container.encode(namespace, forKey: .namespace)
                try container.encode(pod, forKey: .pod)
                try container.encode(port, forKey: .port)
            }
            try container.encode(labels, forKey: .labels)
            try container.encodeIfPresent(up, forKey: .up)
            try container.encodeIfPresent(lastScrape, forKey: .lastScrape)
            try container.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
            try container.encodeIfPresent(samples, forKey: .samples)
            try container.encodeIfPresent(error, forKey: .error)
        }

        /// Creates a target row.
        public init(
            role: String = "pod",
            namespace: String,
            pod: String,
            port: String,
            labels: [String: String] = [:],
            up: Bool? = nil,
            lastScrapeTime: Double? = nil,
            durationSeconds: Double? = nil,
            samples: Int? = nil,
            error: String? = nil
        ) {
            self.role = role
            self.namespace = namespace
            self.pod = pod
            self.port = port
            self.labels = labels
            self.up = up
            self.lastScrapeTime = lastScrapeTime
            self.durationSeconds = durationSeconds
            self.samples = samples
            self.error = error
        }
    }

    /// A pod that yields no target, and why.
    public struct Refused: Encodable, Sendable {
        /// The namespace.
        public var namespace: String
        /// The pod.
        public var pod: String
        /// Why, in plain words.
        public var reason: String
        /// `refused` (unusable) or `duplicate` (same labels as another target, scraped once).
        public var kind: String

        /// Creates a refusal row.
        public init(namespace: String, pod: String, reason: String, kind: String = "refused") {
            self.namespace = namespace
            self.pod = pod
            self.reason = reason
            self.kind = kind
        }
    }

    /// The result of the last cheap API server check (`GET /version` with the cluster's credentials).
    public struct APIServerCheck: Encodable, Sendable {
        /// Whether the API server answered at all (any HTTP status).
        public var reachable: Bool
        /// The HTTP status, when it answered.
        public var httpStatus: Int?
        /// Round-trip time of the check.
        public var latencyMilliseconds: Double?
        /// When the check ran, ISO 8601.
        public var checkedAt: String { ClusterReport.iso(checkedAtTime) }
        /// Why it failed, in plain words.
        public var error: String?
        /// When the check ran, seconds since the epoch (not encoded).
        public var checkedAtTime: Double
        /// The RBAC self-check: the permissions the cluster file needs that the API server says are not granted
        /// (`list nodes`, `get nodes/proxy`, …); empty = all granted; nil = not asked yet or could not be asked.
        public var missingPermissions: [String]?
        /// When the permissions were last asked, seconds since the epoch (not encoded).
        public var permissionsCheckedAtTime: Double?

        enum CodingKeys: String, CodingKey {
            case reachable, httpStatus, latencyMilliseconds, checkedAt, error, missingPermissions
        }

        /// Encodes the documented keys; the time as ISO 8601.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reachable, forKey: .reachable)
            try container.encodeIfPresent(httpStatus, forKey: .httpStatus)
            try container.encodeIfPresent(latencyMilliseconds, forKey: .latencyMilliseconds)
            try container.encode(checkedAt, forKey: .checkedAt)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encodeIfPresent(missingPermissions, forKey: .missingPermissions)
        }

        /// Creates a check result.
        public init(
            reachable: Bool,
            httpStatus: Int? = nil,
            latencyMilliseconds: Double? = nil,
            checkedAtTime: Double,
            error: String? = nil
        ) {
            self.reachable = reachable
            self.httpStatus = httpStatus
            self.latencyMilliseconds = latencyMilliseconds
            self.checkedAtTime = checkedAtTime
            self.error = error
        }
    }

    /// The cluster name (the file's base name when the file does not parse).
    public var name: String
    /// The cluster file.
    public var file: String
    /// `ok`, `degraded`, `down` or `config error`.
    public var status: String
    /// Problems in the file, one line each: `FILE:LINE:COL: FIELD: reason`.
    public var configProblems: [String]
    /// Whether a broken file is being served by its last good version.
    public var runningLastGoodVersion: Bool
    /// `starting`, `listing`, `watching`, `relisting` or `failing`; nil when the cluster does not run.
    public var discovery: String?
    /// Why discovery fails.
    public var discoveryError: String?
    /// How many objects of each discovered resource are known (`pods`, `nodes`, `services`, `endpointslices`).
    public var discoveredObjects: [String: Int] = [:]
    /// The last discovery list or watch event, ISO 8601.
    public var lastDiscoveryEvent: String? { lastDiscoveryEventTime.map(Self.iso) }
    /// The credential kind.
    public var credentialKind: String?
    /// Who the credential authenticates as, when known (built-in cloud credentials: a role ARN, a service account,
    /// a client id, or where the keys came from).
    public var credentialIdentity: String?
    /// When the credential expires, ISO 8601.
    public var credentialExpiresAt: String? { credentialExpiresTime.map(Self.iso) }
    /// When the CA certificate expires, ISO 8601.
    public var caExpiresAt: String? { caExpiresTime.map(Self.iso) }
    /// Whether TLS verification is off.
    public var insecureSkipVerify: Bool?
    /// `ok`, `rejected`, `expired`, `failing` or `unknown`.
    public var auth: String?
    /// The last API server check.
    public var apiServer: APIServerCheck?
    /// Targets whose last scrape succeeded.
    public var targetsUp: Int
    /// Targets.
    public var targetsTotal: Int
    /// Discovered targets left out because their labels equal another target's.
    public var duplicateTargets: Int
    /// Series held for the cluster.
    public var series: Int
    /// How its scrapes keep up (running clusters only): the concurrency limit, what waits, what was skipped.
    public var pace: ScrapeScheduler.Pace?
    /// The most telling error, in plain words.
    public var lastError: String?
    /// Every target (detail only).
    public var targets: [Target]?
    /// Refused pods (detail only).
    public var refusedPods: [Refused]?
    /// Seconds since the epoch of `lastDiscoveryEvent` (not encoded).
    public var lastDiscoveryEventTime: Double?
    /// Seconds since the epoch of `credentialExpiresAt` (not encoded).
    public var credentialExpiresTime: Double?
    /// Seconds since the epoch of `caExpiresAt` (not encoded).
    public var caExpiresTime: Double?

    enum CodingKeys: String, CodingKey {
        case name, file, status, configProblems, runningLastGoodVersion, discovery, discoveryError, lastDiscoveryEvent
        case discoveredObjects
        case credentialKind, credentialIdentity, credentialExpiresAt, caExpiresAt, insecureSkipVerify, auth, apiServer
        case targetsUp, targetsTotal, duplicateTargets, series, pace, lastError, targets, refusedPods
    }

    /// Encodes the documented keys (`docs/api.md`); times as ISO 8601, formatted here and nowhere else.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(file, forKey: .file)
        try container.encode(status, forKey: .status)
        try container.encode(configProblems, forKey: .configProblems)
        try container.encode(runningLastGoodVersion, forKey: .runningLastGoodVersion)
        try container.encodeIfPresent(discovery, forKey: .discovery)
        try container.encodeIfPresent(discoveryError, forKey: .discoveryError)
        try container.encodeIfPresent(lastDiscoveryEvent, forKey: .lastDiscoveryEvent)
        if !discoveredObjects.isEmpty { try container.encode(discoveredObjects, forKey: .discoveredObjects) }
        try container.encodeIfPresent(credentialKind, forKey: .credentialKind)
        try container.encodeIfPresent(credentialIdentity, forKey: .credentialIdentity)
        try container.encodeIfPresent(credentialExpiresAt, forKey: .credentialExpiresAt)
        try container.encodeIfPresent(caExpiresAt, forKey: .caExpiresAt)
        try container.encodeIfPresent(insecureSkipVerify, forKey: .insecureSkipVerify)
        try container.encodeIfPresent(auth, forKey: .auth)
        try container.encodeIfPresent(apiServer, forKey: .apiServer)
        try container.encode(targetsUp, forKey: .targetsUp)
        try container.encode(targetsTotal, forKey: .targetsTotal)
        try container.encode(duplicateTargets, forKey: .duplicateTargets)
        try container.encode(series, forKey: .series)
        try container.encodeIfPresent(pace, forKey: .pace)
        try container.encodeIfPresent(lastError, forKey: .lastError)
        try container.encodeIfPresent(targets, forKey: .targets)
        try container.encodeIfPresent(refusedPods, forKey: .refusedPods)
    }

    /// Creates a report; the ISO strings are derived from the `…Time` values.
    public init(
        name: String,
        file: String,
        status: String,
        configProblems: [String] = [],
        runningLastGoodVersion: Bool = false,
        discovery: String? = nil,
        discoveryError: String? = nil,
        lastDiscoveryEventTime: Double? = nil,
        credentialKind: String? = nil,
        credentialExpiresTime: Double? = nil,
        caExpiresTime: Double? = nil,
        insecureSkipVerify: Bool? = nil,
        auth: String? = nil,
        apiServer: APIServerCheck? = nil,
        targetsUp: Int = 0,
        targetsTotal: Int = 0,
        duplicateTargets: Int = 0,
        series: Int = 0,
        lastError: String? = nil,
        targets: [Target]? = nil,
        refusedPods: [Refused]? = nil
    ) {
        self.name = name
        self.file = file
        self.status = status
        self.configProblems = configProblems
        self.runningLastGoodVersion = runningLastGoodVersion
        self.discovery = discovery
        self.discoveryError = discoveryError
        self.lastDiscoveryEventTime = lastDiscoveryEventTime
        self.credentialKind = credentialKind
        self.credentialExpiresTime = credentialExpiresTime
        self.caExpiresTime = caExpiresTime
        self.insecureSkipVerify = insecureSkipVerify
        self.auth = auth
        self.apiServer = apiServer
        self.targetsUp = targetsUp
        self.targetsTotal = targetsTotal
        self.duplicateTargets = duplicateTargets
        self.series = series
        self.lastError = lastError
        self.targets = targets
        self.refusedPods = refusedPods
    }

    /// The reports of every cluster and broken file, from the live services.
    static func all(
        directory: ClusterSupervisor,
        store: SnapshotStore,
        detailed: Bool = false,
        only name: String? = nil,
        checks: [String: APIServerCheck] = [:],
        now: Double = Date().timeIntervalSince1970
    ) -> [ClusterReport] {
        directory.entries.filter { name == nil || $0.name == name }.map { entry in
            var report = ClusterReport(
                name: entry.name,
                file: entry.file,
                status: "config error",
                configProblems: entry.problems.map(\.description),
                runningLastGoodVersion: entry.runningLastGoodVersion
            )
            guard let runtime = entry.runtime else {
                report.lastError = entry.startError ?? entry.problems.first { $0.isError }?.description
                report.status = (entry.startError != nil ? ClusterStatus.down : .configError).rawValue
                return report
            }
            return report.filled(
                from: runtime.health,
                check: checks[entry.name],
                entry: entry,
                store: store,
                detailed: detailed,
                now: now
            )
        }
    }

    /// This report with a running cluster's health rendered in.
    func filled(
        from health: ClusterHealth,
        check: APIServerCheck?,
        entry: ClusterSupervisor.ClusterEntry,
        store: SnapshotStore,
        detailed: Bool,
        now: Double
    ) -> ClusterReport {
        var report = self
        let discovery = health.discovery
        let credential = health.credential
        report.discovery = Self.discoveryName(discovery.condition)
        report.discoveryError = discovery.failure?.message
        report.lastDiscoveryEventTime = discovery.lastEventTime?.timeIntervalSince1970
        report.discoveredObjects = Dictionary(
            uniqueKeysWithValues: discovery.objects.map { ($0.key.rawValue, $0.value) }
        )
        report.credentialKind = credential.kind
        report.credentialIdentity = credential.identity
        report.credentialExpiresTime = credential.expiry?.timeIntervalSince1970
        report.caExpiresTime = credential.certificateAuthorityExpiry?.timeIntervalSince1970
        report.insecureSkipVerify = credential.insecureSkipVerify
        report.apiServer = check
        report.auth = health.auth(checkStatus: check?.httpStatus, now: Date(timeIntervalSince1970: now)).rawValue
        report.targetsTotal = health.targets.count
        report.targetsUp = health.targetsUp
        report.duplicateTargets = health.duplicateTargets
        report.series = store.snapshots(cluster: entry.name).reduce(0) { $0 + $1.seriesCount }
        report.pace = health.pace
        let failing = health.targets.first { $0.lastHealth?.up == false }
        report.lastError = discovery.failure?.message ?? credential.lastError ?? failing?.lastHealth?.error
        if check?.reachable == false, report.lastError == nil { report.lastError = check?.error }
        report.status = health.status(fileHasErrors: entry.problems.containsError).rawValue
        if detailed {
            report.targets = health.targets.map { status in
                Target(
                    role: status.target.key.role.rawValue,
                    namespace: status.target.key.namespace,
                    pod: status.target.key.pod,
                    port: status.target.key.port,
                    labels: Dictionary(
                        status.target.labels.map { ($0.name, $0.value) },
                        uniquingKeysWith: { a, _ in a }
                    ),
                    up: status.lastHealth?.up,
                    lastScrapeTime: status.lastHealth.map { Double($0.timestampMilliseconds) / 1000 },
                    durationSeconds: status.lastHealth?.durationSeconds,
                    samples: status.lastHealth?.samplesScraped,
                    error: status.lastHealth?.error
                )
            }
            report.refusedPods = health.refused.map {
                Refused(namespace: $0.namespace, pod: $0.pod, reason: $0.reason, kind: $0.kind.rawValue)
            }
        }
        return report
    }

    /// The JSON's discovery state: `starting`, `listing`, `watching`, `relisting` or `failing`.
    static func discoveryName(_ condition: DiscoveryState.Condition) -> String {
        switch condition {
        case .starting: "starting"
        case .listing: "listing"
        case .watching: "watching"
        case .relisting: "relisting"
        case .failing: "failing"
        }
    }

    /// `2026-11-26T08:30:00Z` (UTC, whole seconds), without a formatter (cheap enough for 100,000 targets).
    public static func iso(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e11 else { return "invalid time" }
        let whole = Int64(seconds.rounded(.down))
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondOfDay = Int(whole - days * 86_400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let hour = Int64(secondOfDay / 3600)
        let minute = Int64(secondOfDay / 60 % 60)
        let second = Int64(secondOfDay % 60)
        return "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))Z"
    }
}
