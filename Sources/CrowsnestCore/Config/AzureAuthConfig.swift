/// `auth.azure`: an Entra ID (Azure AD) access token for AKS, from the client-credentials grant with a federated
/// token (workload identity) or a client secret read from a file.
public struct AzureAuthConfig: Sendable, Hashable {
    /// The AKS AAD server application every AKS cluster with Entra ID integration accepts tokens for.
    public static let aksServerID = "6dae42f8-4368-4678-94ff-3960e28e3630"

    /// `tenant_id`; nil = `AZURE_TENANT_ID`.
    public var tenantID: String?
    /// `client_id` of the application or managed identity; nil = `AZURE_CLIENT_ID`.
    public var clientID: String?
    /// `federated_token_file`: an absolute path to a federated (workload identity) token, read at each request;
    /// nil = `AZURE_FEDERATED_TOKEN_FILE` unless a client secret file is set.
    public var federatedTokenFile: String?
    /// `client_secret_file`: an absolute path to the client secret, read at each request.
    public var clientSecretFile: String?
    /// `server_id`: the API server application the token is for (`{server_id}/.default`).
    public var serverID: String

    /// Creates an Azure configuration.
    public init(
        tenantID: String? = nil,
        clientID: String? = nil,
        federatedTokenFile: String? = nil,
        clientSecretFile: String? = nil,
        serverID: String = AzureAuthConfig.aksServerID
    ) {
        self.tenantID = tenantID
        self.clientID = clientID
        self.federatedTokenFile = federatedTokenFile
        self.clientSecretFile = clientSecretFile
        self.serverID = serverID
    }
}
