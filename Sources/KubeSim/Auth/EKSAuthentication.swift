import Crypto
public import Foundation

/// EKS-style authentication: the cluster accepts the tokens `aws eks get-token --cluster-name NAME` prints
/// (`k8s-aws-v1.` + unpadded base64url of a presigned STS `GetCallerIdentity` URL) and verifies them offline,
/// as STS would, with test AWS credentials it is given.
///
/// Checks, as aws-iam-authenticator does: the URL is an STS endpoint with `Action=GetCallerIdentity` and
/// `Version=2011-06-15`; `x-k8s-aws-id` is among the signed headers and the signature is computed with the
/// cluster's own name as its value (so a token for another cluster fails); the SigV4 query signature matches
/// the secret of the access key in `X-Amz-Credential`; and `X-Amz-Date` is at most ``tokenLifetime`` old
/// (15 minutes on EKS, whatever `X-Amz-Expires` says, which must still be a number).
public struct EKSAuthentication: Sendable {
    /// One test IAM principal.
    public struct Credential: Sendable {
        /// `AWS_ACCESS_KEY_ID`.
        public var accessKeyID: String
        /// `AWS_SECRET_ACCESS_KEY`.
        public var secretAccessKey: String
        /// The Kubernetes identity the principal maps to (the `aws-auth` ConfigMap / access entries).
        public var identity: Identity
        /// `AWS_SESSION_TOKEN` of temporary credentials: the token must carry it as `X-Amz-Security-Token` (STS
        /// rejects a session key without its session token).
        public var sessionToken: String?

        /// Creates a credential.
        public init(accessKeyID: String, secretAccessKey: String, identity: Identity, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.identity = identity
            self.sessionToken = sessionToken
        }
    }

    /// The EKS cluster name the tokens must be signed for.
    public var clusterName: String
    /// The accepted principals.
    public var credentials: [Credential]
    /// How a token's age is judged.
    public enum ExpiryRule: Sendable, Equatable {
        /// EKS (aws-iam-authenticator): valid for ``EKSAuthentication/tokenLifetime`` (15 minutes) after
        /// `X-Amz-Date`, whatever `X-Amz-Expires` says (the CLI writes 60).
        case eksWindow
        /// Strict SigV4: valid until `X-Amz-Date` + `X-Amz-Expires` seconds.
        case amzExpires
    }

    /// How long after `X-Amz-Date` a token is accepted (with ``ExpiryRule/eksWindow``).
    public var tokenLifetime: Duration
    /// Which expiry rule applies.
    public var expiryRule: ExpiryRule
    /// The clock (replace it to test expiry).
    public var now: @Sendable () -> Date
    /// Principals not in ``credentials``, looked up by access key id (temporary credentials a test's STS issued
    /// while the cluster runs, as the real authenticator asks STS about any key).
    public var lookup: (@Sendable (String) -> Credential?)?

    /// Creates an EKS authenticator for `clusterName`.
    public init(
        clusterName: String,
        credentials: [Credential],
        tokenLifetime: Duration = .seconds(15 * 60),
        expiryRule: ExpiryRule = .eksWindow,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.clusterName = clusterName
        self.credentials = credentials
        self.tokenLifetime = tokenLifetime
        self.expiryRule = expiryRule
        self.now = now
    }

    /// Why a token was rejected (the API server only ever says 401 Unauthorized).
    public enum Rejection: Error, Sendable, Equatable {
        case notAnEKSToken
        case malformed(String)
        case unknownAccessKey
        case expired
        case badSignature
    }

    /// A token as `aws eks get-token --cluster-name CLUSTER` would print it for `credential`, presigned at
    /// `date` in `region` (for tests that do not run the AWS CLI).
    public static func presignedToken(
        clusterName: String,
        credential: Credential,
        region: String = "us-east-1",
        date: Date = Date()
    ) -> String {
        SigV4.makeEKSToken(
            clusterName: clusterName,
            accessKeyID: credential.accessKeyID,
            secretAccessKey: credential.secretAccessKey,
            region: region,
            date: date
        )
    }

    /// The identity a token authenticates, or the reason it does not.
    public func verify(_ token: String) -> Result<Identity, Rejection> {
        let prefix = "k8s-aws-v1."
        guard token.hasPrefix(prefix) else { return .failure(.notAnEKSToken) }
        guard let bytes = Base64URL.decode(String(token.dropFirst(prefix.count))),
            let urlText = String(validating: bytes, as: UTF8.self)
        else { return .failure(.malformed("token is not base64url")) }
        guard let components = URLComponents(string: urlText), components.scheme == "https",
            let host = components.host, components.path == "/" || components.path.isEmpty
        else { return .failure(.malformed("not an https URL with path /")) }
        guard
            host == "sts.amazonaws.com"
                || (host.hasPrefix("sts.") && (host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")))
        else { return .failure(.malformed("unexpected hostname \(host)")) }
        let rawQuery = components.percentEncodedQuery ?? ""
        let query = QueryParameters(rawQuery)
        guard !query.malformed else { return .failure(.malformed("bad query")) }
        var parameters: [String: String] = [:]
        for (key, value) in query.pairs {
            guard parameters[key] == nil else { return .failure(.malformed("duplicate parameter \(key)")) }
            parameters[key] = value
        }
        guard parameters["Action"] == "GetCallerIdentity" else { return .failure(.malformed("unexpected action")) }
        guard parameters["Version"] == "2011-06-15" else { return .failure(.malformed("unexpected version")) }
        guard parameters["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" else {
            return .failure(.malformed("unexpected algorithm"))
        }
        guard let signedHeaders = parameters["X-Amz-SignedHeaders"],
            signedHeaders.split(separator: ";").contains("x-k8s-aws-id")
        else { return .failure(.malformed("x-k8s-aws-id is not signed")) }
        guard let expiresText = parameters["X-Amz-Expires"], let expires = Int(expiresText), expires > 0 else {
            return .failure(.malformed("X-Amz-Expires missing or not a number"))
        }
        guard let dateText = parameters["X-Amz-Date"], let date = SigV4.parseAmzDate(dateText) else {
            return .failure(.malformed("bad X-Amz-Date"))
        }
        let now = self.now()
        let lifetime = expiryRule == .amzExpires ? Double(expires) : Double(tokenLifetime.components.seconds)
        if now.timeIntervalSince(date) > lifetime || date.timeIntervalSince(now) > lifetime {
            return .failure(.expired)
        }
        guard let credentialScope = parameters["X-Amz-Credential"] else { return .failure(.malformed("no credential")) }
        let scope = credentialScope.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[2].isEmpty == false, scope[3] == "sts", scope[4] == "aws4_request",
            scope[1] == String(dateText.prefix(8))
        else { return .failure(.malformed("bad credential scope")) }
        guard let credential = credentials.first(where: { $0.accessKeyID == scope[0] }) ?? lookup?(scope[0]) else {
            return .failure(.unknownAccessKey)
        }
        if let sessionToken = credential.sessionToken,
            !SigV4.constantTimeEquals(parameters["X-Amz-Security-Token"] ?? "", sessionToken)
        {
            return .failure(.badSignature)
        }
        guard let signature = parameters["X-Amz-Signature"] else { return .failure(.malformed("no signature")) }

        var headerValues: [String: String] = [
            "host": host + (components.port.map { ":\($0)" } ?? ""), "x-k8s-aws-id": clusterName,
        ]
        headerValues = headerValues.filter { signedHeaders.split(separator: ";").map(String.init).contains($0.key) }
        guard headerValues.count == signedHeaders.split(separator: ";").count else {
            return .failure(.malformed("signs headers the verifier cannot know"))
        }
        let expected = SigV4.presignedSignature(
            method: "GET",
            path: "/",
            query: query.pairs.filter { $0.0 != "X-Amz-Signature" },
            headers: headerValues,
            signedHeaders: signedHeaders,
            amzDate: dateText,
            region: scope[2],
            service: "sts",
            secretAccessKey: credential.secretAccessKey
        )
        guard SigV4.constantTimeEquals(expected, signature.lowercased()) else { return .failure(.badSignature) }
        return .success(credential.identity)
    }
}

/// The parts of AWS Signature Version 4 that presigned URLs use.
enum SigV4 {
    /// `yyyyMMdd'T'HHmmss'Z'`.
    static func parseAmzDate(_ text: String) -> Date? {
        guard text.count == 16 else { return nil }
        let chars = Array(text)
        let iso =
            "\(String(chars[0..<4]))-\(String(chars[4..<6]))-\(String(chars[6..<8]))T"
            + "\(String(chars[9..<11])):\(String(chars[11..<13])):\(String(chars[13..<15]))Z"
        return RFC3339.parse(iso)
    }

    /// Formats a date as `yyyyMMdd'T'HHmmss'Z'`.
    static func amzDate(_ date: Date) -> String {
        RFC3339.format(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The signature of a presigned request.
    static func presignedSignature(
        method: String,
        path: String,
        query: [(String, String)],
        headers: [String: String],
        signedHeaders: String,
        amzDate: String,
        region: String,
        service: String,
        secretAccessKey: String
    ) -> String {
        let encoded: [(String, String)] = query.map { pair in
            (PercentDecoding.encode(pair.0), PercentDecoding.encode(pair.1))
        }
        let sorted = encoded.sorted { lhs, rhs in lhs.0 == rhs.0 ? lhs.1 < rhs.1 : lhs.0 < rhs.0 }
        let canonicalQuery = sorted.map { pair in pair.0 + "=" + pair.1 }.joined(separator: "&")
        let headerNames = signedHeaders.split(separator: ";").map(String.init)
        var canonicalHeaders = ""
        for name in headerNames {
            canonicalHeaders += name + ":" + (headers[name]?.trimmingSpaces ?? "") + "\n"
        }
        let payloadHash = hex(SHA256.hash(data: [UInt8]()))
        let canonicalRequest = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Presigns an STS `GetCallerIdentity` URL and wraps it as an EKS token, as `aws eks get-token` does
    /// (for tests that cannot run the AWS CLI).
    static func makeEKSToken(
        clusterName: String,
        accessKeyID: String,
        secretAccessKey: String,
        region: String,
        date: Date
    ) -> String {
        let host = "sts.\(region).amazonaws.com"
        let amzDate = amzDate(date)
        let day = String(amzDate.prefix(8))
        var query: [(String, String)] = [
            ("Action", "GetCallerIdentity"), ("Version", "2011-06-15"), ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(accessKeyID)/\(day)/\(region)/sts/aws4_request"), ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", "60"), ("X-Amz-SignedHeaders", "host;x-k8s-aws-id"),
        ]
        let signature = presignedSignature(
            method: "GET",
            path: "/",
            query: query,
            headers: ["host": host, "x-k8s-aws-id": clusterName],
            signedHeaders: "host;x-k8s-aws-id",
            amzDate: amzDate,
            region: region,
            service: "sts",
            secretAccessKey: secretAccessKey
        )
        query.append(("X-Amz-Signature", signature))
        let url = "https://\(host)/?" + query.map { "\($0.0)=\(PercentDecoding.encode($0.1))" }.joined(separator: "&")
        return "k8s-aws-v1." + Base64URL.encode(Array(url.utf8))
    }

    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
