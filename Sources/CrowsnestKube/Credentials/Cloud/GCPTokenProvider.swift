import CrowsnestCore
import Crypto
import Foundation
import NIOHTTP1
import _CryptoExtras

/// Fetches Google OAuth 2.0 access tokens for GKE as Google's client libraries do: from a service-account key file
/// (a signed RS256 JWT exchanged at the key's `token_uri`, the JWT bearer grant of RFC 7523), an `authorized_user`
/// file (refresh-token grant), or, without a file, the metadata server (`GCE_METADATA_HOST` overrides
/// `metadata.google.internal`).
///
/// The file is read again for each token, so a rotated key is used from the next token on.
struct GCPTokenProvider: CloudTokenProvider {
    /// The scopes asked for (those `gke-gcloud-auth-plugin` asks for).
    static let scopes = "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email"
    /// google-auth refreshes 3 minutes 45 seconds before expiry.
    static let refreshMargin: TimeInterval = 225

    var config: GCPAuthConfig
    var http: CloudHTTP
    /// The clock (tests move it).
    var now: @Sendable () -> Date = { Date() }

    func token() async throws(CloudCredentialError) -> CloudToken {
        if let file = config.credentialsFile ?? nonEmpty("GOOGLE_APPLICATION_CREDENTIALS") {
            return try await fromFile(file)
        }
        return try await fromMetadataServer()
    }

    /// A token from the key file at `path`.
    func fromFile(_ path: String) async throws(CloudCredentialError) -> CloudToken {
        let step = "gcp credentials file \(path)"
        let text: String
        switch CredentialFiles.read(path, what: "GCP credentials file") {
        case .success(let read): text = read
        case .failure(let failure): throw CloudCredentialError("gcp credentials file", failure.message)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw CloudCredentialError(step, "not a JSON object (expected a service-account key)")
        }
        switch object["type"] as? String {
        case "service_account":
            return try await serviceAccountToken(object, step: step)
        case "authorized_user":
            guard let clientID = object["client_id"] as? String, let secret = object["client_secret"] as? String,
                let refresh = object["refresh_token"] as? String
            else {
                throw CloudCredentialError(
                    step,
                    "an authorized_user file needs client_id, client_secret, refresh_token"
                )
            }
            let tokenURI = (object["token_uri"] as? String) ?? "https://oauth2.googleapis.com/token"
            let body = CloudHTTP.form([
                ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", secret),
                ("refresh_token", refresh),
            ])
            return try await exchange(tokenURI, body: body, step: step, identity: "authorized user \(clientID)")
        case let type?:
            throw CloudCredentialError(
                step,
                "credentials of type \(CloudCredentialError.sanitized(type)) are not supported (service_account, "
                    + "authorized_user)"
            )
        case nil:
            throw CloudCredentialError(step, "has no \"type\" (expected a service-account key)")
        }
    }

    /// The JWT bearer grant with a service-account key.
    func serviceAccountToken(_ key: [String: Any], step: String) async throws(CloudCredentialError) -> CloudToken {
        guard let email = key["client_email"] as? String, !email.isEmpty else {
            throw CloudCredentialError(step, "the key has no client_email")
        }
        guard let pem = key["private_key"] as? String,
            let privateKey = try? _RSA.Signing.PrivateKey(pemRepresentation: pem)
        else { throw CloudCredentialError(step, "the key's private_key is not an RSA private key in PEM") }
        let tokenURI = (key["token_uri"] as? String) ?? "https://oauth2.googleapis.com/token"
        let issued = Int(now().timeIntervalSince1970)
        let assertion: String
        do {
            assertion = try Self.signedJWT(
                claims: [
                    "iss": email, "scope": Self.scopes, "aud": tokenURI, "iat": issued, "exp": issued + 3600,
                ],
                keyID: key["private_key_id"] as? String,
                key: privateKey
            )
        } catch {
            throw CloudCredentialError(step, "cannot sign the JWT with the key's private_key")
        }
        let body = CloudHTTP.form([
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion),
        ])
        return try await exchange(tokenURI, body: body, step: step, identity: email)
    }

    /// `BASE64URL(header).BASE64URL(claims).BASE64URL(RS256 signature)`.
    static func signedJWT(claims: [String: Any], keyID: String?, key: _RSA.Signing.PrivateKey) throws -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let encode = { (object: [String: Any]) throws -> String in
            EKSTokenProvider.base64URL(
                Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            )
        }
        let input = try encode(header) + "." + encode(claims)
        let signature = try key.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + EKSTokenProvider.base64URL(Array(signature.rawRepresentation))
    }

    /// POSTs a token request and reads the OAuth 2.0 answer.
    func exchange(
        _ url: String,
        body: String,
        step: String,
        identity: String
    ) async throws(CloudCredentialError)
        -> CloudToken
    {
        let response = try await http.send(
            .POST,
            url,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: body,
            step: step
        )
        return try Self.oauthToken(
            response,
            endpoint: CloudHTTP.endpoint(url),
            step: step,
            identity: identity,
            now: now()
        )
    }

    /// The metadata server's token for the instance's (or the GKE workload's) default service account.
    func fromMetadataServer() async throws(CloudCredentialError) -> CloudToken {
        let host = nonEmpty("GCE_METADATA_HOST") ?? nonEmpty("GCE_METADATA_IP") ?? "metadata.google.internal"
        let step = "gcp metadata server (no credentials_file)"
        let url = "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token"
        let response = try await http.send(.GET, url, headers: [("Metadata-Flavor", "Google")], step: step)
        return try Self.oauthToken(
            response,
            endpoint: CloudHTTP.endpoint(url),
            step: step,
            identity: "metadata server default service account",
            now: now()
        )
    }

    /// `{"access_token", "expires_in", "token_type"}`, or the OAuth error (`error`, `error_description`).
    static func oauthToken(
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
                    reason += ": \(CloudCredentialError.sanitized(description))"
                }
            }
            throw CloudCredentialError(step, reason)
        }
        guard let token = object?["access_token"] as? String, !token.isEmpty else {
            throw CloudCredentialError(step, "\(endpoint) answered without an access_token")
        }
        guard let expiresIn = (object?["expires_in"] as? NSNumber)?.doubleValue, expiresIn > 0 else {
            throw CloudCredentialError(step, "\(endpoint) answered a token without expires_in")
        }
        return CloudToken(
            token: Secret(token),
            expiry: now.addingTimeInterval(expiresIn),
            refreshMargin: min(refreshMargin, expiresIn / 5),
            identity: identity
        )
    }

    func nonEmpty(_ name: String) -> String? {
        guard let value = http.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
