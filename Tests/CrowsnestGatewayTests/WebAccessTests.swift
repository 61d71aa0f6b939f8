import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import Hummingbird
import HummingbirdCore
import KubeSim
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import Testing

/// `web:` in crowsnest.yaml: bearer token / basic auth on the gateway's endpoints, TLS on the listener.
@Suite("Web access: authentication and TLS on the gateway's listener", .serialized)
struct WebAccessTests {
    static let protectedPaths = ["/metrics", "/federate", "/", "/api/v1/clusters", "/-/metrics", "/clusters/east"]

    @Test("without web settings every endpoint is open (the default)")
    func openByDefault() async throws {
        try await WebGateway.run(web: WebConfig()) { (gateway: WebGateway) async throws in
            for path in Self.protectedPaths where path != "/clusters/east" {
                #expect(try await gateway.get(path).status == 200, "\(path)")
            }
        }
    }

    @Test("bearer token: required on every endpoint but the probes; a rotated token takes effect without a restart")
    func bearerToken() async throws {
        let files = try SecretFiles()
        try files.write("token", "s3cret-token-\(UUID().uuidString)\n")
        let token = try files.read("token")
        try await WebGateway.run(web: WebConfig(bearerTokenFile: files.path("token"))) {
            (gateway: WebGateway) async throws in
            for path in Self.protectedPaths {
                let anonymous = try await gateway.get(path)
                #expect(anonymous.status == 401, "\(path) without a token")
                #expect(anonymous.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
                #expect(!anonymous.body.contains(token))
                #expect(try await gateway.get(path, authorization: "Bearer wrong").status == 401, "\(path) wrong token")
                #expect(try await gateway.get(path, authorization: "Bearer \(token)x").status == 401)
            }
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(token)").status == 200)
            #expect(try await gateway.get("/-/metrics", authorization: "bearer \(token)").status == 200)
            #expect(try await gateway.get("/-/healthy").status == 200)
            #expect(try await gateway.get("/-/reload", method: .POST).status == 401)
            // Rotation: the new token works, the old one stops working.
            try files.write("token", "rotated-\(UUID().uuidString)")
            let rotated = try files.read("token")
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(rotated)").status == 200)
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(token)").status == 401)
            // An unreadable file denies everyone (fail closed).
            try FileManager.default.removeItem(atPath: files.path("token"))
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(rotated)").status == 401)
        }
    }

    @Test("basic auth: right user and password pass, anything else is 401 with a Basic challenge")
    func basicAuth() async throws {
        let files = try SecretFiles()
        try files.write("password", "pa:ss word\n")
        let web = WebConfig(basicAuth: BasicAuth(username: "prometheus", passwordFile: files.path("password")))
        try await WebGateway.run(web: web) { (gateway: WebGateway) async throws in
            let good = "Basic " + Data("prometheus:pa:ss word".utf8).base64EncodedString()
            let wrongPassword = "Basic " + Data("prometheus:pa:ss".utf8).base64EncodedString()
            let wrongUser = "Basic " + Data("grafana:pa:ss word".utf8).base64EncodedString()
            for path in Self.protectedPaths where path != "/clusters/east" {
                #expect(try await gateway.get(path, authorization: good).status == 200, "\(path)")
            }
            for header in [
                wrongPassword, wrongUser, "Basic not-base64!", "Basic " + Data("prometheus".utf8).base64EncodedString(),
            ] {
                let response = try await gateway.get("/metrics", authorization: header)
                #expect(response.status == 401, "\(header)")
                #expect(response.headers.first(name: "WWW-Authenticate")?.hasPrefix("Basic") == true)
            }
            #expect(try await gateway.get("/-/ready").status != 401)
        }
    }

    @Test("TLS on the listener: HTTPS with the configured certificate; plain HTTP gets no response")
    func tlsListener() async throws {
        let files = try SecretFiles()
        let authority = try CertificateAuthority(commonName: "web-test-ca")
        let issued = try authority.issueServerCertificate(
            commonName: "crowsnest",
            dnsNames: ["localhost"],
            ipAddresses: ["127.0.0.1"],
            notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(86_400)
        )
        try files.write("tls.crt", issued.certificatePEM)
        try files.write("tls.key", issued.privateKeyPEM)
        try files.write("token", "tls-token")
        let web = WebConfig(
            tlsCertFile: files.path("tls.crt"),
            tlsKeyFile: files.path("tls.key"),
            bearerTokenFile: files.path("token")
        )
        var trustingClient = TLSConfiguration.makeClientConfiguration()
        trustingClient.trustRoots = .certificates(
            try NIOSSLCertificate.fromPEMBytes(Array(authority.certificatePEM.utf8))
        )
        let trust = trustingClient
        try await WebGateway.run(web: web) { (gateway: WebGateway) async throws in
            #expect(
                try await gateway.get("/metrics", scheme: "https", tls: trust, authorization: "Bearer tls-token").status
                    == 200
            )
            #expect(try await gateway.get("/metrics", scheme: "https", tls: trust).status == 401)
            // A client that does not trust the CA refuses the connection.
            await #expect(throws: (any Error).self) {
                _ = try await gateway.get(
                    "/-/healthy",
                    scheme: "https",
                    tls: TLSConfiguration.makeClientConfiguration()
                )
            }
            // Plain HTTP to the TLS port: no HTTP response.
            await #expect(throws: (any Error).self) { _ = try await gateway.get("/-/healthy") }
        }
    }

    @Test("a certificate or key that cannot be used is a clear error naming the file, not the key")
    func badCertificate() throws {
        let files = try SecretFiles()
        try files.write("tls.crt", "not a certificate")
        try files.write(
            "tls.key",
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n"
        )
        let web = WebConfig(tlsCertFile: files.path("tls.crt"), tlsKeyFile: files.path("tls.key"))
        let certificateError = #expect(throws: (any Error).self) { _ = try WebListener.serverBuilder(for: web) }
        #expect("\(certificateError!)".contains(files.path("tls.crt")))
        #expect(!"\(certificateError!)".contains("c2VjcmV0"))
        let authority = try CertificateAuthority(commonName: "web-test-ca")
        try files.write("tls.crt", authority.certificatePEM)
        let keyError = #expect(throws: (any Error).self) { _ = try WebListener.serverBuilder(for: web) }
        #expect("\(keyError!)".contains(files.path("tls.key")))
        #expect(!"\(keyError!)".contains("c2VjcmV0"))
    }
}

/// Temporary files holding web credentials.
struct SecretFiles {
    let directory: String

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "crowsnest-web-\(UUID().uuidString.prefix(8))"
            ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory + "/" + name }
    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }
    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A gateway on an empty cluster directory plus one simulated cluster, with `web` settings.
struct WebGateway {
    struct Reply {
        var status: Int
        var body: String
        var headers: HTTPHeaders
    }

    let port: Int
    let httpClient: HTTPClient

    func get(
        _ path: String,
        method: HTTPMethod = .GET,
        scheme: String = "http",
        tls: TLSConfiguration? = nil,
        authorization: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "\(scheme)://127.0.0.1:\(port)\(path)")
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.tlsConfiguration = tls
        let response = try await httpClient.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: body), headers: response.headers)
    }

    static func run(web: WebConfig, _ body: @Sendable (WebGateway) async throws -> Void) async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "east"))
        try cluster.addExporterPods(namespace: "shop", count: 1, seriesPerPod: 5, namePrefix: "web")
        try await GatewayHarness.run([cluster], web: web) { harness, _ in
            try await body(WebGateway(port: harness.port, httpClient: harness.httpClient))
        }
    }
}
