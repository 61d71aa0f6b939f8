import Foundation
import PeerSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The first hour of a new user (issue 16, item 8) with the built binary: a taken --listen address is named,
/// the demo stops cleanly on SIGTERM, and every flag `--help` shows is documented in README.md.
@Suite("Command line: first-hour messages", .serialized, .timeLimit(.minutes(3)))
struct CommandLineFirstHourTests {
    /// Runs `body` with a loopback port this process listens on.
    static func withTakenPort<Result>(_ body: (Int) throws -> Result) async throws -> Result {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && listen(socket, 8) == 0
                    && getsockname(socket, generic, &length) == 0
            }
        }
        try #require(bound)
        return try body(Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("serve and demo name the address they cannot listen on")
    func listenAddressInUse() async throws {
        let scratch = try TemporaryDirectory("crowsnest-listen")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.file("clusters.d"), withIntermediateDirectories: true)
        try await Self.withTakenPort { port in
            let serve = try CrowsnestBinary.run(
                ["serve", "--config-dir", scratch.file("clusters.d"), "--listen", "127.0.0.1:\(port)"],
                timeout: 30
            )
            #expect(serve.status == 1, "\(serve.standardError)")
            #expect(
                serve.standardError.contains("cannot listen on 127.0.0.1:\(port): address already in use"),
                "\(serve.standardError)"
            )
            let demo = try CrowsnestBinary.run(
                ["demo", "--dir", scratch.file("demo"), "--listen", "127.0.0.1:\(port)", "--series-per-pod", "5"],
                timeout: 60
            )
            #expect(demo.status == 1, "\(demo.standardError)")
            #expect(
                demo.standardError.contains("cannot listen on 127.0.0.1:\(port): address already in use"),
                "\(demo.standardError)"
            )
        }
    }

    @Test("the demo stops on SIGTERM with status 0 and no error line")
    func demoStopsCleanly() async throws {
        let scratch = try TemporaryDirectory("crowsnest-demo-stop")
        defer { scratch.remove() }
        for format in ["text", "json"] {
            let demo = try PeerProcess(
                try PeerBinary.crowsnest(),
                [
                    "demo", "--dir", scratch.file(format), "--listen", "127.0.0.1:0", "--series-per-pod", "5",
                    "--log-format", format,
                ]
            )
            let started = await demo.wait(timeout: .seconds(60)) { $0.stdout.contains("Gateway: http://") }
            #expect(started, "the demo did not start: \(demo.stderr)")
            // Let discovery and a scrape round run, so the stop interrupts real work.
            try await Task.sleep(for: .seconds(2))
            demo.process.terminate()
            let status = await demo.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "\(format): exit status \(String(describing: status)); \(demo.stderr.suffix(2000))")
            let errorLines = demo.stderr.split(separator: "\n").filter { line in
                format == "json"
                    ? line.contains(#""level":"error""#) || line.contains(#""level":"critical""#)
                    : line.contains(" error ") || line.contains(" critical ")
            }
            #expect(errorLines.isEmpty, "\(format): \(errorLines.joined(separator: "\n"))")
            #expect(demo.stdout.contains("Simulated clusters stopped"))
        }
    }

    @Test("every --flag each subcommand's --help shows is in README.md")
    func helpFlagsAreDocumented() throws {
        let readme = try String(
            contentsOf: CrowsnestBinary.repositoryRoot.appendingPathComponent("README.md"),
            encoding: .utf8
        )
        let commands = [
            ["serve"], ["demo"], ["check", "config"], ["check", "metrics"], ["add-cluster"], ["fetch-ca"], ["rbac"],
        ]
        var missing: [String] = []
        for command in commands {
            let help = try CrowsnestBinary.run(command + ["--help"])
            #expect(help.status == 0, "\(command): \(help.standardError)")
            let flags = Set(help.standardOutput.matches(of: /--[a-z][a-z0-9-]*/).map { String($0.output) })
            #expect(!flags.isEmpty, "\(command)")
            for flag in flags.sorted() where flag != "--help" && !readme.contains(flag) {
                missing.append("\(command.joined(separator: " ")) \(flag)")
            }
        }
        #expect(missing.isEmpty, "flags not in README.md: \(missing)")
    }
}
