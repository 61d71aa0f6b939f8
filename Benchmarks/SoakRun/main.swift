import Foundation

// The 30-minute soak of issue 8: `crowsnest serve` against three simulated clusters with random churn and faults,
// sampling its memory, open files, threads, held series and /metrics latency. See scripts/soak.sh.
do {
    let options = try SoakOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    let status = try await SoakRunner(options: options).run()
    exit(status)
} catch let error as SoakOptions.UsageError {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("soak: \(error)\n".utf8))
    exit(1)
}
