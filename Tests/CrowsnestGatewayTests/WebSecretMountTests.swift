import CrowsnestCore
import Foundation
import PeerSupport
import Testing

/// `web:` secrets mounted from a Kubernetes Secret: the kubelet's `..data` swap (``KubeletVolume``) rotates the scrape
/// token and the basic-auth password without a restart, though the files the configuration names never change.
@Suite("Web secrets in a mounted Secret rotate", .serialized)
struct WebSecretMountTests {
    @Test("a bearer token and a basic-auth password rotated by the kubelet's swap take effect at once")
    func rotation() async throws {
        let folder = try SecretFiles()
        let volume = try KubeletVolume(path: folder.path("secret"), mode: 0o440)
        // Same lengths before and after: only the file behind the link differs.
        let (token, rotatedToken) = ("token-aaaaaaaa", "token-bbbbbbbb")
        let (password, rotatedPassword) = ("password-1111", "password-2222")
        try volume.write(["token": token, "password": password])
        let web = WebConfig(
            basicAuth: BasicAuth(username: "prometheus", passwordFile: folder.path("secret/password")),
            bearerTokenFile: folder.path("secret/token")
        )
        @Sendable func basic(_ password: String) -> String {
            "Basic " + Data("prometheus:\(password)".utf8).base64EncodedString()
        }
        try await WebGateway.run(web: web) { (gateway: WebGateway) async throws in
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(token)").status == 200)
            #expect(try await gateway.get("/metrics", authorization: basic(password)).status == 200)
            try volume.write(["token": rotatedToken, "password": rotatedPassword])
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(rotatedToken)").status == 200)
            #expect(try await gateway.get("/metrics", authorization: "Bearer \(token)").status == 401)
            #expect(try await gateway.get("/metrics", authorization: basic(rotatedPassword)).status == 200)
            #expect(try await gateway.get("/metrics", authorization: basic(password)).status == 401)
        }
    }
}
