import CrowsnestCore
import Foundation

/// A built-in cloud credential (`auth.aws`, `auth.gcp`, `auth.azure`) that mints bearer tokens in process.
///
/// ``ClusterCredentials`` caches each token until ``CloudToken/refreshMargin`` before its expiry, shares one
/// fetch among concurrent callers, and keeps using the last token while a refresh fails and it has not expired.
protocol CloudTokenProvider: Sendable {
    /// A fresh token.
    func token() async throws(CloudCredentialError) -> CloudToken
}

/// A bearer token minted by a ``CloudTokenProvider``. Printing it never shows the token.
struct CloudToken: Sendable, CustomStringConvertible {
    /// The bearer token.
    var token: Secret
    /// When it stops being accepted.
    var expiry: Date
    /// How long before `expiry` a new one is fetched.
    var refreshMargin: TimeInterval
    /// Who it authenticates as, for the health page (an assumed role's ARN, a service account's email, a source).
    var identity: String?

    var description: String { "CloudToken(expiry: \(expiry), identity: \(identity ?? "unknown"))" }
}

/// Makes the provider of a cluster's built-in cloud credential.
enum CloudTokenProviders {
    /// The provider for `auth`, or nil when it is not a built-in cloud kind.
    static func make(for auth: ClusterAuth, http: CloudHTTP) -> (any CloudTokenProvider)? {
        switch auth {
        case .aws(let config):
            return EKSTokenProvider(
                chain: AWSCredentialChain(config: config, environment: http.environment, http: http)
            )
        case .gcp(let config):
            return GCPTokenProvider(config: config, http: http)
        case .azure(let config):
            return AzureTokenProvider(config: config, http: http)
        case .anonymous, .bearerToken, .bearerTokenFile, .clientCertificate, .kubeconfig, .exec:
            return nil
        }
    }

    /// Whether `auth` is a built-in cloud kind.
    static func isCloud(_ auth: ClusterAuth) -> Bool {
        switch auth {
        case .aws, .gcp, .azure: true
        case .anonymous, .bearerToken, .bearerTokenFile, .clientCertificate, .kubeconfig, .exec: false
        }
    }
}
