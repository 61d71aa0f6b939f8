public import Foundation

/// A running child process whose standard output and error go to files as they arrive (so whatever it wrote is
/// complete once it exited), stopped by ``stop()`` (call it in a `defer`) and at the latest when released.
public final class PeerProcess: Sendable {
    /// The child process.
    public let process: Process
    /// The executable's file name.
    public let name: String
    /// Where its output goes; removed when this is released.
    private let outputDirectory: TemporaryDirectory
    private let outputPath: String
    private let errorPath: String

    /// Starts `binary arguments…`; `environment` is added to a minimal one (PATH, HOME = `home` or the temporary
    /// folder, LANG). `input`, when given, is written to its standard input, which stays open for 10 s.
    public init(
        _ binary: PeerBinary,
        _ arguments: [String],
        environment: [String: String] = [:],
        home: String? = nil,
        input: [UInt8]? = nil
    ) throws {
        name = (binary.path as NSString).lastPathComponent
        outputDirectory = try TemporaryDirectory("peer-\(name)")
        outputPath = outputDirectory.file("stdout")
        errorPath = outputDirectory.file("stderr")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary.path)
        process.arguments = arguments
        var env: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home ?? NSTemporaryDirectory(),
            "LANG": "C.UTF-8",
        ]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        self.process = process
        try process.run()
        if let inputPipe, let input {
            inputPipe.fileHandleForWriting.write(Data(input))
            // Keep stdin open briefly so an interactive peer (openssl s_client) reads the answer before EOF.
            let writer = inputPipe.fileHandleForWriting
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) { try? writer.close() }
        }
    }

    /// Everything it wrote to standard output so far.
    public var stdout: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    /// Everything it wrote to standard error so far.
    public var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    /// Whether it has not exited yet.
    public var isRunning: Bool { process.isRunning }

    /// Polls `condition` every 50 ms until it holds, the process exits or `timeout` passes; returns whether it held.
    public func wait(timeout: Duration, for condition: (PeerProcess) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            if !process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(self)
    }

    /// Waits for exit within `timeout` (then stops it); returns the exit status (nil when it had to be stopped).
    public func waitForExit(timeout: Duration) async -> Int32? {
        let exited = await wait(timeout: timeout) { !$0.isRunning }
        if !exited {
            stop()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGTERM, then SIGKILL after 2 s; waits for the exit.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        stop()
        outputDirectory.remove()
    }

    /// Runs `binary arguments…` to completion within `timeout` (stopped after it); returns status and output.
    public static func run(
        _ binary: PeerBinary,
        _ arguments: [String],
        environment: [String: String] = [:],
        home: String? = nil,
        input: [UInt8]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let process = try PeerProcess(binary, arguments, environment: environment, home: home, input: input)
        let status = await process.waitForExit(timeout: timeout)
        return (status, process.stdout, process.stderr)
    }
}
