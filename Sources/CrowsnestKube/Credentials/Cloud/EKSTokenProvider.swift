import CrowsnestCore
import Foundation
import Synchronization

/// Mints EKS tokens as `aws eks get-token` prints them: `k8s-aws-v1.` + unpadded base64url of a SigV4-presigned
/// `GET https://sts.REGION.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15` with the signed header
/// `x-k8s-aws-id: CLUSTER` and `X-Amz-Expires=60`.
///
/// EKS accepts such a token for 15 minutes after its `X-Amz-Date` (and no longer than the signing credentials
/// live); it is reused until a minute before that. Temporary credentials (STS, container) are kept until shortly
/// before they expire; keys from the environment or the shared files are looked up again for each token, so a
/// rotated key is used from the next token on.
final class EKSTokenProvider: CloudTokenProvider {
    /// How long EKS accepts a token after its `X-Amz-Date`.
    static let tokenLifetime: TimeInterval = 15 * 60
    /// How long before that a new token is minted.
    static let refreshMargin: TimeInterval = 60

    let chain: AWSCredentialChain
    /// The last temporary credentials, reused while fresh.
    private let temporary = Mutex<AWSCredentials?>(nil)

    init(chain: AWSCredentialChain) { self.chain = chain }

    func token() async throws(CloudCredentialError) -> CloudToken {
        let region = try chain.region()
        let credentials: AWSCredentials
        if let cached = temporary.withLock({ $0 }), cached.isFresh(at: chain.now()) {
            credentials = cached
        } else {
            credentials = try await chain.resolve()
            temporary.withLock { $0 = credentials.expiration == nil ? nil : credentials }
        }
        let date = chain.now()
        let token = Self.mint(
            clusterName: chain.config.clusterName,
            credentials: credentials,
            region: region,
            date: date
        )
        var expiry = date.addingTimeInterval(Self.tokenLifetime)
        if let expiration = credentials.expiration, expiration < expiry { expiry = expiration }
        return CloudToken(
            token: Secret(token),
            expiry: expiry,
            refreshMargin: min(Self.refreshMargin, expiry.timeIntervalSince(date) / 5),
            identity: credentials.identity ?? credentials.source
        )
    }

    /// The token for `credentials`, presigned at `date`.
    static func mint(clusterName: String, credentials: AWSCredentials, region: String, date: Date) -> String {
        let host = AWSCredentialChain.stsHost(region: region)
        let query = SigV4.presignedEKSQuery(
            clusterName: clusterName,
            credentials: credentials,
            region: region,
            host: host,
            date: date
        )
        let url =
            "https://\(host)/?"
            + query.map { SigV4.encode($0.0) + "=" + SigV4.encode($0.1) }
            .joined(separator: "&")
        return "k8s-aws-v1." + base64URL(Array(url.utf8))
    }

    /// Unpadded base64url.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
