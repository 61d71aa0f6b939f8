public import Foundation

/// A cluster's credential as the health page shows it: what kind, when it (and the CA) expires, the last error.
/// Never holds a secret.
public struct CredentialStatus: Sendable, Hashable {
    /// `anonymous`, `bearer_token`, `bearer_token_file`, `client_certificate`, `kubeconfig`, `exec`, `aws`, `gcp`.
    public var kind: String
    /// Who the credential authenticates as, when the gateway knows it (built-in cloud credentials: an assumed role's
    /// ARN, a service account's email, or the source the keys came from); never a secret.
    public var identity: String?
    /// When the credential in use expires: a JWT's `exp`, an exec credential's `expirationTimestamp`, or a client
    /// certificate's NotAfter (the earliest of those that apply); nil when unknown or never.
    public var expiry: Date?
    /// The earliest NotAfter of the trusted CA certificates, when a CA is configured.
    public var certificateAuthorityExpiry: Date?
    /// When the credential was last (re)loaded.
    public var lastRefresh: Date?
    /// The last error loading the credential or TLS material (cleared by the next success); free of secrets.
    public var lastError: String?
    /// Whether certificate verification is off (`insecure_skip_verify`), to be warned about.
    public var insecureSkipVerify: Bool

    /// Creates a status.
    public init(
        kind: String,
        expiry: Date? = nil,
        certificateAuthorityExpiry: Date? = nil,
        lastRefresh: Date? = nil,
        lastError: String? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.kind = kind
        self.expiry = expiry
        self.certificateAuthorityExpiry = certificateAuthorityExpiry
        self.lastRefresh = lastRefresh
        self.lastError = lastError
        self.insecureSkipVerify = insecureSkipVerify
    }
}
