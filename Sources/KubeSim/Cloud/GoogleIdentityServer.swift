import Crypto
public import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import _CryptoExtras

/// Google's side of GKE authentication, simulated on a loopback port: the OAuth 2.0 token endpoint
/// (`POST /token`, the JWT bearer grant of RFC 7523 with RS256 assertions signed by service-account keys it
/// issued) and the GCE/GKE metadata server (`/computeMetadata/v1/…`, `Metadata-Flavor: Google`). Access tokens it
/// issues are added, with their expiry, to the ``BearerTokens`` of the GKE-style clusters that trust it, so those
/// clusters accept exactly the tokens it issued and only until they expire.
///
/// Assertions are checked as Google checks them: a known key id and issuer, an RS256 signature by that key, the
/// token URI (or Google's canonical token URL) as audience, a lifetime of at most an hour that covers now, and a scope.
public final class GoogleIdentityServer: Sendable {
    struct Account: Sendable {
        var email: String
        var identity: Identity
        var keys: [String: _RSA.Signing.PublicKey]
    }

    struct State: Sendable {
        var accounts: [String: Account] = [:]
        var defaultAccount: String?
        var issued: [(token: String, email: String)] = []
        var failure: (status: Int, error: String)?
    }

    private let listener: HTTPListener
    private let state = Mutex(State())
    /// The token sets of the clusters that accept this server's tokens.
    public let tokens: BearerTokens
    /// How long an access token lives.
    public let tokenLifetime: Duration

    /// Creates a server on a free loopback port; its tokens go into `tokens`.
    public init(tokens: BearerTokens, tokenLifetime: Duration = .seconds(3600)) {
        self.tokens = tokens
        self.tokenLifetime = tokenLifetime
        listener = HTTPListener(host: "127.0.0.1", port: 0, tlsContext: nil)
    }

    /// The bound port, once listening.
    public var port: Int? { listener.port }
    /// `http://127.0.0.1:PORT/token`: a key file's `token_uri`.
    public var tokenURI: String { "http://127.0.0.1:\(port ?? 0)/token" }
    /// `127.0.0.1:PORT`: the value of `GCE_METADATA_HOST`.
    public var metadataHost: String { "127.0.0.1:\(port ?? 0)" }

    /// The access tokens issued so far, oldest first, with the account they were issued to.
    public var issued: [(token: String, email: String)] { state.withLock { $0.issued } }

    /// Makes every token request fail with `status` and OAuth error `error` (nil: answer normally again).
    public func fail(status: Int, error: String) { state.withLock { $0.failure = (status, error) } }

    /// Answers normally again.
    public func recover() { state.withLock { $0.failure = nil } }

    /// Creates (or adds a key to) service account `email`, mapped to `identity` in the clusters; returns the key
    /// file's JSON as `gcloud iam service-accounts keys create` writes it. With `isDefault`, the metadata server
    /// hands out its tokens.
    public func addServiceAccountKey(
        email: String,
        identity: Identity,
        isDefault: Bool = false,
        revokingOtherKeys: Bool = false
    ) throws -> String {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let keyID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        state.withLock { state in
            var account = state.accounts[email] ?? Account(email: email, identity: identity, keys: [:])
            if revokingOtherKeys { account.keys = [:] }
            account.keys[keyID] = key.publicKey
            account.identity = identity
            state.accounts[email] = account
            if isDefault { state.defaultAccount = email }
        }
        let object: [String: Any] = [
            "type": "service_account", "project_id": "sim-project", "private_key_id": keyID,
            "private_key": key.pkcs8PEMRepresentation, "client_email": email, "client_id": "1000000000000",
            "auth_uri": "http://127.0.0.1:\(port ?? 0)/auth", "token_uri": tokenURI,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Serves until cancelled.
    public func run() async throws {
        try await listener.run { [self] connection in await self.serve(connection) }
    }

    /// Runs the server for the duration of `body`.
    public func withRunning<Result: Sendable>(
        _ body: (GoogleIdentityServer) async throws -> Result
    ) async throws -> Result {
        listener.prepareForRun()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                _ = try await listener.waitUntilListening()
                let result = try await body(self)
                group.cancelAll()
                try? await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    private func serve(_ connection: HTTPConnectionChannel) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = ByteBuffer()
                    case .body(var chunk):
                        if body.readableBytes + chunk.readableBytes <= 1 << 20 { body.writeBuffer(&chunk) }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let (status, headers, text) = respond(requestHead, body: String(buffer: body))
                        let writer = ResponseWriter(
                            outbound: outbound,
                            channel: channel,
                            keepAlive: requestHead.isKeepAlive,
                            auditID: ""
                        ) { _ in }
                        var allHeaders = headers
                        allHeaders.add(name: "Content-Length", value: String(text.utf8.count))
                        try await writer.head(status, headers: allHeaders, apiServerHeaders: false)
                        try await writer.body(ByteBuffer(string: text))
                        try await writer.end()
                        if !requestHead.isKeepAlive || !channel.isActive { return }
                    }
                }
            }
        } catch {
            // The client went away.
        }
    }

    /// The answer to one request: status, headers, body.
    func respond(_ head: HTTPRequestHead, body: String) -> (Int, HTTPHeaders, String) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let metadataHeaders: HTTPHeaders = ["Metadata-Flavor": "Google", "Content-Type": "application/json"]
        if path == "/token", head.method == .POST { return tokenGrant(body) }
        if path == "/" || path.hasPrefix("/computeMetadata/") {
            guard head.headers.first(name: "Metadata-Flavor") == "Google" else {
                return (403, ["Content-Type": "text/plain"], "Missing Metadata-Flavor:Google header.\n")
            }
            let account = state.withLock { $0.defaultAccount }
            switch path {
            case "/":
                return (200, ["Metadata-Flavor": "Google", "Content-Type": "text/plain"], "computeMetadata/\n")
            case "/computeMetadata/v1/instance/service-accounts/default/",
                "/computeMetadata/v1/instance/service-accounts/default":
                guard let account else { return (404, metadataHeaders, "not found\n") }
                let info: [String: Any] = [
                    "aliases": ["default"], "email": account,
                    "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
                ]
                return (200, metadataHeaders, Self.json(info))
            case "/computeMetadata/v1/instance/service-accounts/default/email":
                guard let account else { return (404, metadataHeaders, "not found\n") }
                return (200, ["Metadata-Flavor": "Google", "Content-Type": "text/plain"], account)
            case "/computeMetadata/v1/instance/service-accounts/default/token":
                guard let account else { return (404, metadataHeaders, "not found\n") }
                if let failure = state.withLock({ $0.failure }) {
                    return (failure.status, metadataHeaders, Self.json(["error": failure.error]))
                }
                return (200, metadataHeaders, issue(to: account))
            case "/computeMetadata/v1/project/project-id":
                return (200, ["Metadata-Flavor": "Google", "Content-Type": "text/plain"], "sim-project")
            default:
                return (404, metadataHeaders, "not found\n")
            }
        }
        return (404, ["Content-Type": "text/plain"], "not found\n")
    }

    /// The JWT bearer grant.
    func tokenGrant(_ body: String) -> (Int, HTTPHeaders, String) {
        let headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        func error(_ code: String, _ description: String) -> (Int, HTTPHeaders, String) {
            (400, headers, Self.json(["error": code, "error_description": description]))
        }
        if let failure = state.withLock({ $0.failure }) {
            return (failure.status, headers, Self.json(["error": failure.error, "error_description": "simulated"]))
        }
        let form = QueryParameters(body)
        var fields: [String: String] = [:]
        for (name, value) in form.pairs { fields[name] = value }
        guard fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return error("unsupported_grant_type", "Invalid grant_type: \(fields["grant_type"] ?? "")")
        }
        guard let assertion = fields["assertion"] else { return error("invalid_request", "Missing assertion") }
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
            let claimBytes = Base64URL.decode(String(parts[1])), let signature = Base64URL.decode(String(parts[2])),
            let jwtHeader = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: Data(claimBytes))) as? [String: Any]
        else { return error("invalid_grant", "Invalid JWT: not three base64url JSON parts") }
        guard jwtHeader["alg"] as? String == "RS256" else { return error("invalid_grant", "Invalid JWT algorithm") }
        guard let issuer = claims["iss"] as? String, let account = state.withLock({ $0.accounts[issuer] }) else {
            return error("invalid_grant", "Invalid JWT: unknown issuer")
        }
        let keys: [_RSA.Signing.PublicKey]
        if let keyID = jwtHeader["kid"] as? String {
            guard let key = account.keys[keyID] else { return error("invalid_grant", "Invalid JWT Signature.") }
            keys = [key]
        } else {
            keys = Array(account.keys.values)
        }
        let signed = Array((parts[0] + "." + parts[1]).utf8)
        let valid = keys.contains { key in
            key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: signed),
                padding: .insecurePKCS1v1_5
            )
        }
        guard valid else { return error("invalid_grant", "Invalid JWT Signature.") }
        // Google's endpoint accepts its own URL as audience: the key's token_uri (what Go's oauth2 sends) and the
        // canonical https://oauth2.googleapis.com/token (what google-auth sends whatever the token_uri).
        guard let audience = claims["aud"] as? String,
            audience == tokenURI || audience == "https://oauth2.googleapis.com/token"
        else { return error("invalid_grant", "Invalid JWT: wrong audience") }
        let now = Date().timeIntervalSince1970
        guard let iat = (claims["iat"] as? NSNumber)?.doubleValue, let exp = (claims["exp"] as? NSNumber)?.doubleValue,
            exp > now, iat <= now + 60, exp - iat <= 3600
        else {
            return error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
            )
        }
        guard (claims["scope"] as? String).map({ !$0.isEmpty }) == true else {
            return error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        }
        return (200, headers, issue(to: account.email))
    }

    /// Issues an access token to `email` and adds it to the clusters' tokens.
    func issue(to email: String) -> String {
        let token = "ya29.sim-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let seconds = Int(tokenLifetime.components.seconds)
        let identity = state.withLock { state in
            state.issued.append((token, email))
            return state.accounts[email]?.identity ?? Identity(user: email)
        }
        tokens.add(token, for: identity, expiresAt: Date().addingTimeInterval(TimeInterval(seconds)))
        return Self.json(["access_token": token, "expires_in": seconds, "token_type": "Bearer"])
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
