public import Foundation

/// The result of one reload, as `POST /-/reload` answers it.
public struct ReloadOutcome: Sendable, Hashable {
    /// Whether every file was read and every cluster runs from its current file.
    public var successful: Bool
    /// What is wrong, one line each (`FILE:LINE:COL: FIELD: reason`, or a cluster that cannot start); never secrets.
    public var problems: [String]

    /// Creates an outcome.
    public init(successful: Bool, problems: [String]) {
        self.successful = successful
        self.problems = problems
    }

    /// The outcome given to requests still waiting when the gateway stops.
    static let shuttingDown = ReloadOutcome(successful: false, problems: ["the gateway is shutting down"])
}

/// The reload figures `/-/metrics` shows, as Prometheus shows its own.
public struct ReloadStatus: Sendable, Hashable {
    /// Whether the last reload succeeded (`crowsnest_config_last_reload_successful`).
    public var successful: Bool
    /// When a reload last succeeded (`crowsnest_config_last_reload_success_timestamp_seconds`), if ever.
    public var lastSuccess: Date?
}

/// Which reconciles are reloads, who waits for them, and how the last one went: a value the supervisor keeps under
/// its lock.
///
/// A reconcile is a reload when it was asked for (SIGHUP, `POST /-/reload`) or when the directory had changed; a
/// poll that found everything as it was is not one, so `crowsnest_config_reloads_total` counts real reloads. A
/// request that arrives while a reconcile runs waits for the next one (which the supervisor's buffered trigger
/// guarantees), so its answer always reflects the files as they were when it asked.
struct ReloadLedger<Waiter> {
    private var requested = false
    private var waiting: [Waiter] = []
    private(set) var status: ReloadStatus?

    /// A reload was asked for; `waiter`, if any, is answered when the next reconcile ends.
    mutating func request(_ waiter: Waiter?) {
        requested = true
        if let waiter { waiting.append(waiter) }
    }

    /// A reconcile starts: whether it was asked for, and the waiters it will answer.
    mutating func begin() -> (requested: Bool, waiters: [Waiter]) {
        defer {
            requested = false
            waiting = []
        }
        return (requested, waiting)
    }

    /// A reconcile ended. Returns whether it counts as a reload (asked for, or something changed); only then is the
    /// status updated.
    mutating func finish(requested: Bool, changed: Bool, outcome: ReloadOutcome, now: Date) -> Bool {
        guard requested || changed || status == nil else { return false }
        status = ReloadStatus(
            successful: outcome.successful,
            lastSuccess: outcome.successful ? now : status?.lastSuccess
        )
        return true
    }

    /// The gateway stops: every waiter still registered, to be answered.
    mutating func drain() -> [Waiter] {
        defer { waiting = [] }
        return waiting
    }
}
