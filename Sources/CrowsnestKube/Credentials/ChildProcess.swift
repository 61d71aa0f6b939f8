import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a short-lived child process (swift-subprocess) in its own process group, collecting stdout and stderr up to
/// a bound each, with a hard timeout that kills the whole group (a plugin's own children included, which could
/// otherwise hold the pipes open).
///
/// swift-subprocess spawns with `posix_spawn` (stdin `/dev/null`, other descriptors closed), watches the child
/// through a pidfd and reaps it before `run` returns, also when the calling task is cancelled: cancellation runs
/// `teardownSequence`, here one SIGKILL to the group. The timeout is that cancellation, raced against a sleep.
enum ChildProcess {
    struct Outcome: Sendable {
        /// The exit status (or 128 + signal); nil when killed for the timeout or cancellation.
        var status: Int32?
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// The child could not be started. `reason` is `strerror`'s text, never an environment value or output.
    struct SpawnError: Error {
        var reason: String
    }

    static func run(
        executable: String,
        arguments: [String],
        environment: [String: String],
        timeout: Duration,
        outputLimit: Int = 1 << 20,
        errorLimit: Int = 64 << 10
    ) async throws(SpawnError) -> Outcome {
        var options = PlatformOptions()
        // A new group led by the child (pgid = pid), so one kill(-pid) reaches whatever the plugin started.
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: Arguments(arguments),
            environment: .custom(Self.entries(environment)),
            platformOptions: options
        )

        let end = ContinuousClock.now + timeout
        let first: Race = await withTaskGroup(of: Race.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        configuration,
                        input: .none,
                        output: .sequence,
                        error: .sequence
                    ) { execution in
                        async let stdout = Self.collect(execution.standardOutput, limit: outputLimit)
                        let stderr = await Self.collect(execution.standardError, limit: errorLimit)
                        return Captured(stdout: await stdout, stderr: stderr)
                    }
                    // The leader is reaped; members it left in its group may linger: end them (as before).
                    kill(-result.processIdentifier.value, SIGKILL)
                    if Task.isCancelled, case .signaled = result.terminationStatus {
                        return .timedOut  // killed by the teardown, not by itself
                    }
                    return .finished(
                        Outcome(
                            status: Self.exitStatus(result.terminationStatus),
                            stdout: result.closureResult.stdout,
                            stderr: result.closureResult.stderr
                        )
                    )
                } catch let error as SubprocessError {
                    return .failed(SpawnError(reason: Self.reason(error)))
                } catch {
                    // Cancelled (timeout or the caller) while starting or running: the child is killed and reaped.
                    return .timedOut
                }
            }
            group.addTask {
                // Ends early when the caller is cancelled, which then also ends the child.
                try? await Task.sleep(until: end, clock: .continuous)
                return .timedOut
            }
            let first = await group.next()!
            // Cancelling the run tears the child's group down; leaving the group waits until it is reaped.
            group.cancelAll()
            return first
        }
        switch first {
        case .finished(let outcome): return outcome
        case .failed(let error): throw error
        case .timedOut: return Outcome(status: nil, stdout: [], stderr: [])
        }
    }

    private enum Race: Sendable {
        case finished(Outcome)
        case failed(SpawnError)
        case timedOut
    }

    private struct Captured: Sendable {
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Reads `sequence` to its end, keeping the first `limit` bytes: the rest is read and dropped, so a chatty child
    /// never blocks on a full pipe. A read error ends the capture with what was read.
    private static func collect(_ sequence: SubprocessOutputSequence, limit: Int) async -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await buffer in sequence where bytes.count < limit {
                buffer.withUnsafeBytes { raw in bytes.append(contentsOf: raw.prefix(limit - bytes.count)) }
            }
        } catch {}
        return bytes
    }

    /// `KEY=VALUE` entries as `posix_spawn` took them before: cut at a NUL (as `strdup` did), and NUL-terminated,
    /// which swift-subprocess 1.0.2 needs (it `strdup`s each raw entry as given, so an unterminated one is read past
    /// its end). Names starting with a digit, which swift-subprocess refuses (and could only come from this
    /// process's own environment), are left out rather than failing the run.
    private static func entries(_ environment: [String: String]) -> [[UInt8]] {
        environment.compactMap { name, value in
            guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                return nil
            }
            let entry = Array("\(name)=\(value)".utf8)
            return entry.prefix { $0 != 0 } + [0]
        }
    }

    /// `strerror` of the underlying errno. Never `error.description`: swift-subprocess quotes refused environment
    /// entries (secrets) there.
    private static func reason(_ error: SubprocessError) -> String {
        guard let code = error.underlyingError?.rawValue else { return "the process could not be started" }
        return String(cString: strerror(code))
    }

    private static func exitStatus(_ status: TerminationStatus) -> Int32 {
        switch status {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}
