@testable import CrowsnestCore

extension PrometheusRegex {
    /// The expression in Swift `Regex` syntax (see ``RE2SwiftEmitter``): the tests' independent oracle for the
    /// engine, built from the same parsed tree the engine runs.
    var swiftPattern: String { RE2SwiftEmitter.pattern(for: program.node) }
}
