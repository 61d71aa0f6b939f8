import Foundation

/// What a soak run does, from the command line:
/// `SoakRun [--minutes M] [--seed N] [--binary PATH] [--out DIR] [--series-per-pod N] [--sample-every S]
/// [--action-every S] [--scrape-interval S]`.
struct SoakOptions: Sendable {
    /// The whole run, warm-up and quiet tail included.
    var minutes: Double = 30
    /// Seeds every random choice (printed, so a run can be repeated).
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000) & 0xFFFF_FFFF
    /// The `crowsnest` executable to run as the gateway.
    var binary: String = ".build-soak-release/release/crowsnest"
    /// Where the CSV, the summary and the gateway's stderr go.
    var outputDirectory: String = "artifacts/soak"
    /// Series each simulated pod exports.
    var seriesPerPod = 200
    /// Seconds between two samples of the gateway process.
    var sampleEvery: Double = 10
    /// Mean seconds between two chaos actions (each wait is drawn from 0.5× to 1.5× of it).
    var actionEvery: Double = 3
    /// The gateway's scrape interval in seconds (its timeout is 60 % of it).
    var scrapeInterval: Double = 5
    /// Seconds between two timed `GET /metrics` (apart from the samples).
    var latencyEvery: Double = 2

    /// Total run length.
    var total: Duration { .milliseconds(Int64(minutes * 60_000)) }
    /// The quiet start: no chaos; the "start" figures are read at its end (2 minutes, or 20 % of short runs).
    var warmUp: Duration { .milliseconds(Int64(min(120, minutes * 60 * 0.2) * 1000)) }
    /// The quiet end: every fault cleared and the churned pods gone, so the end figures compare with the start
    /// at the same topology (4 minutes, or 15 % of short runs, at least 30 s).
    var quietTail: Duration { .milliseconds(Int64(max(30, min(240, minutes * 60 * 0.15)) * 1000)) }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses `arguments` (without the program name).
    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return next
        }
        func number(_ flag: String) throws -> Double {
            let text = try value(flag)
            guard let parsed = Double(text), parsed > 0 else {
                throw UsageError(description: "\(flag) needs a positive number, not \(text)")
            }
            return parsed
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--minutes": minutes = try number(flag)
            case "--seed":
                let text = try value(flag)
                guard let parsed = UInt64(text) else { throw UsageError(description: "--seed needs an integer") }
                seed = parsed
            case "--binary": binary = try value(flag)
            case "--out": outputDirectory = try value(flag)
            case "--series-per-pod": seriesPerPod = Int(try number(flag))
            case "--sample-every": sampleEvery = try number(flag)
            case "--action-every": actionEvery = try number(flag)
            case "--scrape-interval": scrapeInterval = try number(flag)
            case "--latency-every": latencyEvery = try number(flag)
            case "-h", "--help":
                throw UsageError(
                    description: """
                        usage: SoakRun [--minutes 30] [--seed N] [--binary PATH] [--out DIR] [--series-per-pod 200]
                                       [--sample-every 10] [--action-every 3] [--scrape-interval 5] [--latency-every 2]
                        """
                )
            default: throw UsageError(description: "unknown argument \(flag) (try --help)")
            }
        }
        guard minutes >= 1 else { throw UsageError(description: "--minutes must be at least 1") }
    }
}
