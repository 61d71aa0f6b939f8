import Foundation

/// Runs the built `crowsnest` executable (from `swift build`), for tests of the command line.
enum CrowsnestBinary {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable: `$CROWSNEST_BINARY`, else the newest `.build*/**/debug|release/crowsnest`.
    static func url() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["CROWSNEST_BINARY"] { return URL(fileURLWithPath: path) }
        // The test bundle lives in the same build folder as the executable.
        var candidates: [URL] = []
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(
                URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("crowsnest")
            )
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("crowsnest"))
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/crowsnest"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw NotBuilt(tried: candidates.map(\.path))
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let tried: [String]
        var description: String { "crowsnest executable not found (run `swift build` first); tried \(tried)" }
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `crowsnest arguments…` with optional standard input, bounded by `timeout` seconds.
    static func run(_ arguments: [String], input: Data? = nil, timeout: TimeInterval = 60) throws -> Result {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crowsnest-cli-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        let inputURL = directory.appendingPathComponent("stdin")
        try (input ?? Data()).write(to: inputURL)
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        )
    }
}
