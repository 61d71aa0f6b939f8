import CrowsnestCore
import Foundation
import PeerSupport
import Testing

@testable import CrowsnestKube

/// The AWS credential sources in the SDKs' order, with STS played by moto_server.
@Suite("AWS credential chain against moto_server", .serialized, .timeLimit(.minutes(3)))
struct AWSCredentialChainTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCHAINSECRET"

    static func chain(
        _ config: AWSAuthConfig,
        _ environment: [String: String],
        timeout: Duration = .seconds(5)
    ) -> AWSCredentialChain {
        var environment = environment
        if environment["HOME"] == nil { environment["HOME"] = "/nonexistent-home" }
        return AWSCredentialChain(
            config: config,
            environment: environment,
            http: CloudTestSupport.http(environment, timeout: timeout)
        )
    }

    static func chain(_ environment: [String: String]) -> AWSCredentialChain {
        chain(AWSAuthConfig(clusterName: "prod-eu", region: "eu-west-1"), environment)
    }

    static func failure(_ body: () async throws(CloudCredentialError) -> AWSCredentials) async -> CloudCredentialError?
    {
        do throws(CloudCredentialError) {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("environment keys come first; an explicit profile skips them")
    func environmentFirst() async throws {
        let folder = try TemporaryDirectory("aws-env")
        defer { folder.remove() }
        let credentialsFile = try folder.write(
            "credentials",
            "[prod]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile-secret\n"
        )
        let environment = [
            "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": Self.secret,
            "AWS_SESSION_TOKEN": "env-session", "AWS_SHARED_CREDENTIALS_FILE": credentialsFile,
        ]
        let fromEnvironment = try await Self.chain(environment).resolve()
        #expect(fromEnvironment.accessKeyID == "AKIAENVIRONMENT00001")
        #expect(fromEnvironment.sessionToken?.revealed == "env-session")
        #expect(fromEnvironment.source == "environment (AWS_ACCESS_KEY_ID)")
        let explicit = try await Self.chain(
            AWSAuthConfig(clusterName: "prod-eu", region: "eu-west-1", profile: "prod"),
            environment
        ).resolve()
        #expect(explicit.accessKeyID == "AKIAPROFILEKEY000001")
        let half = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(["AWS_ACCESS_KEY_ID": "AKIAONLYTHEID0000001"]).resolve()
        }
        #expect(
            half?.description == "aws environment credentials: AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY"
        )
    }

    @Test("the shared files: profile from AWS_PROFILE, [profile NAME] in config, credentials file winning, region")
    func sharedFiles() async throws {
        let folder = try TemporaryDirectory("aws-files")
        defer { folder.remove() }
        let credentialsFile = try folder.write(
            "credentials",
            """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT000000001
            aws_secret_access_key = default-secret

            [staging]
            aws_access_key_id=AKIASTAGING000000001
            aws_secret_access_key=\(Self.secret)
            aws_session_token = staging-session ; trailing comment
            s3 =
              max_concurrent_requests = 20
            """
        )
        let configFile = try folder.write(
            "config",
            "[default]\nregion = us-east-2\n[profile staging]\nregion = ap-south-1\naws_access_key_id = AKIAIGNORED000000001\n"
                + "[sso-session corp]\nsso_region = us-east-1\n"
        )
        let environment = [
            "AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": configFile, "AWS_PROFILE": "staging",
        ]
        let chain = Self.chain(AWSAuthConfig(clusterName: "c"), environment)
        #expect(try chain.region() == "ap-south-1")
        let staging = try await chain.resolve()
        #expect(staging.accessKeyID == "AKIASTAGING000000001")
        #expect(staging.secretAccessKey.revealed == Self.secret)
        #expect(staging.sessionToken?.revealed == "staging-session")
        #expect(staging.source == "aws profile staging (shared files)")
        let defaults = try await Self.chain(
            AWSAuthConfig(clusterName: "c", profile: "default"),
            ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": configFile]
        ).resolve()
        #expect(defaults.accessKeyID == "AKIADEFAULT000000001")

        // Malformed: the error names the file and line, never a value.
        let broken = try folder.write("broken", "[default]\naws_access_key_id AKIABROKEN0000000001\n")
        let error = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(["AWS_SHARED_CREDENTIALS_FILE": broken, "AWS_CONFIG_FILE": "/nonexistent"]).resolve()
        }
        #expect(error?.description == "aws shared files: \(broken) line 2: expected key = value")
        let missing = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(
                AWSAuthConfig(clusterName: "c", region: "eu-west-1", profile: "nope"),
                ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": configFile]
            ).resolve()
        }
        #expect(missing?.step == "aws shared files")
        #expect(missing?.reason.contains("no profile nope in \(credentialsFile)") == true)
        // Where STS calls go: the per-service variable, the global one, the profile's endpoint_url, else AWS.
        let endpoints = try folder.write("endpoints", "[profile local]\nendpoint_url = http://127.0.0.1:4566\n")
        let local = AWSAuthConfig(clusterName: "c", region: "eu-west-1", profile: "local")
        #expect(
            Self.chain(local, ["AWS_CONFIG_FILE": endpoints]).stsEndpoint(region: "eu-west-1")
                == "http://127.0.0.1:4566"
        )
        #expect(
            Self.chain(local, ["AWS_CONFIG_FILE": endpoints, "AWS_ENDPOINT_URL": "http://127.0.0.1:1/"])
                .stsEndpoint(region: "eu-west-1") == "http://127.0.0.1:1"
        )
        #expect(
            Self.chain(
                local,
                [
                    "AWS_CONFIG_FILE": endpoints, "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                    "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:2",
                ]
            ).stsEndpoint(region: "eu-west-1") == "http://127.0.0.1:2"
        )
        #expect(
            Self.chain(local, ["AWS_CONFIG_FILE": endpoints, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
                .stsEndpoint(region: "cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn"
        )
        let noRegion = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(AWSAuthConfig(clusterName: "c", profile: "nope"), [:]).resolve()
        }
        #expect(noRegion?.step == "aws region")
    }

    @Test("web identity (IRSA): AssumeRoleWithWebIdentity at moto with the token file read at each call")
    func webIdentity() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let folder = try TemporaryDirectory("aws-irsa")
        defer { folder.remove() }
        let tokenFile = try folder.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl\n")
        let environment = [
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/crowsnest-irsa",
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "irsa-test",
            "AWS_ENDPOINT_URL_STS": moto.endpoint,
        ]
        let credentials = try await Self.chain(environment).resolve()
        #expect(credentials.identity == "arn:aws:sts::123456789012:assumed-role/crowsnest-irsa/irsa-test")
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.expiration.map { $0 > Date() } == true)
        let issued = try await moto.issuedSessions()
        #expect(issued.count == 1)
        #expect(issued.first?.accessKeyID == credentials.accessKeyID)
        #expect(issued.first?.secret == credentials.secretAccessKey.revealed)
        #expect(issued.first?.sessionToken == credentials.sessionToken?.revealed)

        try FileManager.default.removeItem(atPath: tokenFile)
        let error = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(environment).resolve()
        }
        #expect(error?.step == "aws web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)")
        #expect(error?.reason.contains("cannot read web identity token file \(tokenFile)") == true)
    }

    @Test("role_arn: AssumeRole at moto signed with the keys found; a profile's role with source_profile")
    func assumeRole() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let folder = try TemporaryDirectory("aws-role")
        defer { folder.remove() }
        let environment = [
            "AWS_ACCESS_KEY_ID": "AKIAASSUMER000000001", "AWS_SECRET_ACCESS_KEY": Self.secret,
            "AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_ROLE_SESSION_NAME": "role-test",
        ]
        let assumed = try await Self.chain(
            AWSAuthConfig(
                clusterName: "prod-eu",
                region: "eu-west-1",
                roleARN: "arn:aws:iam::123456789012:role/reader"
            ),
            environment
        ).resolve()
        #expect(assumed.identity == "arn:aws:sts::123456789012:assumed-role/reader/role-test")
        #expect(assumed.source == "role_arn, on environment (AWS_ACCESS_KEY_ID)")
        #expect(try await moto.issuedSessions().map(\.accessKeyID) == [assumed.accessKeyID])

        let configFile = try folder.write(
            "config",
            "[profile base]\naws_access_key_id = AKIABASEPROFILE00001\naws_secret_access_key = base-secret\n"
                + "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n"
                + "duration_seconds = 900\n"
        )
        let viaProfile = try await Self.chain(
            AWSAuthConfig(clusterName: "prod-eu", region: "eu-west-1", profile: "ops"),
            [
                "AWS_CONFIG_FILE": configFile, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_ROLE_SESSION_NAME": "ops-test",
            ]
        ).resolve()
        #expect(viaProfile.identity == "arn:aws:sts::123456789012:assumed-role/ops/ops-test")
        let lifetime = try #require(viaProfile.expiration).timeIntervalSince(viaProfile.obtainedAt)
        #expect(abs(lifetime - 900) < 5)
    }

    @Test("STS failures name the step, the endpoint, the HTTP status and AWS's error code")
    func stsFailures() async throws {
        // moto checking signatures against the IAM keys it knows: an unknown key gets STS's real 403 answer.
        let strict = try await MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "0"])
        defer { strict.stop() }
        let environment = [
            "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000001", "AWS_SECRET_ACCESS_KEY": Self.secret,
            "AWS_ENDPOINT_URL_STS": strict.endpoint,
        ]
        let config = AWSAuthConfig(
            clusterName: "prod-eu",
            region: "eu-west-1",
            roleARN: "arn:aws:iam::123456789012:role/reader"
        )
        let rejected = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(config, environment).resolve()
        }
        #expect(rejected?.step == "aws role_arn (AssumeRole)")
        #expect(
            rejected?.reason.hasPrefix("STS AssumeRole at \(strict.endpoint) answered HTTP 403 InvalidClientTokenId")
                == true
        )
        #expect(rejected.map { !"\($0)".contains(Self.secret) } == true)

        // Down: nothing listens.
        let closed = "http://127.0.0.1:\(try freeLoopbackPort())"
        var down = environment
        down["AWS_ENDPOINT_URL_STS"] = closed
        let refused = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(config, down).resolve()
        }
        #expect(rejected != nil)
        #expect(refused?.description == "aws role_arn (AssumeRole): cannot reach \(closed): connection refused")

        // Slow: accepts and never answers.
        let python = try PythonPeer.python()
        let port = try freeLoopbackPort()
        let silent = try PeerProcess(
            python,
            [
                "-c",
                "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                    + "s.bind(('127.0.0.1',\(port)))\ns.listen(8)\nc=s.accept()\ntime.sleep(30)",
            ]
        )
        defer { silent.stop() }
        try await Task.sleep(for: .milliseconds(500))
        var slow = environment
        slow["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:\(port)"
        let timedOut = await Self.failure { () async throws(CloudCredentialError) in
            try await Self.chain(config, slow, timeout: .seconds(1)).resolve()
        }
        #expect(timedOut?.description == "aws role_arn (AssumeRole): http://127.0.0.1:\(port) did not answer within 1s")
    }
}
