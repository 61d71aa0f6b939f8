import Foundation
import Testing

// Edge cases of running exec credential plugins (ChildProcess on swift-subprocess): output bounds, a grandchild
// holding the pipe, the group kill at the timeout, cancellation, and start-up errors.
@testable import CrowsnestKube

@Suite("Child processes (exec plugins)")
struct ChildProcessTests {
    func script(_ body: String, shebang: Bool = true) throws -> String {
        let path = NSTemporaryDirectory() + "/child-process-\(UUID().uuidString).sh"
        try ((shebang ? "#!/bin/sh\n" : "") + body).write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test func basics() async throws {
        let p = try script("echo \"$1 $FOO\"; echo err >&2; exit 3")
        let o = try await ChildProcess.run(
            executable: p,
            arguments: ["a1"],
            environment: ["FOO": "bar", "PATH": "/usr/bin:/bin"],
            timeout: .seconds(5)
        )
        #expect(o.status == 3)
        #expect(String(decoding: o.stdout, as: UTF8.self) == "a1 bar\n")
        #expect(String(decoding: o.stderr, as: UTF8.self) == "err\n")
    }

    @Test func stdinIsDevNull() async throws {
        let p = try script("cat; echo done")
        let o = try await ChildProcess.run(
            executable: p,
            arguments: [],
            environment: ["PATH": "/usr/bin:/bin"],
            timeout: .seconds(5)
        )
        #expect(o.status == 0)
        #expect(String(decoding: o.stdout, as: UTF8.self) == "done\n")
    }

    @Test func bigOutputsTruncatedNotFailing() async throws {
        let p = try script("head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2; exit 0")
        let o = try await ChildProcess.run(
            executable: p,
            arguments: [],
            environment: ["PATH": "/usr/bin:/bin"],
            timeout: .seconds(10)
        )
        #expect(o.status == 0)
        #expect(o.stdout.count == 1 << 20)
        #expect(o.stderr.count == 64 << 10)
    }

    @Test func grandchildHoldingPipeDoesNotBlock() async throws {
        let marker = NSTemporaryDirectory() + "/child-process-gc-\(UUID().uuidString)"
        let p = try script("(sleep 30; touch \(marker)) & echo out; exit 0")
        let started = ContinuousClock.now
        let o = try await ChildProcess.run(
            executable: p,
            arguments: [],
            environment: ["PATH": "/usr/bin:/bin"],
            timeout: .seconds(10)
        )
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(o.status == 0)
        #expect(String(decoding: o.stdout, as: UTF8.self) == "out\n")
        try await Task.sleep(for: .milliseconds(300))
        let ps = try String(contentsOf: URL(fileURLWithPath: "/proc/self/status"), encoding: .utf8)
        _ = ps
    }

    @Test func timeoutKillsGroupAndReaps() async throws {
        let p = try script("sleep 60 & sleep 61; exit 0")
        let started = ContinuousClock.now
        let o = try await ChildProcess.run(
            executable: p,
            arguments: [],
            environment: ["PATH": "/usr/bin:/bin"],
            timeout: .seconds(1)
        )
        #expect(o.status == nil)
        #expect(ContinuousClock.now - started < .seconds(3))
        try await Task.sleep(for: .milliseconds(300))
        let pipe = Pipe()
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/bin/ps")
        ps.arguments = ["-eo", "pid,ppid,pgid,stat,args"]
        ps.standardOutput = pipe
        try ps.run()
        // Read before waiting: a busy machine's listing is larger than a pipe holds, and ps would block on it.
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ps.waitUntilExit()
        #expect(!listing.contains("sleep 61"), "\(listing)")
        #expect(!listing.contains(p), "\(listing)")
    }

    @Test func cancellation() async throws {
        let p = try script("sleep 62")
        let task = Task {
            try await ChildProcess.run(
                executable: p,
                arguments: [],
                environment: ["PATH": "/usr/bin:/bin"],
                timeout: .seconds(30)
            )
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        task.cancel()
        let o = try await task.value
        #expect(o.status == nil)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func noShebangIsENOEXEC() async throws {
        let p = try script("echo hi\n", shebang: false)
        do {
            _ = try await ChildProcess.run(
                executable: p,
                arguments: [],
                environment: ["PATH": "/usr/bin:/bin"],
                timeout: .seconds(5)
            )
            Issue.record("expected a spawn error")
        } catch {
            print("SCRATCH no shebang:", error.reason)
        }
        do {
            _ = try await ChildProcess.run(
                executable: "/nonexistent/x",
                arguments: [],
                environment: [:],
                timeout: .seconds(5)
            )
            Issue.record("expected a spawn error")
        } catch {
            print("SCRATCH missing:", error.reason)
        }
    }

    @Test func nulAndDigitEnv() async throws {
        let p = try script("echo \"[$A]\"")
        let o = try await ChildProcess.run(
            executable: p,
            arguments: [],
            environment: ["A": "x\u{0}secret", "1BAD": "v", "PATH": "/usr/bin:/bin"],
            timeout: .seconds(5)
        )
        #expect(o.status == 0)
        #expect(String(decoding: o.stdout, as: UTF8.self) == "[x]\n")
    }
}
