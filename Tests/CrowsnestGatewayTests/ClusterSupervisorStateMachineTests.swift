import CrowsnestCore
import CrowsnestKube
import Testing

@testable import CrowsnestGateway

/// The supervisor's reconcile as a value: scans in, stops and starts out, no file or cluster touched.
@Suite("Cluster supervisor state machine")
struct ClusterSupervisorStateMachineTests {
    typealias Machine = ClusterSupervisor.StateMachine<String>

    static func config(_ name: String, interval: Duration = .seconds(30)) -> ClusterConfig {
        ClusterConfig(name: name, apiServer: nil, scrape: ScrapeConfig(interval: interval))
    }

    static func valid(_ path: String, _ config: ClusterConfig) -> ClusterFileReport {
        ClusterFileReport(path: path, config: config, claimedName: config.name)
    }

    static func broken(_ path: String, claiming name: String, duplicate: Bool = false) -> ClusterFileReport {
        let problem = ConfigProblem(
            code: duplicate ? .duplicateName : .syntax,
            location: ConfigSourceLocation(file: path, line: 1),
            field: "name",
            reason: duplicate ? "already claimed" : "broken"
        )
        return ClusterFileReport(path: path, claimedName: name, problems: [problem])
    }

    static func scan(_ files: [ClusterFileReport]) -> ClusterDirectoryScan {
        var scan = ClusterDirectoryScan(directory: "/c")
        scan.files = files
        return scan
    }

    /// Plans, then starts everything the plan asks for (the handle is "NAME@FILE").
    static func reconcile(
        _ machine: inout Machine,
        _ files: [ClusterFileReport],
        failing: Set<String> = []
    ) -> Machine.Plan {
        var plan = machine.plan(scan(files))
        let started = plan.start.filter { !failing.contains($0.name) }.map { ($0, "\($0.name)@\($0.file)") }
        let failed = plan.start.filter { failing.contains($0.name) }.map { ($0, "cannot start \($0.name)") }
        machine.commit(started: started, failed: failed, changes: &plan.changes)
        return plan
    }

    @Test("new files start, an edited file restarts only its cluster, a deleted file stops it")
    func lifecycle() {
        var machine = Machine()
        let first = Self.reconcile(
            &machine,
            [Self.valid("/c/a.yaml", Self.config("a")), Self.valid("/c/b.yaml", Self.config("b"))]
        )
        #expect(first.start.map(\.name).sorted() == ["a", "b"] && first.stop.isEmpty)
        #expect(machine.entries.map(\.handle) == ["a@/c/a.yaml", "b@/c/b.yaml"])
        let unchanged = Self.reconcile(
            &machine,
            [Self.valid("/c/a.yaml", Self.config("a")), Self.valid("/c/b.yaml", Self.config("b"))]
        )
        #expect(unchanged.start.isEmpty && unchanged.stop.isEmpty && unchanged.changes.isEmpty)
        let edited = Self.reconcile(
            &machine,
            [
                Self.valid("/c/a.yaml", Self.config("a", interval: .seconds(5))),
                Self.valid("/c/b.yaml", Self.config("b")),
            ]
        )
        #expect(edited.stop == ["a@/c/a.yaml"] && edited.start.map(\.name) == ["a"])
        #expect(edited.changes.restarted == ["a"] && edited.changes.started.isEmpty)
        let deleted = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a", interval: .seconds(5)))])
        #expect(deleted.stop == ["b@/c/b.yaml"] && deleted.changes.stopped == ["b"])
        #expect(machine.entries.map(\.name) == ["a"])
    }

    @Test("a file that breaks keeps its last good version running; a deleted broken file stops it")
    func lastGood() {
        var machine = Machine()
        _ = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a"))])
        let broken = Self.reconcile(&machine, [Self.broken("/c/a.yaml", claiming: "a")])
        #expect(broken.stop.isEmpty && broken.start.isEmpty)
        #expect(machine.entries.first?.runningLastGoodVersion == true)
        #expect(machine.entries.first?.handle == "a@/c/a.yaml")
        let gone = Self.reconcile(&machine, [])
        #expect(gone.stop == ["a@/c/a.yaml"])
        #expect(machine.lastGood.isEmpty)
    }

    @Test("a rejected copy claiming a running name changes nothing; its row has no runtime and sorts after")
    func copiedFile() {
        var machine = Machine()
        _ = Self.reconcile(&machine, [Self.valid("/c/b.yaml", Self.config("prod"))])
        #expect(machine.owners == ["prod": "/c/b.yaml"])
        let copy = Self.reconcile(
            &machine,
            [
                Self.broken("/c/a-copy.yaml", claiming: "prod", duplicate: true),
                Self.valid("/c/b.yaml", Self.config("prod")),
            ]
        )
        #expect(copy.stop.isEmpty && copy.start.isEmpty)
        #expect(machine.entries.map(\.file) == ["/c/b.yaml", "/c/a-copy.yaml"])
        #expect(machine.entries.map(\.handle) == ["prod@/c/b.yaml", nil])
    }

    @Test("a cluster that cannot start is reported and not retried until its file changes")
    func failedStart() {
        var machine = Machine()
        let first = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a"))], failing: ["a"])
        #expect(first.changes.failed.map(\.name) == ["a"] && first.changes.started.isEmpty)
        #expect(machine.entries.first?.startError == "cannot start a")
        let again = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a"))], failing: ["a"])
        #expect(again.start.isEmpty && again.changes.isEmpty)
        let fixed = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a", interval: .seconds(5)))])
        #expect(fixed.start.map(\.name) == ["a"] && fixed.changes.started == ["a"])
        #expect(machine.entries.first?.startError == nil && machine.entries.first?.handle == "a@/c/a.yaml")
    }

    @Test("a directory that cannot be read keeps every cluster running and is recorded")
    func unreadableDirectory() {
        var machine = Machine()
        _ = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a"))])
        var scan = ClusterDirectoryScan(directory: "/c")
        scan.directoryProblems = [
            ConfigProblem(code: .io, location: ConfigSourceLocation(file: "/c"), field: "", reason: "gone")
        ]
        let plan = machine.plan(scan)
        #expect(plan.stop.isEmpty && plan.start.isEmpty)
        #expect(machine.directoryProblems.count == 1 && machine.runningHandles == ["a@/c/a.yaml"])
        _ = Self.reconcile(&machine, [Self.valid("/c/a.yaml", Self.config("a"))])
        #expect(machine.directoryProblems.isEmpty && machine.scans == 3)
    }
}
