import Foundation
import Testing

@testable import CrowsnestGateway

/// Which reconciles count as reloads, and which waiters each answers.
@Suite("ReloadLedger")
struct ReloadLedgerTests {
    static let ok = ReloadOutcome(successful: true, problems: [])
    static let failed = ReloadOutcome(successful: false, problems: ["a.yaml:1:1: x: bad"])

    @Test("the first reconcile counts; unchanged polls do not; a changed directory and a request do")
    func counting() {
        var ledger = ReloadLedger<Int>()
        #expect(ledger.status == nil)
        var reconcile = ledger.begin()
        #expect(!reconcile.requested && reconcile.waiters.isEmpty)
        let counted1 = ledger.finish(
            requested: false,
            changed: false,
            outcome: Self.ok,
            now: Date(timeIntervalSince1970: 10)
        )
        #expect(counted1)
        #expect(ledger.status == ReloadStatus(successful: true, lastSuccess: Date(timeIntervalSince1970: 10)))

        reconcile = ledger.begin()
        let counted2 = ledger.finish(requested: false, changed: false, outcome: Self.failed, now: Date())
        #expect(!counted2)
        #expect(ledger.status?.successful == true, "an unchanged poll leaves the status alone")

        let changed = ledger.finish(
            requested: false,
            changed: true,
            outcome: Self.failed,
            now: Date(timeIntervalSince1970: 20)
        )
        #expect(changed)
        #expect(ledger.status == ReloadStatus(successful: false, lastSuccess: Date(timeIntervalSince1970: 10)))

        ledger.request(nil)
        reconcile = ledger.begin()
        #expect(reconcile.requested)
        let counted3 = ledger.finish(
            requested: true,
            changed: false,
            outcome: Self.ok,
            now: Date(timeIntervalSince1970: 30)
        )
        #expect(counted3)
        #expect(ledger.status == ReloadStatus(successful: true, lastSuccess: Date(timeIntervalSince1970: 30)))
        let following = ledger.begin()
        #expect(!following.requested, "a request is taken by one reconcile")
    }

    @Test("waiters registered before a reconcile begins are answered by it; later ones wait for the next")
    func waiters() {
        var ledger = ReloadLedger<String>()
        ledger.request("first")
        ledger.request("second")
        let running = ledger.begin()
        #expect(running.waiters == ["first", "second"])
        ledger.request("during")  // arrives while the reconcile runs
        _ = ledger.finish(requested: running.requested, changed: false, outcome: Self.ok, now: Date())
        let next = ledger.begin()
        #expect(next.requested && next.waiters == ["during"])
        ledger.request("at shutdown")
        let drained = ledger.drain()
        #expect(drained == ["at shutdown"])
        let empty = ledger.begin()
        #expect(empty.waiters.isEmpty)
    }
}
