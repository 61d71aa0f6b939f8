public import AsyncHTTPClient
public import CrowsnestCore
public import Foundation

/// What `crowsnest get-token FILE` prints: the cluster file's bearer credential as a
/// `client.authentication.k8s.io/v1` ExecCredential, so kubectl can use Crowsnest as its exec plugin and a user can
/// check a file's credentials in one command.
public enum ExecCredentialOutput {
    /// The ExecCredential JSON (one line) for `config`'s credentials, obtained as the gateway obtains them (token
    /// files, kubeconfig users, exec plugins, built-in cloud credentials).
    /// - Throws: ``KubeClientError`` naming what failed (never the secret); `configuration` for a file whose
    ///   credential is not a bearer token (anonymous, client certificates).
    /// - Parameter apiVersion: the ExecCredential version to answer; default: the one kubectl asks for in
    ///   `KUBERNETES_EXEC_INFO` (when supported), else `client.authentication.k8s.io/v1`.
    public static func render(
        config: ClusterConfig,
        httpClient: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        apiVersion: String? = nil
    ) async throws(KubeClientError) -> String {
        let credentials = ClusterCredentials(config: config, httpClient: httpClient, environment: environment)
        let current = try await credentials.current()
        guard let authorization = current.authorization, authorization.hasPrefix("Bearer ") else {
            throw KubeClientError(
                .configuration,
                cluster: config.name,
                "cluster \(config.name): its credential (\(config.auth.kind)) is not a bearer token; kubectl can use "
                    + "its files directly"
            )
        }
        var status: [String: Any] = ["token": String(authorization.dropFirst("Bearer ".count))]
        if let expiry = credentials.status.expiry {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            status["expirationTimestamp"] = formatter.string(from: expiry)
        }
        let object: [String: Any] = [
            "kind": "ExecCredential", "apiVersion": apiVersion ?? requestedVersion(environment),
            "spec": ["interactive": false], "status": status,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw KubeClientError(.credentials, cluster: config.name, "cluster \(config.name): cannot encode the token")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The `apiVersion` of kubectl's `KUBERNETES_EXEC_INFO`, when it is one Crowsnest speaks.
    static func requestedVersion(_ environment: [String: String]) -> String {
        guard let info = environment["KUBERNETES_EXEC_INFO"],
            let object = (try? JSONSerialization.jsonObject(with: Data(info.utf8))) as? [String: Any],
            let version = object["apiVersion"] as? String, ExecConfig.supportedAPIVersions.contains(version)
        else { return ExecConfig.defaultAPIVersion }
        return version
    }
}
