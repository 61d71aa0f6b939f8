public import CoreMetrics
public import CrowsnestCore
public import CrowsnestKube
public import Logging
public import ServiceLifecycle
import Synchronization

/// Watches `clusters.d` and runs one ``ClusterRuntime`` per valid cluster file, all under one task group.
///
/// A new file starts its cluster, an edited file restarts only that cluster, a deleted file stops it and removes its
/// series; editor leftovers are ignored (``ClusterDirectory``). A file that stops parsing is reported and its last
/// good version keeps running; two files claiming one name are both reported and neither is used. The directory is
/// re-read every `pollInterval` and on ``reload()`` (SIGHUP, `POST /-/reload`).
public final class ClusterDirectoryService: Service, Sendable {
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
        /// Why the cluster could not start (connector error), if so.
        public var startError: String?
        /// Whether a broken file is being served by its last good version.
        public var runningLastGoodVersion: Bool
    }

    private struct Running {
        var config: ClusterConfig
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
    private let connector: any ClusterConnector
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
        connector: any ClusterConnector,
        store: SnapshotStore,
        logger: Logger,
        pollInterval: Duration = .seconds(2),
        timestamps: Bool = true,
        shard: (index: Int, count: Int) = (0, 1),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.metricsFactory = metricsFactory
        self.directory = directory
        self.connector = connector
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
            state.scans > 0 && state.running.values.allSatisfy { $0.runtime.discoveryStatus.firstAttemptDone }
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
        state.withLock { state in
            for running in state.running.values { running.signal.stop() }
        }
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
            runtime.scraper.removeAll()
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
                let metadata: Logger.Metadata = ["file": "\(path.isEmpty ? directory.path : path)", "problem": "\(problem)"]
                if problem.severity == .warning {
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

    /// Re-reads the directory and starts, restarts or stops clusters to match it.
    func reconcile() {
        let scan = directory.scan()
        logProblemChanges(scan)
        var toStop: [Running] = []
        state.withLock { state in
            state.scans += 1
            state.directoryProblems = scan.directoryProblems
            var desired: [String: (config: ClusterConfig, file: String, lastGood: Bool)] = [:]
            var entries: [ClusterEntry] = []
            var claimedNames = Set(scan.files.compactMap(\.claimedName))
            for report in scan.files {
                if let config = report.config {
                    state.lastGood[report.path] = config
                    desired[config.name] = (config, report.path, false)
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
                        desired[good.name] = (good, report.path, true)
                        entry.name = good.name
                        entry.runningLastGoodVersion = true
                        claimedNames.insert(good.name)
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
                logger.info("stopping cluster", metadata: ["cluster": "\(name)"])
            }
            for (name, wanted) in desired where state.running[name] == nil {
                do {
                    let connection = try connector.connect(wanted.config, logger: logger)
                    let runtime = try ClusterRuntime(
                        config: wanted.config,
                        connection: connection,
                        store: store,
                        timestamps: timestamps,
                        shard: shard,
                        metricsFactory: metricsFactory
                    )
                    let signal = StopSignal()
                    state.running[name] = Running(config: wanted.config, runtime: runtime, signal: signal)
                    state.pendingStarts.append((name, runtime, signal))
                    logger.info("starting cluster", metadata: ["cluster": "\(name)"])
                } catch {
                    let message = "\(error)"
                    logger.warning("cluster cannot start", metadata: ["cluster": "\(name)", "error": "\(message)"])
                    if let index = entries.firstIndex(where: { $0.name == name }) { entries[index].startError = message }
                }
            }
            for index in entries.indices { entries[index].runtime = state.running[entries[index].name]?.runtime }
            state.entries = entries.sorted { $0.name < $1.name }
        }
        Counter(
            label: "crowsnest_config_reloads_total",
            dimensions: [("result", scan.hasErrors ? "failure" : "success")],
            factory: metricsFactory
        ).increment()
        for running in toStop {
            running.signal.stop()
            running.runtime.scraper.removeAll()
        }
    }

    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.split(separator: ".").first.map(String.init) ?? file
    }
}
