import ArgumentParser
import CrowsnestCore
import Foundation

/// The `crowsnest` command: a multi-cluster federation gateway for Prometheus.
@main
struct Crowsnest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crowsnest",
        abstract: "Scrape pods in many Kubernetes clusters through their API servers and serve one /metrics.",
        version: BuildInfo.versionLine,
        subcommands: [
            ServeCommand.self, CheckCommand.self, DemoCommand.self, RBACCommand.self, AddClusterCommand.self,
            FetchCACommand.self, GetTokenCommand.self, HealthCheckCommand.self,
        ]
    )

    /// Runs the command line with SPEC §2's exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error
    /// (ArgumentParser's own usage errors would exit 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usageOrConfigError.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// `crowsnest check …`: offline validation commands.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate configuration or exposition payloads.",
        subcommands: [CheckMetricsCommand.self, CheckConfigCommand.self]
    )
}
