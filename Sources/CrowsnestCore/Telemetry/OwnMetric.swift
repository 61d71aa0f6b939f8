/// One of the gateway's own metrics (`/-/metrics`): its name and HELP text, all in this one place.
///
/// Events are counted where they happen (the Kubernetes client, discovery, the scheduler, the supervisor) through
/// swift-metrics, which carries no HELP; state is read when `/-/metrics` is scraped. Both take their names from here,
/// so a rename or a new metric is one edit, and the README's list can be checked against ``all``.
public struct OwnMetric: Sendable, Hashable {
    /// The metric name.
    public let name: String
    /// The HELP text.
    public let help: String

    init(_ name: String, _ help: String) {
        self.name = name
        self.help = help
    }

    /// Scrapes per cluster and result (counter).
    public static let scrapes = OwnMetric("crowsnest_scrapes_total", "Scrapes per cluster and result.")
    /// Scrape durations per cluster (histogram).
    public static let scrapeDuration = OwnMetric(
        "crowsnest_scrape_duration_seconds",
        "Scrape durations per cluster (through the API server's pod proxy)."
    )
    /// API server requests per cluster, kind and code (counter).
    public static let kubeRequests = OwnMetric(
        "crowsnest_kube_requests_total",
        "Requests to API servers per cluster, kind (api or proxy) and HTTP status code (or error kind)."
    )
    /// Ends of a list or watch followed by a new one (counter).
    public static let watchRestarts = OwnMetric(
        "crowsnest_watch_restarts_total",
        "Ends of a pod list or watch followed by a new one, per cluster and reason."
    )
    /// Reloads (counter): asked for (SIGHUP, `POST /-/reload`) or a changed directory; unchanged polls are not.
    public static let configReloads = OwnMetric(
        "crowsnest_config_reloads_total",
        "Reloads of the configuration (asked for, or a changed cluster directory) by result."
    )
    /// Whether the last reload succeeded (gauge), as Prometheus' `prometheus_config_last_reload_successful`.
    public static let configLastReloadSuccessful = OwnMetric(
        "crowsnest_config_last_reload_successful",
        "Whether the last configuration reload attempt was successful."
    )
    /// When a reload last succeeded (gauge).
    public static let configLastReloadSuccessTimestamp = OwnMetric(
        "crowsnest_config_last_reload_success_timestamp_seconds",
        "Timestamp of the last successful configuration reload."
    )
    /// The build (gauge, always 1).
    public static let buildInfo = OwnMetric(
        "crowsnest_build_info",
        "A metric with a constant '1' value labeled by version, revision and swift_version from which crowsnest was built."
    )
    /// CPU time (counter), the name every Prometheus client library uses.
    public static let processCPU = OwnMetric(
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds."
    )
    /// Resident memory (gauge).
    public static let processResidentMemory = OwnMetric(
        "process_resident_memory_bytes",
        "Resident memory size in bytes."
    )
    /// Virtual memory (gauge).
    public static let processVirtualMemory = OwnMetric(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes."
    )
    /// Open file descriptors (gauge).
    public static let processOpenFDs = OwnMetric("process_open_fds", "Number of open file descriptors.")
    /// The file descriptor limit (gauge).
    public static let processMaxFDs = OwnMetric("process_max_fds", "Maximum number of open file descriptors.")
    /// The start time (gauge).
    public static let processStartTime = OwnMetric(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds."
    )
    /// Whether each cluster runs and lists (gauge).
    public static let clusterUp = OwnMetric(
        "crowsnest_cluster_up",
        "1 when the cluster runs and its discovery lists pods; 0 when its file is broken, it cannot start, or discovery fails."
    )
    /// Targets per cluster and state (gauge).
    public static let targets = OwnMetric(
        "crowsnest_targets",
        "Targets per cluster and state (up, down, duplicate: left out, same labels as another target)."
    )
    /// Credential expiry per cluster (gauge).
    public static let credentialExpiry = OwnMetric(
        "crowsnest_credential_expiry_timestamp_seconds",
        "When each cluster's credential expires."
    )
    /// Series held (gauge).
    public static let seriesHeld = OwnMetric("crowsnest_series_held", "Series held in target snapshots.")
    /// The adaptive concurrency limit per cluster (gauge).
    public static let scrapeConcurrencyLimit = OwnMetric(
        "crowsnest_scrape_concurrency_limit",
        "Scrapes each cluster may have out at once now (adapts to its API server, at most max_concurrent_scrapes)."
    )
    /// Due scrapes that waited for a slot (gauge).
    public static let scrapesWaiting = OwnMetric(
        "crowsnest_scrapes_waiting",
        "Due scrapes per cluster that waited for a slot at the scheduler's last look (the concurrency limit binds)."
    )
    /// Due scrapes that never ran (counter).
    public static let scrapesSkipped = OwnMetric(
        "crowsnest_scrapes_skipped_total",
        "Due scrapes per cluster that never ran: the previous scrape or the concurrency limit held them past their time."
    )

    /// Every own metric.
    public static let all: [OwnMetric] =
        [
            scrapes, scrapeDuration, kubeRequests, watchRestarts, configReloads, clusterUp, targets, credentialExpiry,
            seriesHeld, configLastReloadSuccessful, configLastReloadSuccessTimestamp, buildInfo, processCPU,
            processResidentMemory, processVirtualMemory, processOpenFDs, processMaxFDs, processStartTime,
            scrapeConcurrencyLimit, scrapesWaiting, scrapesSkipped,
        ] + remoteWrite
}
