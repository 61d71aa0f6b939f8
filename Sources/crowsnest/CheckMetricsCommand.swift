import ArgumentParser
import CrowsnestCore
import Foundation

/// `crowsnest check metrics [FILE|-]`: validate an exposition payload like `promtool check metrics`.
struct CheckMetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Validate a Prometheus text 0.0.4 or OpenMetrics 1.0 payload (strict rules).",
        discussion: """
            Exit status 0 when the payload is valid, 1 with one `line:column: reason` line per problem otherwise.
            --lint adds naming and unit advice as warnings; they never change the exit status.
            """
    )

    /// `--format`.
    enum FormatOption: String, ExpressibleByArgument, CaseIterable {
        case text, openmetrics, auto
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The payload file, or - for standard input.")
    var file: String = "-"

    @Option(help: "text, openmetrics or auto (OpenMetrics when the payload ends with # EOF).")
    var format: FormatOption = .auto

    @Flag(help: "Also print naming and unit advice as warnings.")
    var lint = false

    @Option(help: "Stop after this many problems.")
    var maxProblems = 100

    func run() async throws {
        global.bootstrapLogging()
        let input: CheckMetricsInput
        do {
            input = try CheckMetricsInput(path: file)
        } catch {
            printError("cannot read \(file): \(error)")
            throw ExitStatus.usageOrConfigError
        }
        let chosen: ExpositionFormat? =
            switch format {
            case .text: .text
            case .openmetrics: .openMetrics
            case .auto: nil
            }
        let pieces = MetricsChecker.pieceCount(
            byteCount: input.bytes.count,
            processors: ProcessInfo.processInfo.activeProcessorCount
        )
        let result = await MetricsChecker.check(
            input.bytes,
            format: chosen,
            lint: lint,
            maxErrors: maxProblems,
            pieces: pieces
        )
        withExtendedLifetime(input) {}
        var output = ""
        for error in result.errors { output += "\(error)\n" }
        for warning in result.warnings { output += "warning: \(warning)\n" }
        FileHandle.standardOutput.write(Data(output.utf8))
        if !result.errors.isEmpty { throw ExitStatus.runtimeFailure }
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data("crowsnest: \(message)\n".utf8))
    }
}
