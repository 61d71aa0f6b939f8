import CrowsnestCore
import Foundation
import NIOHTTP1

/// Fetches Entra ID (Azure AD) access tokens for AKS as the Azure SDKs' client credentials do: `POST
/// {authority}/{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`, scope `{server_id}/.default`, and
/// either a federated token as the client assertion (workload identity) or a client secret. `AZURE_AUTHORITY_HOST`
/// overrides `https://login.microsoftonline.com`; `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
/// `AZURE_FEDERATED_TOKEN_FILE` (what AKS workload identity sets) fill what the cluster file leaves out.
///
/// The token and secret files are read again for each token (a projected federated token rotates hourly).
struct AzureTokenProvider: CloudTokenProvider {
    /// The Azure SDKs refresh 5 minutes before expiry.
    static let refreshMargin: TimeInterval = 300

    var config: AzureAuthConfig
    var http: CloudHTTP
    /// The clock (tests move it).
    var now: @Sendable () -> Date = { Date() }

    func token() async throws(CloudCredentialError) -> CloudToken {
        guard let tenant = config.tenantID ?? nonEmpty("AZURE_TENANT_ID") else {
            throw CloudCredentialError("azure", "no tenant: set auth.azure.tenant_id (or AZURE_TENANT_ID)")
        }
        guard let client = config.clientID ?? nonEmpty("AZURE_CLIENT_ID") else {
            throw CloudCredentialError("azure", "no client: set auth.azure.client_id (or AZURE_CLIENT_ID)")
        }
        var pairs = [
            ("client_id", client), ("scope", config.serverID + "/.default"), ("grant_type", "client_credentials"),
        ]
        let step: String
        if let secretFile = config.clientSecretFile {
            step = "azure client secret (\(secretFile))"
            pairs.append(("client_secret", try read(secretFile, what: "client secret file", step: step)))
        } else if let tokenFile = config.federatedTokenFile ?? nonEmpty("AZURE_FEDERATED_TOKEN_FILE") {
            step = "azure workload identity (federated token \(tokenFile))"
            pairs.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            pairs.append(("client_assertion", try read(tokenFile, what: "federated token file", step: step)))
        } else {
            throw CloudCredentialError(
                "azure",
                "no credential: set auth.azure.client_secret_file or federated_token_file (or AZURE_FEDERATED_TOKEN_FILE)"
            )
        }
        var authority = nonEmpty("AZURE_AUTHORITY_HOST") ?? "https://login.microsoftonline.com"
        while authority.hasSuffix("/") { authority.removeLast() }
        let url = "\(authority)/\(tenant)/oauth2/v2.0/token"
        let response = try await http.send(
            .POST,
            url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: CloudHTTP.form(pairs),
            step: step
        )
        return try Self.token(
            response,
            endpoint: CloudHTTP.endpoint(url),
            step: step,
            identity: "client \(client) (tenant \(tenant))",
            now: now()
        )
    }

    /// The token of a v2.0 token endpoint's answer, or its error (`error`, the `AADSTS…` code of
    /// `error_description`).
    static func token(
        _ response: CloudHTTP.Response,
        endpoint: String,
        step: String,
        identity: String,
        now: Date
    ) throws(CloudCredentialError) -> CloudToken {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any]
        guard response.status == 200 else {
            var reason = "\(endpoint) answered HTTP \(response.status)"
            if let code = object?["error"] as? String {
                reason += " \(CloudCredentialError.sanitized(code))"
                if let description = object?["error_description"] as? String, !description.isEmpty {
                    // "AADSTS7000215: Invalid client secret provided. … Trace ID: …": the code and first sentence.
                    let first = description.split(separator: ".", maxSplits: 1).first.map(String.init) ?? description
                    reason += ": \(CloudCredentialError.sanitized(first))"
                }
            }
            throw CloudCredentialError(step, reason)
        }
        guard let token = object?["access_token"] as? String, !token.isEmpty else {
            throw CloudCredentialError(step, "\(endpoint) answered without an access_token")
        }
        let expiresIn =
            (object?["expires_in"] as? NSNumber)?.doubleValue ?? (object?["expires_in"] as? String).flatMap(Double.init)
        guard let expiresIn, expiresIn > 0 else {
            throw CloudCredentialError(step, "\(endpoint) answered a token without expires_in")
        }
        return CloudToken(
            token: Secret(token),
            expiry: now.addingTimeInterval(expiresIn),
            refreshMargin: min(refreshMargin, expiresIn / 5),
            identity: identity
        )
    }

    func read(_ path: String, what: String, step: String) throws(CloudCredentialError) -> String {
        switch CredentialFiles.read(path, what: what) {
        case .success(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw CloudCredentialError(step, "the \(what) \(path) is empty") }
            return trimmed
        case .failure(let failure):
            throw CloudCredentialError(step, failure.message)
        }
    }

    func nonEmpty(_ name: String) -> String? {
        guard let value = http.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
