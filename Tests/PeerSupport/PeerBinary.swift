import Foundation
import Testing

/// A third-party program a test drives (kubectl, vmagent, node_exporter, prometheus, aws) or one of ours.
public struct PeerBinary: Sendable {
    /// The executable's path.
    public var path: String

    /// A binary at `path`, used as is.
    public init(path: String) { self.path = path }

    /// Finds `name` on PATH (or at one of `candidates`, then in the usual system folders); records a failure naming
    /// the Debian package that provides it and throws when it is missing: a missing peer must never skip silently.
    public static func require(_ name: String, debianPackage: String, candidates: [String] = []) throws -> PeerBinary {
        var paths = candidates
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            paths.append(String(directory) + "/" + name)
        }
        paths += ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/usr/sbin/\(name)"]
        for path in paths where FileManager.default.isExecutableFile(atPath: path) {
            return PeerBinary(path: path)
        }
        var message =
            "\(name) is not installed: install the Debian package '\(debianPackage)' (apt-get install -y \(debianPackage))"
        switch debianPackage {
        case "kubectl":
            message =
                "kubectl is not installed: install Debian's 'kubernetes-client' (scripts/install-deps.sh does when no "
                + "kubectl is present; the tests pass with it and with the Google Cloud SDK's kubectl)"
        case "awscli":
            message += " or `pip install awscli`"
        default:
            break
        }
        Issue.record(Comment(rawValue: message))
        throw TestFailure(message)
    }
}

/// A test failure with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
