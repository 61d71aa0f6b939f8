import ArgumentParser

/// The `crowsnest` command: a multi-cluster federation gateway for Prometheus.
@main
struct Crowsnest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crowsnest",
        abstract: "Scrape pods in many Kubernetes clusters through their API servers and serve one /metrics.",
        subcommands: [CheckCommand.self, DemoCommand.self]
    )
}

/// `crowsnest check …`: offline validation commands.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate configuration or exposition payloads.",
        subcommands: [CheckMetricsCommand.self, CheckConfigCommand.self]
    )
}
