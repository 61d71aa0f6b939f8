import CrowsnestGateway
import Foundation
import PeerSupport
import Testing

/// Decodes remote-write bodies with the reference decoders: python-snappy and Python's `protobuf` runtime, with
/// classes `protoc` generates from prompb's `remote.proto`/`types.proto` (`Tests/TestData/prompb`).
struct RemoteWriteReferenceDecoder {
    /// One decoded `WriteRequest`.
    struct Request: Decodable {
        struct Series: Decodable {
            /// `[name, value]` in wire order.
            var labels: [[String]]
            /// The samples.
            var samples: [Sample]
        }
        struct Sample: Decodable {
            /// The value's IEEE 754 bits, 16 hex digits.
            var bits: String
            var timestamp: Int64
        }
        struct Metadata: Decodable {
            var type: Int
            var family: String
            var help: String
            var unit: String
        }
        var series: [Series]
        var metadata: [Metadata]
        var reserialised_identical: Bool
    }

    static let testData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TestData/prompb")

    let python: PeerBinary
    let generated: TemporaryDirectory

    /// Finds protoc and python3 with the protobuf and snappy modules (failing the test, naming the Debian package,
    /// when one is missing) and generates the Python classes.
    init() async throws {
        let protoc = try PeerBinary.require("protoc", debianPackage: "protobuf-compiler")
        // Debian's python3, where python3-protobuf and python3-snappy install (not a pyenv shim earlier on PATH).
        python = try PeerBinary.require("python3", debianPackage: "python3", candidates: ["/usr/bin/python3"])
        for (module, package) in [("google.protobuf", "python3-protobuf"), ("snappy", "python3-snappy")] {
            let check = try await PeerProcess.run(python, ["-c", "import \(module)"])
            if check.status != 0 {
                let message = "python3 cannot import \(module): install the Debian package '\(package)'"
                Issue.record(Comment(rawValue: message))
                throw TestFailure(message)
            }
        }
        generated = try TemporaryDirectory("prompb")
        let run = try await PeerProcess.run(
            protoc,
            ["-I", Self.testData.path, "--python_out=\(generated.path)", "remote.proto", "types.proto"]
        )
        guard run.status == 0 else { throw TestFailure("protoc failed: \(run.stderr)") }
    }

    /// Decodes snappy-compressed bodies.
    func decode(_ bodies: [[UInt8]]) async throws -> [Request] {
        var paths: [String] = []
        for (index, body) in bodies.enumerated() {
            let path = generated.file("body-\(index)")
            try Data(body).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let run = try await PeerProcess.run(
            python,
            [Self.testData.appendingPathComponent("decode_write_request.py").path, generated.path] + paths
        )
        guard run.status == 0 else { throw TestFailure("the reference decoder failed: \(run.stderr)") }
        return try JSONDecoder().decode([Request].self, from: Data(run.stdout.utf8))
    }
}
