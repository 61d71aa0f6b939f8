@testable import CrowsnestCore

extension PrometheusRegex {
    /// Whether matching avoids the regex engine (exposed to the tests).
    var usesFastPathForTesting: Bool { usesFastPath }

    /// The same expression matched by the Pike VM only (no fast path), for differential tests.
    func engineOnly() throws -> PrometheusRegex {
        try PrometheusRegex(pattern, forceRegexEngine: true)
    }

    /// Whether the Swift `Regex` translation can serve as an oracle for this expression: Swift has no exact
    /// spelling for `\b`, `\B` and multi-line `^`.
    var hasSwiftOracle: Bool {
        !pattern.contains("\\b") && !pattern.contains("\\B") && !pattern.contains("(?m") && !pattern.contains("m)")
            && !pattern.contains("m-") && !pattern.contains("m:")
    }

    /// The groups found by Swift's `Regex` running the translated expression (an independent oracle).
    func swiftOracleCaptures(in input: String) throws -> [String?]? {
        let regex = try Regex(swiftPattern).matchingSemantics(.unicodeScalar)
        guard let match = try regex.firstMatch(in: input) else { return nil }
        return (0...captureGroupCount).map { index in
            index < match.output.count ? match.output[index].substring.map(String.init) : nil
        }
    }
}
