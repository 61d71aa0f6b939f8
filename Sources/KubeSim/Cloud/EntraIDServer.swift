public import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Microsoft Entra ID's token endpoint, simulated over HTTPS on a loopback port, with an AKS mode: the v2.0
/// client-credentials grant (`POST /{tenant}/oauth2/v2.0/token`, a client secret or a federated client assertion)
/// and the OpenID discovery document MSAL reads first (`GET /{tenant}/v2.0/.well-known/openid-configuration`).
///
/// Tokens are issued for any registered client of any tenant, but only those issued for the AKS cluster's tenant
/// and server application (`scope={serverID}/.default`) are added to the cluster's ``BearerTokens``: the cluster
/// accepts exactly the tokens this server issued for it, until they expire. Errors are Entra's
/// (`invalid_client` with `AADSTS7000215`, `unauthorized_client` with `AADSTS700016`, …).
public final class EntraIDServer: Sendable {
    struct Client: Sendable {
        var tenant: String
        var clientID: String
        var secret: String?
        var federatedToken: String?
        var identity: Identity
    }

    struct State: Sendable {
        var clients: [String: Client] = [:]
        var issued: [(token: String, clientID: String, accepted: Bool)] = []
    }

    private let listener: HTTPListener
    private let state = Mutex(State())
    /// The AKS cluster's token set.
    public let tokens: BearerTokens
    /// The cluster's tenant.
    public let tenant: String
    /// The cluster's server application id.
    public let serverID: String
    /// How long a token lives.
    public let tokenLifetime: Duration
    /// The CA that signed the server's certificate (trust it: `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`).
    public let certificateAuthority: CertificateAuthority

    /// Creates a server on a free loopback port for an AKS cluster of `tenant` whose API server application is
    /// `serverID`; accepted tokens go into `tokens`.
    public init(
        tokens: BearerTokens,
        tenant: String,
        serverID: String = "6dae42f8-4368-4678-94ff-3960e28e3630",
        tokenLifetime: Duration = .seconds(3599)
    ) throws {
        self.tokens = tokens
        self.tenant = tenant
        self.serverID = serverID
        self.tokenLifetime = tokenLifetime
        let authority = try CertificateAuthority(commonName: "entra-sim-ca")
        certificateAuthority = authority
        let serving = try authority.issueServerCertificate(
            commonName: "127.0.0.1",
            dnsNames: ["localhost"],
            ipAddresses: ["127.0.0.1"],
            notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(86_400)
        )
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(try NIOSSLCertificate(bytes: Array(serving.certificatePEM.utf8), format: .pem))
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem))
        )
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        listener = HTTPListener(host: "127.0.0.1", port: 0, tlsContext: try NIOSSLContext(configuration: tls))
    }

    /// The bound port, once listening.
    public var port: Int? { listener.port }
    /// `https://127.0.0.1:PORT`: the value of `AZURE_AUTHORITY_HOST`.
    public var authorityHost: String { "https://127.0.0.1:\(port ?? 0)" }

    /// The tokens issued so far, oldest first, with the client and whether the AKS cluster accepts it.
    public var issued: [(token: String, clientID: String, accepted: Bool)] { state.withLock { $0.issued } }

    /// Registers an application (service principal) of `tenant` that authenticates with `secret` or with the
    /// federated token `federatedToken`, mapped to `identity` in the cluster. Registering again replaces it
    /// (a rotated secret).
    public func register(
        clientID: String,
        tenant: String,
        secret: String? = nil,
        federatedToken: String? = nil,
        identity: Identity
    ) {
        state.withLock {
            $0.clients[tenant + "/" + clientID] = Client(
                tenant: tenant,
                clientID: clientID,
                secret: secret,
                federatedToken: federatedToken,
                identity: identity
            )
        }
    }

    /// Runs the server for the duration of `body`.
    public func withRunning<Result: Sendable>(_ body: (EntraIDServer) async throws -> Result) async throws -> Result {
        listener.prepareForRun()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.listener.run { [self] connection in await self.serve(connection) } }
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
                        let (status, text) = respond(requestHead, body: String(buffer: body))
                        let writer = ResponseWriter(
                            outbound: outbound,
                            channel: channel,
                            keepAlive: requestHead.isKeepAlive,
                            auditID: ""
                        ) { _ in }
                        let headers: HTTPHeaders = [
                            "Content-Type": "application/json; charset=utf-8",
                            "Content-Length": String(text.utf8.count),
                        ]
                        try await writer.head(status, headers: headers, apiServerHeaders: false)
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

    /// The answer to one request: status and JSON body.
    func respond(_ head: HTTPRequestHead, body: String) -> (Int, String) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let segments = path.split(separator: "/").map(String.init)
        if head.method == .GET, segments.count == 4, segments[1] == "v2.0", segments[2] == ".well-known",
            segments[3] == "openid-configuration"
        {
            let base = authorityHost + "/" + segments[0]
            return (
                200,
                Self.json([
                    "token_endpoint": base + "/oauth2/v2.0/token",
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                    "issuer": base + "/v2.0", "jwks_uri": base + "/discovery/v2.0/keys",
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                    "response_types_supported": ["code", "id_token", "token"],
                ])
            )
        }
        guard head.method == .POST, segments.count == 4, segments[1] == "oauth2", segments[2] == "v2.0",
            segments[3] == "token"
        else { return (404, Self.json(["error": "not_found"])) }
        return grant(tenant: segments[0], QueryParameters(body))
    }

    func grant(tenant: String, _ form: QueryParameters) -> (Int, String) {
        func error(_ status: Int, _ code: String, _ number: Int, _ description: String) -> (Int, String) {
            (
                status,
                Self.json([
                    "error": code, "error_description": "AADSTS\(number): \(description) Trace ID: sim",
                    "error_codes": [number],
                ])
            )
        }
        guard form.first("grant_type") == "client_credentials" else {
            return error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        }
        let clientID = form.first("client_id") ?? ""
        guard let client = state.withLock({ $0.clients[tenant + "/" + clientID] }) else {
            return error(
                400,
                "unauthorized_client",
                700016,
                "Application with identifier '\(clientID)' was not found in the directory '\(tenant)'."
            )
        }
        if let secret = form.first("client_secret") {
            guard let expected = client.secret, expected == secret else {
                return error(401, "invalid_client", 7_000_215, "Invalid client secret provided.")
            }
        } else if let assertion = form.first("client_assertion") {
            guard form.first("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                let expected = client.federatedToken, expected == assertion
            else {
                return error(400, "invalid_client", 700213, "No matching federated identity record found.")
            }
        } else {
            return error(
                401,
                "invalid_client",
                7_000_218,
                "The request body must contain client_assertion or client_secret."
            )
        }
        guard let scope = form.first("scope"), scope.hasSuffix("/.default") else {
            return error(400, "invalid_scope", 1_002_012, "The provided value for scope is not valid.")
        }
        let resource = String(scope.dropLast("/.default".count))
        let seconds = Int(tokenLifetime.components.seconds)
        let expires = Date().addingTimeInterval(TimeInterval(seconds))
        let claims = Self.json([
            "aud": resource, "tid": tenant, "appid": clientID, "exp": Int(expires.timeIntervalSince1970),
            "iss": "https://sts.windows.net/\(tenant)/", "jti": UUID().uuidString,
        ])
        let token =
            Base64URL.encode(Array(#"{"typ":"JWT","alg":"RS256","kid":"sim"}"#.utf8)) + "."
            + Base64URL.encode(Array(claims.utf8)) + "." + Base64URL.encode(Array(UUID().uuidString.utf8))
        let accepted = tenant == self.tenant && resource == serverID
        if accepted { tokens.add(token, for: client.identity, expiresAt: expires) }
        state.withLock { $0.issued.append((token, clientID, accepted)) }
        return (
            200,
            Self.json([
                "token_type": "Bearer", "expires_in": seconds, "ext_expires_in": seconds, "access_token": token,
            ])
        )
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
