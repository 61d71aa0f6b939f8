/// One list+watch scope of a cluster's discovery (a namespace, or all of them).
enum DiscoveryScope {}

extension DiscoveryScope {
    /// What one scope does next, as a value: list or watch, what condition to show, how long to wait after a failure
    /// or an empty watch, and when to relist. `ClusterDiscovery` runs the requests and feeds the results back; tests
    /// drive it directly.
    ///
    /// The rules (client-go's reflector): list, then watch from the list's resourceVersion; a watch that ends
    /// normally resumes from the last resourceVersion seen; one that ends at once without events is an error
    /// (backoff); 410 Gone relists; a failure backs off (at least the server's `Retry-After`). A scope whose list
    /// keeps failing stays `failing` through its retries: it does not show `listing` for the length of each attempt.
    struct StateMachine: Sendable {
        /// The next request.
        enum Step: Sendable, Equatable {
            /// List the scope; show `condition` while listing (nil: keep showing `failing`).
            case list(condition: DiscoveryState.Condition?)
            /// Watch from this resourceVersion.
            case watch(from: String)
        }

        /// How a watch ended without an error.
        enum WatchEnd: Sendable, Equatable {
            /// The server closed the stream after `events` events and `duration`.
            case closed(events: Int, duration: Duration)
            /// 410 Gone (the resourceVersion expired).
            case expired

            /// The `reason` label of `crowsnest_watch_restarts_total`.
            var restartReason: String {
                switch self {
                case .closed: "closed"
                case .expired: "expired"
                }
            }
        }

        /// What to do after a watch or a failure.
        struct Reaction: Sendable, Equatable {
            /// Wait this long first (nil: go on at once).
            var wait: Duration?
            /// Whether this is a relist (counted as one).
            var relist: Bool
            /// The condition to show now (nil: unchanged).
            var condition: DiscoveryState.Condition?
        }

        private(set) var resourceVersion: String?
        private(set) var relisting = false
        private(set) var failing = false
        private(set) var backoff: Backoff

        init(backoff: Backoff) {
            self.backoff = backoff
        }

        /// The next request.
        var next: Step {
            if let resourceVersion { return .watch(from: resourceVersion) }
            return .list(condition: failing ? nil : (relisting ? .relisting : .listing))
        }

        /// A list arrived whole at `resourceVersion`.
        mutating func listed(resourceVersion: String) {
            self.resourceVersion = resourceVersion
            relisting = false
            failing = false
            backoff.reset()
        }

        /// A watch ended; `latest` is the newest resourceVersion its events carried.
        mutating func watchEnded(_ end: WatchEnd, latest: String?) -> Reaction {
            switch end {
            case .expired:
                resourceVersion = nil
                relisting = true
                return Reaction(wait: nil, relist: true, condition: nil)
            case .closed(let events, let duration):
                resourceVersion = latest ?? resourceVersion
                if events == 0 && duration < .seconds(1) {
                    // client-go: a watch that ends at once without events is an error.
                    return Reaction(wait: backoff.nextWait(), relist: false, condition: nil)
                }
                backoff.reset()
                return Reaction(wait: nil, relist: false, condition: nil)
            }
        }

        /// A list or watch failed; `latest` is the newest resourceVersion seen. A watch that fails with a
        /// resourceVersion still valid is retried as a watch; an expired one, or a failed list, lists again.
        mutating func failed(_ error: KubeClientError, latest: String?) -> Reaction {
            var relist = false
            if error.code == .expired {
                resourceVersion = nil
                relisting = true
                relist = true
            }
            resourceVersion = resourceVersion.flatMap { _ in latest }
            failing = resourceVersion == nil
            let minimum = Duration.seconds(error.retryAfterSeconds ?? 0)
            return Reaction(wait: backoff.nextWait(atLeast: minimum), relist: relist, condition: .failing(error))
        }
    }
}
