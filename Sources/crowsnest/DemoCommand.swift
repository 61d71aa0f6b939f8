import ArgumentParser

/// `crowsnest demo`: simulated clusters (and later the gateway on them). Placeholder until KubeSim lands.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start three simulated Kubernetes clusters and the gateway on them."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        global.bootstrapLogging()
        throw ValidationError("demo is not available yet")
    }
}
