import ArgumentParser
import Logging

/// Options every command accepts: `--log-level` and `--log-format`.
struct GlobalOptions: ParsableArguments {
    /// The output format of log lines.
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// `--log-level` values; `warn` is `warning` as Prometheus and most Go programs spell it.
    enum LogLevel: String, ExpressibleByArgument, CaseIterable {
        case trace, debug, info, notice, warning, warn, error, critical
        var level: Logger.Level { self == .warn ? .warning : Logger.Level(rawValue: rawValue) ?? .info }
    }

    @Option(help: "Lowest level logged: trace, debug, info, notice, warning (or warn), error, critical.")
    var logLevel: LogLevel = .info

    @Option(help: "Log line format: text or json.")
    var logFormat: LogFormat = .text

    /// Bootstraps the process-wide logging system once; call first in `run()`.
    func bootstrapLogging() {
        let level = logLevel.level
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }

    /// A logger for the executable itself.
    func makeLogger(_ label: String = "crowsnest") -> Logger { Logger(label: label) }
}

/// Exit codes from SPEC §2: 0 ok, 1 runtime failure, 2 usage or configuration error.
enum ExitStatus {
    static let runtimeFailure = ExitCode(1)
    static let usageOrConfigError = ExitCode(2)
}
