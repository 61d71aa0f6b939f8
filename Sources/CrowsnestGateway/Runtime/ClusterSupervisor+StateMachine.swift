import CrowsnestCore
import CrowsnestKube

extension ClusterSupervisor {
    /// The supervisor's bookkeeping as a value: which cluster runs from which file, the last good version of each
    /// file, what the pages list, and for each scan of `clusters.d` what to stop and what to start.
    ///
    /// Generic over what a running cluster is (`Handle`): the supervisor keeps a runtime and its stop signal there;
    /// tests keep anything. A reconcile is `plan` (under the lock), the I/O of starting clusters (outside it), then
    /// `commit` (under it again).
    struct StateMachine<Handle: Sendable>: Sendable {
        /// A running cluster.
        struct Running: Sendable {
            var config: ClusterConfig
            var file: String
            var handle: Handle
        }

        /// A cluster to start.
        struct Start: Sendable {
            var name: String
            var config: ClusterConfig
            var file: String
        }

        /// One row of the pages: a cluster or a broken file.
        struct Entry: Sendable {
            var name: String
            var file: String
            var problems: [ConfigProblem]
            var handle: Handle?
            var startError: String?
            var runningLastGoodVersion: Bool
        }

        /// What one reconcile changed, for the log.
        struct Changes: Sendable {
            var started: [String] = []
            var restarted: [String] = []
            var stopped: [String] = []
            var failed: [(name: String, error: String)] = []

            var isEmpty: Bool { started.isEmpty && restarted.isEmpty && stopped.isEmpty && failed.isEmpty }
        }

        /// What a scan asks for.
        struct Plan: Sendable {
            /// Clusters to stop (gone, or their configuration changed).
            var stop: [Handle] = []
            /// Clusters to start.
            var start: [Start] = []
            var changes = Changes()
        }

        private(set) var running: [String: Running] = [:]
        /// File path → its last valid configuration (a broken file keeps running it).
        private(set) var lastGood: [String: ClusterConfig] = [:]
        /// Clusters whose start failed, with the configuration that failed: not retried until it changes.
        private(set) var failedStarts: [String: (config: ClusterConfig, error: String)] = [:]
        private(set) var entries: [Entry] = []
        private(set) var directoryProblems: [ConfigProblem] = []
        private(set) var scans = 0

        /// The file each running cluster was started from: the owner of its name when another file claims it.
        var owners: [String: String] { running.mapValues(\.file) }

        /// Takes a scan of the directory. A directory that cannot be read changes nothing (running clusters keep
        /// running) but is recorded for the pages.
        mutating func plan(_ scan: ClusterDirectoryScan) -> Plan {
            scans += 1
            directoryProblems = scan.directoryProblems
            guard scan.directoryProblems.isEmpty else { return Plan() }
            var plan = Plan()
            var desired: [String: (config: ClusterConfig, file: String)] = [:]
            var newEntries: [Entry] = []
            for report in scan.files {
                if let config = report.config {
                    lastGood[report.path] = config
                    desired[config.name] = (config, report.path)
                    newEntries.append(
                        Entry(
                            name: config.name,
                            file: report.path,
                            problems: report.problems,
                            runningLastGoodVersion: false
                        )
                    )
                    continue
                }
                var entry = Entry(
                    name: report.claimedName ?? ClusterSupervisor.baseName(report.path),
                    file: report.path,
                    problems: report.problems,
                    runningLastGoodVersion: false
                )
                let duplicate = report.problems.contains { $0.code == .duplicateName }
                if !duplicate, let good = lastGood[report.path], desired[good.name] == nil {
                    desired[good.name] = (good, report.path)
                    entry.name = good.name
                    entry.runningLastGoodVersion = true
                }
                newEntries.append(entry)
            }
            // Forget the last good versions of deleted files, and failed starts no longer wanted as they were.
            let paths = Set(scan.files.map(\.path))
            lastGood = lastGood.filter { paths.contains($0.key) }
            failedStarts = failedStarts.filter { desired[$0.key]?.config == $0.value.config }

            for (name, cluster) in running where desired[name]?.config != cluster.config {
                plan.stop.append(cluster.handle)
                running[name] = nil
                if desired[name] == nil {
                    plan.changes.stopped.append(name)
                } else {
                    plan.changes.restarted.append(name)
                }
            }
            for (name, wanted) in desired where running[name] == nil && failedStarts[name] == nil {
                plan.start.append(Start(name: name, config: wanted.config, file: wanted.file))
                if !plan.changes.restarted.contains(name) { plan.changes.started.append(name) }
            }
            entries = newEntries
            attachHandles()
            return plan
        }

        /// Records what the starts of a plan gave: handles for those that started, errors for those that did not.
        mutating func commit(started: [(Start, Handle)], failed: [(Start, String)], changes: inout Changes) {
            for (start, handle) in started {
                running[start.name] = Running(config: start.config, file: start.file, handle: handle)
            }
            for (start, error) in failed {
                failedStarts[start.name] = (start.config, error)
                changes.failed.append((start.name, error))
                changes.started.removeAll { $0 == start.name }
                changes.restarted.removeAll { $0 == start.name }
            }
            attachHandles()
        }

        /// Every running cluster's handle (to stop them all at shutdown).
        var runningHandles: [Handle] { running.values.map(\.handle) }

        /// Gives each entry the handle of the cluster started from its file and any start error, and orders the
        /// entries by name, a running one before a file rejected for claiming its name.
        private mutating func attachHandles() {
            for index in entries.indices {
                let entry = entries[index]
                let cluster = running[entry.name]
                entries[index].handle = cluster?.file == entry.file ? cluster?.handle : nil
                entries[index].startError = failedStarts[entry.name]?.error
            }
            entries.sort { ($0.name, $0.handle == nil ? 1 : 0) < ($1.name, $1.handle == nil ? 1 : 0) }
        }
    }
}
