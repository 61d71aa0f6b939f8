/// `auth.gcp`: a Google OAuth 2.0 access token, from a service-account key file (JWT bearer grant to its
/// `token_uri`) or, without one, from the metadata server (Application Default Credentials on GKE and GCE).
public struct GCPAuthConfig: Sendable, Hashable {
    /// `credentials_file`: an absolute path to a service-account key (JSON); nil = `GOOGLE_APPLICATION_CREDENTIALS`,
    /// else the metadata server.
    public var credentialsFile: String?

    /// Creates a GCP configuration.
    public init(credentialsFile: String? = nil) { self.credentialsFile = credentialsFile }
}
