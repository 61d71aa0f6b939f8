import Testing

@testable import CrowsnestKube

/// One discovery scope's decisions, without a server: what to request next, how long to wait, what to show.
@Suite("Discovery scope state machine")
struct DiscoveryScopeStateMachineTests {
    typealias Machine = DiscoveryScope.StateMachine

    static func machine() -> Machine {
        Machine(backoff: Backoff(initial: .milliseconds(800), maximum: .seconds(30)))
    }

    static func error(_ code: KubeClientError.Code, retryAfter: Int? = nil) -> KubeClientError {
        KubeClientError(code, cluster: "c", "cluster c failed (\(code))", retryAfterSeconds: retryAfter)
    }

    @Test("list, then watch from the list's resourceVersion; a normal close resumes from the newest one seen")
    func listThenWatch() {
        var machine = Self.machine()
        #expect(machine.next == .list(condition: .listing))
        machine.listed(resourceVersion: "10")
        #expect(machine.next == .watch(from: "10"))
        let reaction = machine.watchEnded(.closed(events: 3, duration: .seconds(300)), latest: "17")
        #expect(reaction == Machine.Reaction(wait: nil, relist: false, condition: nil))
        #expect(machine.next == .watch(from: "17"))
    }

    @Test("a watch that ends at once without events backs off; 410 relists and shows relisting")
    func emptyWatchAndExpiry() {
        var machine = Self.machine()
        machine.listed(resourceVersion: "5")
        let empty = machine.watchEnded(.closed(events: 0, duration: .milliseconds(10)), latest: nil)
        #expect(empty.wait.map { $0 >= .milliseconds(800) && $0 < .milliseconds(1200) } == true)
        #expect(machine.next == .watch(from: "5"))
        let expired = machine.watchEnded(.expired, latest: "5")
        #expect(expired.relist)
        #expect(machine.next == .list(condition: .relisting))
    }

    @Test("a scope whose list keeps failing stays failing through its retries, with growing waits")
    func listKeepsFailing() {
        var machine = Self.machine()
        let error = Self.error(.unauthorized)
        let first = machine.failed(error, latest: nil)
        #expect(first.condition == .failing(error))
        #expect(machine.next == .list(condition: nil))  // no `listing` while it retries
        let second = machine.failed(error, latest: nil)
        #expect(machine.next == .list(condition: nil))
        #expect((second.wait ?? .zero) >= .milliseconds(1600))
        #expect((first.wait ?? .zero) < .milliseconds(1200))
        machine.listed(resourceVersion: "9")
        #expect(machine.next == .watch(from: "9"))
        #expect(machine.failed(error, latest: "9").wait.map { $0 < .milliseconds(1200) } == true)  // reset by success
    }

    @Test("a failed watch with a valid resourceVersion retries the watch; Retry-After is a floor; 410 relists")
    func watchFailures() {
        var machine = Self.machine()
        machine.listed(resourceVersion: "20")
        let throttled = machine.failed(Self.error(.tooManyRequests, retryAfter: 5), latest: "23")
        #expect((throttled.wait ?? .zero) >= .seconds(5))
        #expect(machine.next == .watch(from: "23"))
        let gone = machine.failed(Self.error(.expired), latest: "23")
        #expect(gone.relist)
        #expect(machine.next == .list(condition: nil))  // failing: the relist does not show `relisting`
    }
}
