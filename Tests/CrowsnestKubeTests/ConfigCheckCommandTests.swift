import CrowsnestCore
import Foundation
import Testing

/// Runs the built `crowsnest` binary: `crowsnest check config DIR`.
@Suite("crowsnest check config (the binary)")
struct ConfigCheckCommandTests {
    typealias S = ConfigTestSupport

    /// The `crowsnest` executable beside the test bundle (both live in the scratch path's build folder).
    static func binary() throws -> String {
        var folder = ConfigPaths.directory(of: CommandLine.arguments[0])
        // On Linux the runner is `<build>/crowsnestPackageTests.xctest`; on macOS it may be inside a bundle.
        for _ in 0..<5 {
            let candidate = folder + "/crowsnest"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = ConfigPaths.directory(of: folder)
        }
        throw BinaryNotFound(searchedFrom: CommandLine.arguments[0])
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var searchedFrom: String
        var description: String { "no crowsnest executable near \(searchedFrom); run `swift build` first" }
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("exit 0 for a good folder (warnings allowed), 2 with a line per problem for a bad one")
    func checkConfig() throws {
        let folder = try S.makeTemporaryDirectory()
        defer { S.removeTemporaryDirectory(folder) }
        try S.write("\(folder)/ca.crt", S.pem, permissions: 0o644)
        try S.write("\(folder)/token", "abc\n", permissions: 0o600)
        try S.write(
            "\(folder)/good.yaml",
            "api_server: https://203.0.113.10:6443\ntls:\n  ca_file: ca.crt\nauth:\n  bearer_token_file: token\n"
        )
        try S.write(
            "\(folder)/warned.yaml",
            "api_server: https://h\nauth:\n  bearer_token_file: token\ntls:\n  insecure_skip_verify: true\n"
        )
        try S.write("\(folder)/ignored.yaml~", "not: [valid")

        let good = try Self.run(["check", "config", folder])
        #expect(good.status == 0, "\(good.output)")
        let goodLines = good.output.split(separator: "\n").map(String.init)
        #expect(
            goodLines == [
                "warning: \(folder)/warned.yaml:5:25: tls.insecure_skip_verify: certificate verification is disabled: anyone on the network path can impersonate the API server",
                "2 cluster files in \(folder): 2 ok, 0 invalid; 0 errors, 1 warning (3 other entries ignored)",
            ]
        )

        try S.write(
            "\(folder)/bad.yaml",
            "api_server: https://h\nauth:\n  bearer_token_file: token\nscrape:\n  interval: 10s\n  timeout: 20s\n  sceme: http\n"
        )
        try S.write(
            "\(folder)/missing.yaml",
            "api_server: https://h\ntls:\n  ca_file: nowhere.crt\nauth:\n  bearer_token_file: token\n"
        )
        let bad = try Self.run(["check", "config", folder])
        #expect(bad.status == 2, "\(bad.output)")
        let lines = bad.output.split(separator: "\n").map(String.init)
        #expect(
            lines.contains("\(folder)/bad.yaml:6:12: scrape.timeout: timeout 20s must not exceed interval 10s"),
            "\(lines)"
        )
        #expect(
            lines.contains("\(folder)/bad.yaml:7:3: scrape.sceme: unknown field; did you mean 'scheme'?"),
            "\(lines)"
        )
        #expect(
            lines.contains("\(folder)/missing.yaml:3:12: tls.ca_file: CA file \(folder)/nowhere.crt does not exist"),
            "\(lines)"
        )
        #expect(
            lines.last == "4 cluster files in \(folder): 2 ok, 2 invalid; 3 errors, 1 warning (3 other entries ignored)"
        )
    }

    @Test("a missing folder exits 2")
    func missingFolder() throws {
        let result = try Self.run(["check", "config", "/nonexistent-crowsnest-folder"])
        #expect(result.status == 2)
        #expect(result.output.hasPrefix("/nonexistent-crowsnest-folder: cannot read the cluster directory:"))
    }

    @Test("--config checks crowsnest.yaml too")
    func globalConfig() throws {
        let folder = try S.makeTemporaryDirectory()
        defer { S.removeTemporaryDirectory(folder) }
        try S.write("\(folder)/clusters.d/a.yaml", "api_server: http://127.0.0.1:8001\n")
        try S.write("\(folder)/crowsnest.yaml", "listen: nowhere\n")
        let result = try Self.run(["check", "config", "\(folder)/clusters.d", "--config", "\(folder)/crowsnest.yaml"])
        #expect(result.status == 2)
        #expect(result.output.contains("\(folder)/crowsnest.yaml:1:9: listen: expected HOST:PORT"), "\(result.output)")
    }
}
