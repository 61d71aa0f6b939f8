public import AsyncHTTPClient
public import CoreMetrics
public import CrowsnestCore
public import CrowsnestKube
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Supervises the clusters: watches `clusters.d` and runs one ``ClusterRuntime`` per valid cluster file, all under
/// one task group.
///
/// A new file starts its cluster, an edited file restarts only that cluster, a deleted file stops it and removes its
/// series; editor leftovers are ignored (``ClusterDirectory``). A file that stops parsing is reported and its last
/// good version keeps running; of two files claiming one name, the running one keeps it. A cluster that cannot start
/// is not retried until its file changes. The directory is re-read every `pollInterval` and on ``reload()`` (SIGHUP,
/// `POST /-/reload`).
public final class ClusterSupervisor: Service, Sendable {
    /// What the health pages show about one cluster's configuration and runtime.
    public struct ClusterEntry: Sendable {
        /// The cluster name (or the file name when the file does not parse).
        public var name: String
        /// The file.
        public var file: String
        /// Problems in the file (empty when valid).
        public var problems: [ConfigProblem]
        /// The runtime, when the cluster runs.
        public var runtime: ClusterRuntime?
        /// Why the cluster could not start, if so.
        public var startError: String?
        /// Whether a broken file is being served by its last good version.
        public var runningLastGoodVersion: Bool
    }

    /// A running cluster: its runtime and what stops it.
    struct RunningCluster: Sendable {
        var runtime: ClusterRuntime
        var signal: StopSignal
    }

    private struct State {
        var machine = StateMachine<RunningCluster>()
        var pendingStarts: [(String, RunningCluster)] = []
        /// The problems last logged, per file (and "" for the directory), so each is logged once, not every scan.
        var loggedProblems: [String: [ConfigProblem]] = [:]
        /// Reload requests, their waiters and the last reload's result.
        var reloads = ReloadLedger<CheckedContinuation<ReloadOutcome, Never>>()
        /// The global configuration in force (re-read from `globalConfigFile` on each requested reload).
        var globalConfig: GlobalConfig
        /// Problems of the last reading of `globalConfigFile` (its last good version stays in force).
        var globalConfigProblems: [ConfigProblem] = []
    }

    private let directory: ClusterDirectory
    private let httpClient: HTTPClient
    private let discoveryOptions: DiscoveryOptions
    private let store: SnapshotStore
    private let logger: Logger
    private let pollInterval: Duration
    private let timestamps: Bool
    private let shard: (index: Int, count: Int)
    private let metricsFactory: any MetricsFactory
    private let globalConfigFile: String?
    private let state: Mutex<State>
    private let reloadRequests: AsyncStream<Void>
    private let reloadContinuation: AsyncStream<Void>.Continuation

    /// Creates the service.
    public init(
        directory: ClusterDirectory,
        httpClient: HTTPClient,
        discoveryOptions: DiscoveryOptions = DiscoveryOptions(),
        store: SnapshotStore,
        logger: Logger,
        pollInterval: Duration = .seconds(2),
        timestamps: Bool = true,
        shard: (index: Int, count: Int) = (0, 1),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        globalConfigFile: String? = nil
    ) {
        self.metricsFactory = metricsFactory
        self.globalConfigFile = globalConfigFile
        self.state = Mutex(State(globalConfig: directory.globalConfig))
        self.directory = directory
        self.httpClient = httpClient
        self.discoveryOptions = discoveryOptions
        self.store = store
        self.logger = logger
        self.pollInterval = pollInterval
        self.timestamps = timestamps
        self.shard = shard
        (reloadRequests, reloadContinuation) = AsyncStream.makeStream(
            of: Void.self,
            bufferingPolicy: .bufferingNewest(1)
        )
    }

    /// Asks for an immediate re-read of the directory (and of `crowsnest.yaml`); counted as a reload.
    public func reload() {
        state.withLock { $0.reloads.request(nil) }
        reloadContinuation.yield()
    }

    /// Re-reads the directory (and `crowsnest.yaml`) and returns once that reload is done, with its outcome. A request
    /// made while a reload runs waits for the next one, so the answer covers the files as they were when it asked.
    public func reloadAndWait() async -> ReloadOutcome {
        await withCheckedContinuation { continuation in
            state.withLock { $0.reloads.request(continuation) }
            reloadContinuation.yield()
        }
    }

    /// How the last reload went; nil before the first.
    public var reloadStatus: ReloadStatus? { state.withLock { $0.reloads.status } }

    /// The clusters and broken files, by name.
    public var entries: [ClusterEntry] {
        state.withLock { state in
            state.machine.entries.map { entry in
                ClusterEntry(
                    name: entry.name,
                    file: entry.file,
                    problems: entry.problems,
                    runtime: entry.handle?.runtime,
                    startError: entry.startError,
                    runningLastGoodVersion: entry.runningLastGoodVersion
                )
            }
        }
    }

    /// Problems with the directory itself.
    public var directoryProblems: [ConfigProblem] { state.withLock { $0.machine.directoryProblems } }

    /// Whether the directory was read and every running cluster finished its first discovery attempt.
    public var isReady: Bool {
        let (scanned, runtimes) = state.withLock { ($0.machine.scans > 0, $0.machine.runningHandles.map(\.runtime)) }
        return scanned && runtimes.allSatisfy(\.firstDiscoveryAttemptDone)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: self.pollInterval) } catch { return }
                    self.reloadContinuation.yield()
                }
            }
            reconcile()
            startPending(in: &group)
            for await _ in reloadRequests.cancelOnGracefulShutdown() {
                reconcile()
                startPending(in: &group)
            }
            group.cancelAll()
        }
        for waiter in state.withLock({ $0.reloads.drain() }) { waiter.resume(returning: .shuttingDown) }
        let running = state.withLock { $0.machine.runningHandles }
        for cluster in running { cluster.signal.stop() }
        let stopped = running.count
        logger.info("shutting down: stopped every cluster", metadata: ["crowsnest.clusters": "\(stopped)"])
    }

    private func startPending(in group: inout DiscardingTaskGroup) {
        for (name, cluster) in takePending() { Self.start(name, cluster.runtime, cluster.signal, in: &group) }
    }

    private func takePending() -> [(String, RunningCluster)] {
        state.withLock { state in
            defer { state.pendingStarts = [] }
            return state.pendingStarts
        }
    }

    private static func start(
        _ name: String,
        _ runtime: ClusterRuntime,
        _ signal: StopSignal,
        in group: inout DiscardingTaskGroup
    ) {
        group.addTask {
            await withTaskGroup(of: Void.self) { cluster in
                cluster.addTask { await runtime.run() }
                cluster.addTask { await signal.wait() }
                await cluster.next()
                cluster.cancelAll()
            }
            runtime.removeAll()
        }
    }

    /// Logs the problems of files (and of the directory) whose problems changed since the last scan: a broken file is
    /// reported once when it breaks, and again only when it changes. Messages never hold secrets (the loader redacts).
    @discardableResult
    private func logProblemChanges(_ scan: ClusterDirectoryScan) -> Bool {
        var current: [String: [ConfigProblem]] = ["": scan.directoryProblems]
        for report in scan.files { current[report.path] = report.problems }
        let logged = state.withLock { state in
            defer { state.loggedProblems = current }
            return state.loggedProblems
        }
        for (path, problems) in current where logged[path] != problems {
            for problem in problems {
                let metadata: Logger.Metadata = [
                    "file": "\(path.isEmpty ? directory.path : path)", "problem": "\(problem.summary)",
                ]
                if path.isEmpty {
                    logger.warning(
                        "the cluster directory cannot be read; running clusters keep running, and it is read again until it appears",
                        metadata: metadata
                    )
                } else if problem.severity == .warning {
                    logger.warning("cluster file warning", metadata: metadata)
                } else {
                    logger.error("cluster file problem; the file is not used as it is", metadata: metadata)
                }
            }
            if problems.isEmpty, logged[path]?.isEmpty == false {
                logger.info("cluster file problems resolved", metadata: ["file": "\(path)"])
            }
        }
        return logged != current
    }

    /// Re-reads the directory and starts, restarts or stops clusters to match it.
    ///
    /// Three steps, so that no cluster is built (credentials loaded, files read) and nothing is logged while the
    /// state lock is held: ``StateMachine/plan(_:)`` under the lock, start the clusters outside it,
    /// ``StateMachine/commit(started:failed:changes:)`` under it. Reconciles run one at a time (the service's loop).
    func reconcile() {
        let (owners, reload) = state.withLock { ($0.machine.owners, $0.reloads.begin()) }
        var directory = directory
        directory.globalConfig = reload.requested ? rereadGlobalConfig() : state.withLock { $0.globalConfig }
        let scan = directory.scan(owners: owners)
        let problemsChanged = logProblemChanges(scan)

        var plan = state.withLock { $0.machine.plan(scan) }
        for cluster in plan.stop {
            cluster.signal.stop()
            cluster.runtime.removeAll()
        }
        var started: [(StateMachine<RunningCluster>.Start, RunningCluster)] = []
        var failed: [(StateMachine<RunningCluster>.Start, String)] = []
        for wanted in plan.start {
            do {
                let runtime = try ClusterRuntime(
                    config: wanted.config,
                    httpClient: httpClient,
                    discoveryOptions: discoveryOptions,
                    store: store,
                    timestamps: timestamps,
                    shard: shard,
                    metricsFactory: metricsFactory,
                    logger: logger
                )
                started.append((wanted, RunningCluster(runtime: runtime, signal: StopSignal())))
            } catch {
                failed.append((wanted, "\(error)"))
            }
        }
        let (outcome, counted) = state.withLock { state in
            state.machine.commit(started: started, failed: failed, changes: &plan.changes)
            state.pendingStarts += started.map { ($0.0.name, $0.1) }
            let outcome = Self.outcome(of: state)
            let changed = problemsChanged || !plan.changes.isEmpty
            let counted = state.reloads.finish(
                requested: reload.requested,
                changed: changed,
                outcome: outcome,
                now: Date()
            )
            return (outcome, counted)
        }
        logChanges(plan.changes)
        if counted {
            Counter(
                label: OwnMetric.configReloads.name,
                dimensions: [("result", outcome.successful ? "success" : "failure")],
                factory: metricsFactory
            ).increment()
        }
        for waiter in reload.waiters { waiter.resume(returning: outcome) }
    }

    /// The current state as a reload's outcome: every error of `crowsnest.yaml`, the directory and the files, and
    /// every cluster that cannot start.
    private static func outcome(of state: State) -> ReloadOutcome {
        var problems = (state.globalConfigProblems + state.machine.directoryProblems).filter(\.isError)
            .map(\.description)
        for entry in state.machine.entries {
            problems += entry.problems.filter(\.isError).map(\.description)
            if let error = entry.startError {
                problems.append("\(entry.file): cluster \(entry.name) cannot start: \(error)")
            }
        }
        return ReloadOutcome(successful: problems.isEmpty, problems: problems)
    }

    /// Re-reads `crowsnest.yaml` (when the gateway has one): its new version when valid, else the version in force,
    /// with the problems kept for the reload's outcome and logged.
    private func rereadGlobalConfig() -> GlobalConfig {
        guard let globalConfigFile else { return state.withLock { $0.globalConfig } }
        let report = GlobalConfigFile.load(
            path: globalConfigFile,
            fileSystem: directory.fileSystem,
            validateReferencedFiles: true
        )
        let errors = report.problems.filter(\.isError)
        let (previous, current) = state.withLock { state in
            let previous = state.globalConfig
            state.globalConfigProblems = errors
            if errors.isEmpty, let config = report.config { state.globalConfig = config }
            return (previous, state.globalConfig)
        }
        for problem in errors {
            logger.error(
                "crowsnest.yaml problem; its last good version stays in force",
                metadata: ["file": "\(globalConfigFile)", "problem": "\(problem.summary)"]
            )
        }
        if current.listen != previous.listen || current.web != previous.web || current.timestamps != previous.timestamps
        {
            logger.warning(
                "crowsnest.yaml: listen, web and timestamps take effect at the next start; scrape defaults apply now",
                metadata: ["file": "\(globalConfigFile)"]
            )
        }
        return current
    }

    /// One line per reconcile that changed something (and per cluster that could not start), at info; nothing when
    /// a poll found the directory as it was.
    private func logChanges(_ changes: StateMachine<RunningCluster>.Changes) {
        for failure in changes.failed {
            logger.warning(
                "cluster cannot start",
                metadata: ["cluster": "\(failure.name)", "error": "\(failure.error)"]
            )
        }
        guard !changes.isEmpty else { return }
        func list(_ names: [String]) -> Logger.MetadataValue { .string(names.sorted().joined(separator: ",")) }
        var metadata: Logger.Metadata = [:]
        if !changes.started.isEmpty { metadata["crowsnest.started"] = list(changes.started) }
        if !changes.restarted.isEmpty { metadata["crowsnest.restarted"] = list(changes.restarted) }
        if !changes.stopped.isEmpty { metadata["crowsnest.stopped"] = list(changes.stopped) }
        if !changes.failed.isEmpty { metadata["crowsnest.failed"] = list(changes.failed.map(\.name)) }
        logger.info("cluster directory reloaded", metadata: metadata)
    }

    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.split(separator: ".").first.map(String.init) ?? file
    }
}
