import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a short-lived child process in its own process group, collecting stdout and stderr, with a hard timeout that
/// kills the whole group (a plugin's own children included, which could otherwise hold the pipes open).
///
/// Polls every 10 ms: exec plugins run rarely and briefly, so simplicity beats an event loop here.
enum ChildProcess {
    struct Outcome {
        /// The exit status (or 128 + signal); nil when killed for the timeout or cancellation.
        var status: Int32?
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    struct SpawnError: Error { var code: Int32 }

    static func run(
        executable: String, arguments: [String], environment: [String: String], timeout: Duration,
        outputLimit: Int = 1 << 20
    ) async throws(SpawnError) -> Outcome {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw SpawnError(code: errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnError(code: errno)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw SpawnError(code: spawned)
        }
        for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        let end = ContinuousClock.now + timeout
        var status: Int32?
        var exited = false
        while true {
            drain(outPipe[0], into: &stdout, limit: outputLimit)
            drain(errPipe[0], into: &stderr, limit: 64 << 10)
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid {
                exited = true
                status = Self.exitStatus(raw)
                break
            }
            if reaped < 0 && errno != EINTR { exited = true; break }
            if ContinuousClock.now >= end || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        if exited {
            // The group may linger holding the pipes: take what is there, then end the group.
            drain(outPipe[0], into: &stdout, limit: outputLimit)
            drain(errPipe[0], into: &stderr, limit: 64 << 10)
            kill(-pid, SIGKILL)
            return Outcome(status: status, stdout: stdout, stderr: stderr)
        }
        kill(-pid, SIGKILL)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return Outcome(status: nil, stdout: stdout, stderr: stderr)
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }

    private static func drain(_ fd: Int32, into buffer: inout [UInt8], limit: Int) {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        for _ in 0..<1024 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            if buffer.count < limit { buffer.append(contentsOf: chunk[0..<min(count, limit - buffer.count)]) }
        }
    }
}
