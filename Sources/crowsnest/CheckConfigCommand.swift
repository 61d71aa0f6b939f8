import ArgumentParser
import CrowsnestCore
import CrowsnestKube

/// `crowsnest check config [DIR]`: validate every cluster file (and optionally `crowsnest.yaml`).
///
/// Prints one line per problem, `FILE:LINE:COL: FIELD: reason` (warnings prefixed `warning: `), then a summary
/// line. Exit 0 when there is no error (warnings allowed), 2 when there is one.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate every cluster file in a directory.",
        discussion: """
            Checks each *.yaml / *.yml file (names starting with '.', editor leftovers and *.example are skipped): \
            YAML syntax, every field and its rules, unique cluster names, and the files they name (CA, tokens, \
            client certificate and key, kubeconfig, exec command). One line per problem: FILE:LINE:COL: FIELD: reason. \
            Exit status 0 when there is no error (warnings allowed), 2 when there is one.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cluster directory.")
    var directory: String = "clusters.d"

    @Option(name: .customLong("config"), help: "Also check this crowsnest.yaml and apply its scrape defaults.")
    var configFile: String?

    func run() async throws {
        global.bootstrapLogging()
        let fileSystem = LocalConfigFileSystem()
        var problems: [ConfigProblem] = []
        var globalConfig = GlobalConfig()
        if let configFile {
            let report = GlobalConfigFile.load(path: configFile, fileSystem: fileSystem)
            problems += report.problems
            if let config = report.config { globalConfig = config }
        }
        let scan = ClusterDirectory(path: directory, fileSystem: fileSystem, globalConfig: globalConfig).scan()
        problems += scan.problems
        if scan.directoryProblems.isEmpty && scan.files.isEmpty {
            problems.append(
                ConfigProblem(
                    .warning,
                    code: .io,
                    location: ConfigSourceLocation(file: directory),
                    field: "",
                    reason: "no cluster files (*.yaml, *.yml) found"
                )
            )
        }
        for problem in problems { print(problem) }
        print(Self.summary(scan: scan, problems: problems))
        if problems.containsError { throw ExitStatus.usageOrConfigError }
    }

    /// `N cluster files in DIR: X ok, Y invalid; E errors, W warnings`.
    static func summary(scan: ClusterDirectoryScan, problems: [ConfigProblem]) -> String {
        let files = scan.files.count
        let usable = scan.files.filter { $0.config != nil }.count
        let errors = problems.filter(\.isError).count
        let warnings = problems.count - errors
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        var line = "\(plural(files, "cluster file")) in \(scan.directory): \(usable) ok, \(files - usable) invalid; "
        line += "\(plural(errors, "error")), \(plural(warnings, "warning"))"
        let ignored = scan.ignoredFiles.count
        if ignored > 0 { line += " (\(ignored) other \(ignored == 1 ? "entry" : "entries") ignored)" }
        return line
    }
}
