import Foundation

/// Locates `Tests/TestData` (inside the checkout: upstream corpora with their licences, see its README) for tests.
enum TestData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let root = repositoryRoot.appendingPathComponent("Tests/TestData")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    static func bytes(_ path: String) throws -> [UInt8] {
        let url = url(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingTestData(path: url.path)
        }
        return [UInt8](data)
    }

    struct MissingTestData: Error, CustomStringConvertible {
        let path: String
        var description: String { "test data not found at \(path) (committed under Tests/TestData)" }
    }

    /// The OpenMetrics conformance cases: (name, shouldParse).
    static func openMetricsCases() throws -> [(name: String, shouldParse: Bool)] {
        let index = try String(contentsOf: url("openmetrics/index.tsv"), encoding: .utf8)
        return index.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            return (String(fields[0]), fields[3] == "true")
        }
    }
}
