import AsyncHTTPClient
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import NIOSSL
import PeerSupport
import Synchronization
import Testing

@Suite("Authentication and authorization", .timeLimit(.minutes(2)))
struct AuthTests {
    @Test func tokensRotateAndExpire() async throws {
        try await withCluster { cluster, client in
            let identity = Identity(user: "rotating", groups: ["system:masters"])
            cluster.tokens.add("old-token", for: identity)
            var caller = client
            caller.token = "old-token"
            #expect(try await caller.send("/api/v1/pods").status == 200)
            cluster.tokens.rotate(from: "old-token", to: "new-token")
            #expect(try await caller.send("/api/v1/pods").status == 401)
            caller.token = "new-token"
            #expect(try await caller.send("/api/v1/pods").status == 200)
            cluster.tokens.add("expired", for: identity, expiresAt: Date().addingTimeInterval(-1))
            caller.token = "expired"
            #expect(try await caller.send("/api/v1/pods").status == 401)
            let expiry = Date().addingTimeInterval(3)
            cluster.tokens.add("short-lived", for: identity, expiresAt: expiry)
            caller.token = "short-lived"
            let beforeExpiry = try await caller.send("/api/v1/pods")
            #expect(beforeExpiry.status == 200 || Date() >= expiry)
            try await Task.sleep(for: .seconds(max(0, expiry.timeIntervalSinceNow) + 0.2))
            #expect(try await caller.send("/api/v1/pods").status == 401)
            #expect(cluster.requestLog.entries.contains { $0.user == "rotating" && $0.status == 200 })
        }
    }

    @Test func clientCertificates() async throws {
        try await withCluster { cluster, client in
            cluster.policy.allowScraping(.group("scrapers"))
            let issued = try cluster.certificateAuthority.issueClientCertificate(
                for: Identity(user: "cert-user", groups: ["scrapers", "ops"])
            )
            var tls = client.tls
            tls.certificateChain = [
                .certificate(try NIOSSLCertificate(bytes: Array(issued.certificatePEM.utf8), format: .pem))
            ]
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem))
            var request = HTTPClientRequest(url: cluster.apiServerURL! + "/api/v1/pods")
            request.tlsConfiguration = tls
            let response = try await client.http.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            let entry = cluster.requestLog.entries.last
            #expect(entry?.user == "cert-user")
            #expect(entry?.groups.contains("scrapers") == true)
            #expect(entry?.groups.contains("ops") == true)
        }
    }

    @Test func selfSubjectAccessReview() async throws {
        try await withCluster { cluster, client in
            let gateway = Identity.serviceAccount(namespace: "monitoring", name: "gw")
            cluster.policy.allowScraping(.user(gateway.user))
            cluster.policy.deny(.user(gateway.user), namespaces: ["secret"])
            var caller = client
            caller.token = cluster.issueToken(for: gateway)
            func review(_ attributes: String) async throws -> TestResponse {
                try await caller.send(
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    method: .POST,
                    headers: [("Content-Type", "application/json")],
                    body:
                        #"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":"#
                        + attributes + "}}"
                )
            }
            let proxy = try await review(#"{"namespace":"app","verb":"get","resource":"pods","subresource":"proxy"}"#)
            #expect(proxy.status == 201)
            #expect(proxy.json[path: "status", "allowed"] as? Bool == true)
            #expect(proxy.json[path: "spec", "resourceAttributes", "subresource"] as? String == "proxy")
            let denied = try await review(#"{"namespace":"secret","verb":"list","resource":"pods"}"#)
            #expect(denied.json[path: "status", "allowed"] as? Bool == false)
            let delete = try await review(#"{"namespace":"app","verb":"delete","resource":"pods"}"#)
            #expect(delete.json[path: "status", "allowed"] as? Bool == false)
            let empty = try await caller.send(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                method: .POST,
                body: #"{"spec":{}}"#
            )
            StatusTests.expectStatus(empty, code: 422, reason: "Invalid")
            let junk = try await caller.send(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                method: .POST,
                body: "not json"
            )
            StatusTests.expectStatus(junk, code: 400, reason: "BadRequest")
        }
    }

    static let credential = EKSAuthentication.Credential(
        accessKeyID: "AKIAKUBESIMTEST00001",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYKUBESIMKEY",
        identity: Identity(user: "arn:aws:iam::111122223333:user/tester", groups: ["system:masters"])
    )

    @Test func eksTokensVerifiedOffline() throws {
        let verifier = EKSAuthentication(clusterName: "prod", credentials: [Self.credential])
        let good = EKSAuthentication.presignedToken(
            clusterName: "prod",
            credential: Self.credential,
            region: "eu-west-1"
        )
        #expect(try verifier.verify(good).get().user == "arn:aws:iam::111122223333:user/tester")
        let otherCluster = EKSAuthentication.presignedToken(clusterName: "staging", credential: Self.credential)
        #expect(verifier.verify(otherCluster) == .failure(.badSignature))
        let old = EKSAuthentication.presignedToken(
            clusterName: "prod",
            credential: Self.credential,
            date: Date().addingTimeInterval(-16 * 60)
        )
        #expect(verifier.verify(old) == .failure(.expired))
        var wrongSecret = Self.credential
        wrongSecret.secretAccessKey = "something-else"
        #expect(
            verifier.verify(EKSAuthentication.presignedToken(clusterName: "prod", credential: wrongSecret))
                == .failure(.badSignature)
        )
        var unknownKey = Self.credential
        unknownKey.accessKeyID = "AKIAUNKNOWN000000000"
        #expect(
            verifier.verify(EKSAuthentication.presignedToken(clusterName: "prod", credential: unknownKey))
                == .failure(.unknownAccessKey)
        )
        #expect(verifier.verify("k8s-aws-v1.!!!") != .success(Self.credential.identity))
        #expect(verifier.verify("plain-token") == .failure(.notAnEKSToken))
        // Strict SigV4 expiry: the CLI's X-Amz-Expires=60.
        let strict = EKSAuthentication(clusterName: "prod", credentials: [Self.credential], expiryRule: .amzExpires)
        let twoMinutesOld = EKSAuthentication.presignedToken(
            clusterName: "prod",
            credential: Self.credential,
            date: Date().addingTimeInterval(-120)
        )
        #expect(strict.verify(twoMinutesOld) == .failure(.expired))
        #expect(try verifier.verify(twoMinutesOld).get() == Self.credential.identity)
    }

    /// The real `aws eks get-token` (AWS CLI) against an EKS-style simulated cluster.
    @Test func awsCLITokens() async throws {
        let aws = try PeerBinary.require("aws", debianPackage: "awscli")
        let home = try TemporaryDirectory("kubesim-aws")
        defer { home.remove() }
        func token(cluster: String, region: String = "eu-west-1") async throws -> String {
            let result = try await PeerProcess.run(
                aws,
                ["eks", "get-token", "--cluster-name", cluster, "--output", "json"],
                environment: [
                    "AWS_ACCESS_KEY_ID": Self.credential.accessKeyID,
                    "AWS_SECRET_ACCESS_KEY": Self.credential.secretAccessKey,
                    "AWS_DEFAULT_REGION": region,
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                    "AWS_EC2_METADATA_DISABLED": "true",
                ],
                home: home.path,
                timeout: .seconds(60)
            )
            #expect(result.status == 0, "aws: \(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let value = try #require(object?[path: "status", "token"] as? String)
            #expect(value.hasPrefix("k8s-aws-v1."))
            return value
        }
        let valid = try await token(cluster: "eks-sim")
        let otherCluster = try await token(cluster: "someone-else")

        let clock = FakeClock()
        var configuration = ClusterConfiguration(name: "eks-sim", gitVersion: "v1.31.4-eks-2d5f260")
        configuration.eks = EKSAuthentication(
            clusterName: "eks-sim",
            credentials: [Self.credential],
            now: { clock.now }
        )
        try await withCluster(configuration) { cluster, client in
            var caller = client
            caller.token = valid
            #expect(try await caller.send("/api/v1/pods").status == 200)
            #expect(cluster.requestLog.entries.last?.user == Self.credential.identity.user)

            caller.token = otherCluster
            #expect(try await caller.send("/api/v1/pods").status == 401)

            // Tampered: flip one character of the signature inside the presigned URL.
            var decoded = try #require(Data(base64Encoded: base64Padded(String(valid.dropFirst("k8s-aws-v1.".count)))))
            let text = String(decoding: decoded, as: UTF8.self)
            let signatureStart = try #require(text.range(of: "X-Amz-Signature=")).upperBound
            var tamperedText = text
            let flipped: Character = text[signatureStart] == "a" ? "b" : "a"
            tamperedText.replaceSubrange(signatureStart...signatureStart, with: String(flipped))
            decoded = Data(tamperedText.utf8)
            caller.token =
                "k8s-aws-v1."
                + decoded.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/",
                    with: "_"
                ).replacingOccurrences(of: "=", with: "")
            #expect(try await caller.send("/api/v1/pods").status == 401)

            // Expired: the same valid token, 16 minutes later.
            clock.advance(by: 16 * 60)
            caller.token = valid
            StatusTests.expectStatus(try await caller.send("/api/v1/pods"), code: 401, reason: "Unauthorized")
        }
    }
}

/// A settable clock for expiry tests.
final class FakeClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

func base64Padded(_ text: String) -> String {
    var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while standard.count % 4 != 0 { standard += "=" }
    return standard
}
