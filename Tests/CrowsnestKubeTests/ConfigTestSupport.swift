import CrowsnestCore
import CrowsnestKube
import Foundation
import Testing

/// Helpers shared by the configuration tests.
enum ConfigTestSupport {
    static let folder = "/etc/crowsnest/clusters.d"

    /// Decodes cluster-file text as `clusters.d/NAME` (folder `/etc/crowsnest/clusters.d`, home `/home/ops`).
    static func parse(
        _ yaml: String,
        file: String = "clusters.d/prod.yaml",
        scrapeDefaults: PartialScrapeConfig = PartialScrapeConfig()
    ) -> ClusterFileReport {
        ClusterFile.parse(
            yaml: yaml,
            context: ClusterFileContext(
                file: file,
                baseDirectory: folder,
                homeDirectory: "/home/ops",
                scrapeDefaults: scrapeDefaults
            )
        )
    }

    /// A valid minimal cluster file's lines, to which a test appends.
    static let minimal = """
        api_server: https://203.0.113.10:6443
        auth:
          bearer_token_file: tokens/prod
        """

    /// The repository's `clusters.d` folder, found from this source file's path.
    static var repositoryClustersDirectory: String {
        let file = #filePath
        var path = ConfigPaths.directory(of: file)  // Tests/CrowsnestKubeTests
        path = ConfigPaths.directory(of: path)  // Tests
        path = ConfigPaths.directory(of: path)  // repository root
        return path + "/clusters.d"
    }

    /// A fresh temporary folder, removed by the caller with `removeTemporaryDirectory`.
    static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "crowsnest-config-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeTemporaryDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a file with the given permissions.
    static func write(_ path: String, _ contents: String, permissions: Int = 0o600) throws {
        let folder = ConfigPaths.directory(of: path)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
    }

    /// A syntactically plausible PEM certificate (the loader only checks the markers).
    static let pem = """
        -----BEGIN CERTIFICATE-----
        MIIBszCCAVmgAwIBAgIUQ2Nyb3dzbmVzdC10ZXN0LWNhMAoGCCqGSM49BAMCMBQx
        -----END CERTIFICATE-----

        """

    static let keyPEM = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIGNyb3dzbmVzdC10ZXN0LWtleQ==
        -----END EC PRIVATE KEY-----

        """
}

extension ClusterFileReport {
    /// Problems of one severity as `LINE:COL FIELD` strings, for compact expectations.
    func positions(_ severity: ConfigProblem.Severity = .error) -> [String] {
        problems.filter { $0.severity == severity }.map { "\($0.location.line):\($0.location.column) \($0.field)" }
    }

    /// The first error on `field`.
    func error(on field: String) -> ConfigProblem? {
        problems.first { $0.isError && $0.field == field }
    }

    /// The first warning on `field`.
    func warning(on field: String) -> ConfigProblem? {
        problems.first { !$0.isError && $0.field == field }
    }
}
