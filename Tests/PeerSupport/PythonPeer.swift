import Foundation
import Testing

/// Python peers installed from PyPI (`moto[server]`, botocore, msal, google-auth): found through `python3`, and a
/// missing one fails the test naming the pip package, never skips it.
public enum PythonPeer {
    /// `python3`, or a recorded failure naming the Debian package.
    public static func python() throws -> PeerBinary {
        try PeerBinary.require("python3", debianPackage: "python3")
    }

    /// Checks that `module` imports; otherwise records and throws a failure naming `pipPackage`.
    public static func require(module: String, pipPackage: String) async throws -> PeerBinary {
        let python = try python()
        let result = try await PeerProcess.run(python, ["-c", "import \(module)"], timeout: .seconds(60))
        guard result.status == 0 else {
            let message =
                "the Python module \(module) is not installed: install the PyPI package '\(pipPackage)' "
                + "(pip install '\(pipPackage)'; scripts/install-deps.sh does)"
            Issue.record(Comment(rawValue: message))
            throw TestFailure(message)
        }
        return python
    }

    /// Runs `script` with `arguments` and returns its standard output; a non-zero exit fails with its stderr.
    public static func run(
        _ python: PeerBinary,
        script: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> String {
        let result = try await PeerProcess.run(
            python,
            ["-c", script] + arguments,
            environment: environment,
            timeout: timeout
        )
        guard result.status == 0 else { throw TestFailure("python script failed: \(result.stderr)") }
        return result.stdout
    }
}
