import CrowsnestCore
import Foundation
import KubeSim
import PeerSupport
import Synchronization
import Testing

@testable import CrowsnestKube

/// The EKS token Crowsnest mints, checked against botocore's own signer, the AWS CLI's token shape and KubeSim's
/// EKS authenticator.
@Suite("EKS tokens minted in process", .timeLimit(.minutes(2)))
struct EKSTokenTests {
    static let keys = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        source: "test"
    )
    static let session = AWSCredentials(
        accessKeyID: "ASIAIOSFODNN7SESSION",
        secretAccessKey: Secret("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"),
        sessionToken: Secret("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+test/session=="),
        source: "test"
    )

    /// The presigned URL inside an EKS token, as query items.
    static func query(of token: String) throws -> (host: String, items: [String: String]) {
        #expect(token.hasPrefix("k8s-aws-v1."))
        var text = String(token.dropFirst("k8s-aws-v1.".count))
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"), "unpadded base64url")
        text = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        let data = try #require(Data(base64Encoded: text))
        let components = try #require(URLComponents(string: String(decoding: data, as: UTF8.self)))
        var items: [String: String] = [:]
        for item in components.queryItems ?? [] { items[item.name] = item.value ?? "" }
        return (components.host ?? "", items)
    }

    /// botocore's `SigV4QueryAuth` presigning the same request with the same credentials at the same second.
    static let botocoreScript = """
        import sys, datetime, botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        ak, sk, tok, region, cluster, amz = sys.argv[1:7]
        fixed = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        botocore.auth.get_current_datetime = lambda *a, **k: fixed
        request = AWSRequest(method="GET", url="https://sts.%s.amazonaws.com/" % region,
            params={"Action": "GetCallerIdentity", "Version": "2011-06-15"}, headers={"x-k8s-aws-id": cluster})
        botocore.auth.SigV4QueryAuth(Credentials(ak, sk, tok or None), "sts", region, expires=60).add_auth(request)
        print(request.prepare().url)
        """

    @Test(
        "the presigned URL is exactly what botocore's signer computes from the same credentials and time",
        arguments: [false, true]
    )
    func botocoreAgrees(withSession: Bool) async throws {
        let python = try await PythonPeer.require(module: "botocore", pipPackage: "botocore")
        let credentials = withSession ? Self.session : Self.keys
        let date = Date(timeIntervalSince1970: 1_765_000_000)
        let token = EKSTokenProvider.mint(
            clusterName: "prod-eu",
            credentials: credentials,
            region: "eu-west-1",
            date: date
        )
        let ours = try Self.query(of: token)
        let url = try await PythonPeer.run(
            python,
            script: Self.botocoreScript,
            arguments: [
                credentials.accessKeyID, credentials.secretAccessKey.revealed, credentials.sessionToken?.revealed ?? "",
                "eu-west-1", "prod-eu", SigV4.amzDate(date),
            ]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let theirs = try Self.query(of: "k8s-aws-v1." + EKSTokenProvider.base64URL(Array(url.utf8)))
        #expect(ours.host == "sts.eu-west-1.amazonaws.com")
        #expect(ours.host == theirs.host)
        #expect(ours.items == theirs.items)
        #expect(ours.items["X-Amz-Signature"]?.count == 64)
        #expect((ours.items["X-Amz-Security-Token"] != nil) == withSession)
        // A different secret gives a different signature: the comparison can fail.
        var wrong = credentials
        wrong.secretAccessKey = Secret("not-the-secret")
        let other = try Self.query(
            of: EKSTokenProvider.mint(clusterName: "prod-eu", credentials: wrong, region: "eu-west-1", date: date)
        )
        #expect(other.items["X-Amz-Signature"] != theirs.items["X-Amz-Signature"])
    }

    @Test("the token has the shape `aws eks get-token` prints, and KubeSim's EKS mode accepts both")
    func sameShapeAsAWSCLI() async throws {
        let aws = try PeerBinary.require("aws", debianPackage: "awscli")
        let home = try TemporaryDirectory("eks-cli")
        defer { home.remove() }
        let result = try await PeerProcess.run(
            aws,
            ["eks", "get-token", "--cluster-name", "prod-eu", "--output", "json"],
            environment: [
                "AWS_ACCESS_KEY_ID": Self.session.accessKeyID,
                "AWS_SECRET_ACCESS_KEY": Self.session.secretAccessKey.revealed,
                "AWS_SESSION_TOKEN": Self.session.sessionToken!.revealed,
                "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
            ],
            home: home.path,
            timeout: .seconds(60)
        )
        #expect(result.status == 0, "aws: \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let cliToken = try #require((object?["status"] as? [String: Any])?["token"] as? String)
        let ours = EKSTokenProvider.mint(
            clusterName: "prod-eu",
            credentials: Self.session,
            region: "eu-west-1",
            date: Date()
        )
        let cli = try Self.query(of: cliToken)
        let mine = try Self.query(of: ours)
        #expect(mine.host == cli.host)
        #expect(Set(mine.items.keys) == Set(cli.items.keys))
        for name in [
            "Action", "Version", "X-Amz-Algorithm", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token",
        ] {
            #expect(mine.items[name] == cli.items[name], "\(name)")
        }
        let verifier = EKSAuthentication(
            clusterName: "prod-eu",
            credentials: [
                EKSAuthentication.Credential(
                    accessKeyID: Self.session.accessKeyID,
                    secretAccessKey: Self.session.secretAccessKey.revealed,
                    identity: Identity(user: "arn:aws:sts::111122223333:assumed-role/gateway/s"),
                    sessionToken: Self.session.sessionToken!.revealed
                )
            ]
        )
        #expect((try? verifier.verify(cliToken).get()) != nil)
        #expect((try? verifier.verify(ours).get()) != nil)
    }

    @Test("KubeSim's EKS mode rejects a tampered, expired, other-cluster or session-less token")
    func kubeSimRejectsBadTokens() throws {
        let identity = Identity(user: "arn:aws:iam::111122223333:user/gateway")
        let clock = FakeClock()
        let verifier = EKSAuthentication(
            clusterName: "prod-eu",
            credentials: [
                EKSAuthentication.Credential(
                    accessKeyID: Self.keys.accessKeyID,
                    secretAccessKey: Self.keys.secretAccessKey.revealed,
                    identity: identity
                ),
                EKSAuthentication.Credential(
                    accessKeyID: Self.session.accessKeyID,
                    secretAccessKey: Self.session.secretAccessKey.revealed,
                    identity: identity,
                    sessionToken: Self.session.sessionToken!.revealed
                ),
            ],
            now: { clock.now }
        )
        let now = Date()
        let good = EKSTokenProvider.mint(clusterName: "prod-eu", credentials: Self.keys, region: "eu-west-1", date: now)
        #expect(try verifier.verify(good).get() == identity)
        let sessionToken = EKSTokenProvider.mint(
            clusterName: "prod-eu",
            credentials: Self.session,
            region: "eu-west-1",
            date: now
        )
        #expect(try verifier.verify(sessionToken).get() == identity)
        var stripped = Self.session
        stripped.sessionToken = nil
        #expect(
            verifier.verify(
                EKSTokenProvider.mint(clusterName: "prod-eu", credentials: stripped, region: "eu-west-1", date: now)
            ) == .failure(.badSignature)
        )
        let otherCluster = EKSTokenProvider.mint(
            clusterName: "staging",
            credentials: Self.keys,
            region: "eu-west-1",
            date: now
        )
        #expect(verifier.verify(otherCluster) == .failure(.badSignature))
        var wrongSecret = Self.keys
        wrongSecret.secretAccessKey = Secret("guessed")
        #expect(
            verifier.verify(
                EKSTokenProvider.mint(clusterName: "prod-eu", credentials: wrongSecret, region: "eu-west-1", date: now)
            ) == .failure(.badSignature)
        )
        // Tampered: one character of the signature changed.
        let (host, items) = try Self.query(of: good)
        var tampered = items
        let signature = try #require(items["X-Amz-Signature"])
        tampered["X-Amz-Signature"] = (signature.first == "a" ? "b" : "a") + signature.dropFirst()
        let url =
            "https://\(host)/?"
            + tampered.sorted { $0.key < $1.key }.map { "\($0.key)=\(SigV4.encode($0.value))" }
            .joined(separator: "&")
        #expect(verifier.verify("k8s-aws-v1." + EKSTokenProvider.base64URL(Array(url.utf8))) == .failure(.badSignature))
        // Expired: 16 minutes later.
        clock.advance(by: 16 * 60)
        #expect(verifier.verify(good) == .failure(.expired))
    }

    @Test("a token is reused until a minute before its 15 minutes, and never outlives its credentials")
    func lifetimeAndMargin() async throws {
        let clock = FakeClock()
        var chain = AWSCredentialChain(
            config: AWSAuthConfig(clusterName: "prod-eu", region: "eu-west-1"),
            environment: [
                "AWS_ACCESS_KEY_ID": Self.keys.accessKeyID,
                "AWS_SECRET_ACCESS_KEY": Self.keys.secretAccessKey.revealed,
            ],
            http: try CloudTestSupport.unusedHTTP()
        )
        chain.now = { clock.now }
        let provider = EKSTokenProvider(chain: chain)
        let token = try await provider.token()
        #expect(abs(token.expiry.timeIntervalSince(clock.now) - 900) < 2)
        #expect(token.refreshMargin == 60)
        #expect(token.identity == "environment (AWS_ACCESS_KEY_ID)")
        var credential = ExecCredential(token: token.token, expiry: token.expiry, fetchedAt: clock.now)
        credential.refreshMargin = token.refreshMargin
        #expect(ClusterCredentials.isUsable(credential, now: clock.now.addingTimeInterval(13 * 60)))
        #expect(!ClusterCredentials.isUsable(credential, now: clock.now.addingTimeInterval(14 * 60 + 1)))
        #expect(!"\(token)".contains(token.token.revealed))
    }
}

/// A settable clock.
final class FakeClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}
