import ArgumentParser

/// `crowsnest check config [DIR]`. Placeholder until the cluster-file loader lands.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate every cluster file in a directory."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cluster directory.")
    var directory: String = "clusters.d"

    func run() async throws {
        global.bootstrapLogging()
        throw ValidationError("check config is not available yet")
    }
}
