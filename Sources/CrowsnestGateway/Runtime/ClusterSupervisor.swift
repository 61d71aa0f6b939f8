public import AsyncHTTPClient
public import CoreMetrics
public import CrowsnestCore
public import CrowsnestKube
public import Logging
public import ServiceLifecycle
import Synchronization

/// Supervises the clusters: watches `clusters.d` and runs one ``ClusterRuntime`` per valid cluster file, all under
/// one task group.
///
/// A new file starts its cluster, an edited file restarts only that cluster, a deleted file stops it and removes its
/// series; editor leftovers are ignored (``ClusterDirectory``). A file that stops parsing is reported and its last
/// good version keeps running; two files claiming one name are both reported and neither is used. The directory is
/// re-read every `pollInterval` and on ``reload()`` (SIGHUP, `POST /-/reload`).
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

    private struct Running {
        var config: ClusterConfig
        var file: String
        var runtime: ClusterRuntime
        var signal: StopSignal
    }

    private struct State {
        var running: [String: Running] = [:]
        var lastGood: [String: ClusterConfig] = [:]  // file path → last valid config
        var entries: [ClusterEntry] = []
        var directoryProblems: [ConfigProblem] = []
        var scans = 0
        var pendingStarts: [(String, ClusterRuntime, StopSignal)] = []
        /// The problems last logged, per file (and "" for the directory), so each is logged once, not every scan.
        var loggedProblems: [String: [ConfigProblem]] = [:]
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
    private let state = Mutex(State())
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
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.metricsFactory = metricsFactory
        self.directory = directory
        self.httpClient = httpClient
        self.discoveryOptions = discoveryOptions
        self.store = store
        self.logger = logger
        self.pollInterval = pollInterval
        self.timestamps = timestamps
        self.shard = shard
        (reloadRequests, reloadContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for an immediate re-read of the directory.
    public func reload() { reloadContinuation.yield() }

    /// The clusters and broken files, by name.
    public var entries: [ClusterEntry] { state.withLock { $0.entries } }

    /// Problems with the directory itself.
    public var directoryProblems: [ConfigProblem] { state.withLock { $0.directoryProblems } }

    /// Whether the directory was read and every running cluster finished its first discovery attempt.
    public var isReady: Bool {
        state.withLock { state in
            state.scans > 0 && state.running.values.allSatisfy { $0.runtime.firstDiscoveryAttemptDone }
        }
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
        let stopped = state.withLock { state in
            for running in state.running.values { running.signal.stop() }
            return state.running.count
        }
        logger.info("shutting down: stopped every cluster", metadata: ["crowsnest.clusters": "\(stopped)"])
    }

    private func startPending(in group: inout DiscardingTaskGroup) {
        for (name, runtime, signal) in takePending() { Self.start(name, runtime, signal, in: &group) }
    }

    private func takePending() -> [(String, ClusterRuntime, StopSignal)] {
        state.withLock { state in
            defer { state.pendingStarts = [] }
            return state.pendingStarts
        }
    }

    private static func start(_ name: String, _ runtime: ClusterRuntime, _ signal: StopSignal, in group: inout DiscardingTaskGroup) {
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
    private func logProblemChanges(_ scan: ClusterDirectoryScan) {
        var current: [String: [ConfigProblem]] = ["": scan.directoryProblems]
        for report in scan.files { current[report.path] = report.problems }
        let logged = state.withLock { state in
            defer { state.loggedProblems = current }
            return state.loggedProblems
        }
        for (path, problems) in current where logged[path] != problems {
            for problem in problems {
                let metadata: Logger.Metadata = ["file": "\(path.isEmpty ? directory.path : path)", "problem": "\(problem.summary)"]
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
    }

    /// What one reconcile decided, for the log.
    private struct ReconcileChanges {
        var started: [String] = []
        var restarted: [String] = []
        var stopped: [String] = []
        var failed: [(name: String, error: String)] = []

        var isEmpty: Bool { started.isEmpty && restarted.isEmpty && stopped.isEmpty && failed.isEmpty }
    }

    /// Re-reads the directory and starts, restarts or stops clusters to match it.
    ///
    /// Three steps, so that no cluster is connected (credentials loaded, files read) and nothing is logged while
    /// the state lock is held: plan under the lock, connect outside it, commit under it. Reconciles run one at a time
    /// (the service's loop). A directory that cannot be read changes nothing: running clusters keep running.
    func reconcile() {
        let owners = state.withLock { state in state.running.mapValues(\.file) }
        let scan = directory.scan(owners: owners)
        logProblemChanges(scan)
        Counter(
            label: "crowsnest_config_reloads_total",
            dimensions: [("result", scan.hasErrors ? "failure" : "success")],
            factory: metricsFactory
        ).increment()
        guard scan.directoryProblems.isEmpty else {
            state.withLock { state in
                state.scans += 1
                state.directoryProblems = scan.directoryProblems
            }
            return
        }

        // 1. Plan.
        var toStop: [Running] = []
        var toStart: [(name: String, config: ClusterConfig, file: String)] = []
        var changes = ReconcileChanges()
        state.withLock { state in
            state.scans += 1
            state.directoryProblems = []
            var desired: [String: (config: ClusterConfig, file: String)] = [:]
            var entries: [ClusterEntry] = []
            for report in scan.files {
                if let config = report.config {
                    state.lastGood[report.path] = config
                    desired[config.name] = (config, report.path)
                    entries.append(ClusterEntry(name: config.name, file: report.path, problems: report.problems, runtime: nil, runningLastGoodVersion: false))
                } else {
                    let duplicate = report.problems.contains { $0.code == .duplicateName }
                    var entry = ClusterEntry(
                        name: report.claimedName ?? Self.baseName(report.path),
                        file: report.path,
                        problems: report.problems,
                        runtime: nil,
                        runningLastGoodVersion: false
                    )
                    if !duplicate, let good = state.lastGood[report.path], desired[good.name] == nil {
                        desired[good.name] = (good, report.path)
                        entry.name = good.name
                        entry.runningLastGoodVersion = true
                    }
                    entries.append(entry)
                }
            }
            // Forget last-good versions of deleted files.
            let paths = Set(scan.files.map(\.path))
            state.lastGood = state.lastGood.filter { paths.contains($0.key) }

            for (name, running) in state.running where desired[name]?.config != running.config {
                toStop.append(running)
                state.running[name] = nil
                if desired[name] == nil { changes.stopped.append(name) } else { changes.restarted.append(name) }
            }
            for (name, wanted) in desired where state.running[name] == nil {
                toStart.append((name, wanted.config, wanted.file))
                if !changes.restarted.contains(name) { changes.started.append(name) }
            }
            state.entries = entries
            Self.attachRuntimes(&state)
        }
        for running in toStop {
            running.signal.stop()
            running.runtime.removeAll()
        }

        // 2. Connect, outside the lock.
        var started: [(name: String, running: Running)] = []
        for wanted in toStart {
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
                started.append((wanted.name, Running(config: wanted.config, file: wanted.file, runtime: runtime, signal: StopSignal())))
            } catch {
                changes.failed.append((wanted.name, "\(error)"))
                changes.started.removeAll { $0 == wanted.name }
                changes.restarted.removeAll { $0 == wanted.name }
            }
        }

        // 3. Commit.
        state.withLock { state in
            for (name, running) in started {
                state.running[name] = running
                state.pendingStarts.append((name, running.runtime, running.signal))
            }
            for index in state.entries.indices {
                if let failure = changes.failed.first(where: { $0.name == state.entries[index].name }) {
                    state.entries[index].startError = failure.error
                }
            }
            Self.attachRuntimes(&state)
        }
        logChanges(changes)
    }

    /// Gives each entry the runtime started from its file, and orders the entries by name, a running one before a
    /// file rejected for claiming its name.
    private static func attachRuntimes(_ state: inout State) {
        for index in state.entries.indices {
            let entry = state.entries[index]
            let running = state.running[entry.name]
            state.entries[index].runtime = running?.file == entry.file ? running?.runtime : nil
        }
        state.entries.sort { ($0.name, $0.runtime == nil ? 1 : 0) < ($1.name, $1.runtime == nil ? 1 : 0) }
    }

    /// One line per reconcile that changed something (and per cluster that could not start), at info; nothing when
    /// a poll found the directory as it was.
    private func logChanges(_ changes: ReconcileChanges) {
        for failure in changes.failed {
            logger.warning("cluster cannot start", metadata: ["cluster": "\(failure.name)", "error": "\(failure.error)"])
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
