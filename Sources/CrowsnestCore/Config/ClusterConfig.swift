/// One cluster file (`clusters.d/NAME.yaml`, SPEC §3), decoded and validated, with every default applied and every
/// path resolved (relative paths against the file's folder, `~` against `$HOME`).
///
/// A value type: two loads of an unchanged file are equal, so a reload can tell which clusters changed. Secrets are
/// `Secret` values, so printing a configuration never shows them.
public struct ClusterConfig: Sendable, Hashable {
    /// The cluster's name: the `cluster` label, the `/clusters/{name}` path segment; unique across the directory.
    ///
    /// `name:`, else the file name without its extension. Must match `[A-Za-z0-9][A-Za-z0-9._-]{0,62}`: a
    /// non-empty label value that needs no escaping in a URL path or a file name.
    public var name: String
    /// The API server; `nil` only when `auth` is a kubeconfig, whose context then supplies the server.
    public var apiServer: APIServerURL?
    /// How the API server's certificate is verified.
    public var tls: TLSSettings
    /// How the gateway authenticates to the API server.
    public var auth: ClusterAuth
    /// Static labels added to every series of the cluster.
    public var labels: LabelSet
    /// Which pods are discovered.
    public var discovery: DiscoveryConfig
    /// How pods are scraped.
    public var scrape: ScrapeConfig
    /// Prometheus `relabel_configs` over the pod candidates' `__meta_kubernetes_*` labels.
    public var relabelConfigs: [RelabelRule]
    /// How `relabelConfigs` combine with the built-in selection (`relabel_mode:`, default `crowsnest`).
    public var relabelMode: RelabelMode
    /// Prometheus `metric_relabel_configs`, applied per sample.
    public var metricRelabelConfigs: [RelabelRule]
    /// Which kubelet endpoints of which nodes are scraped (`nodes:`; none by default).
    public var nodes: NodeTargetsConfig
    /// Whether pods behind Services annotated `prometheus.io/scrape: "true"` are scraped too (`services:`,
    /// read from their EndpointSlices; off by default, as it needs permission to list Services and EndpointSlices).
    public var services: Bool
    /// The proxy for this cluster's API traffic (`proxy_url:`); nil: the kubeconfig's `proxy-url`, else
    /// `HTTPS_PROXY`/`NO_PROXY` (``ProxyEnvironment``), else none.
    public var proxy: ProxyURL?

    /// Creates a configuration; everything but the name defaults as in a file that sets nothing else.
    public init(
        name: String,
        apiServer: APIServerURL?,
        tls: TLSSettings = TLSSettings(),
        auth: ClusterAuth = .anonymous,
        labels: LabelSet = LabelSet(),
        discovery: DiscoveryConfig = DiscoveryConfig(),
        scrape: ScrapeConfig = ScrapeConfig(),
        relabelConfigs: [RelabelRule] = [],
        relabelMode: RelabelMode = .crowsnest,
        metricRelabelConfigs: [RelabelRule] = [],
        nodes: NodeTargetsConfig = NodeTargetsConfig(),
        services: Bool = false,
        proxy: ProxyURL? = nil
    ) {
        self.name = name
        self.apiServer = apiServer
        self.tls = tls
        self.auth = auth
        self.labels = labels
        self.discovery = discovery
        self.scrape = scrape
        self.relabelConfigs = relabelConfigs
        self.relabelMode = relabelMode
        self.metricRelabelConfigs = metricRelabelConfigs
        self.nodes = nodes
        self.services = services
        self.proxy = proxy
    }

    /// Label names the gateway sets itself; a static label may not use them.
    public static let reservedLabelNames: Set<String> = ["cluster", "namespace", "pod_name", "port"]

    /// The labels every series carries, always with the target's own values (the product's promise: a series can
    /// always be traced to its cluster, namespace and pod).
    public static let identityLabelNames = ["cluster", "namespace", "pod_name"]

    /// Whether `name` is a valid cluster name (`[A-Za-z0-9][A-Za-z0-9._-]{0,62}`).
    public static func isValidName(_ name: String) -> Bool { ConfigText.isClusterName(name) }
}

/// The `tls:` block: how the API server's certificate is verified.
public struct TLSSettings: Sendable, Hashable {
    /// Where the trusted CA certificates come from; `nil` = the kubeconfig's CA (kubeconfig auth) or the system
    /// trust store.
    public var certificateAuthority: CertificateAuthoritySource?
    /// The name to send as SNI and to verify the certificate against, instead of the URL's host.
    public var serverName: String?
    /// Skip certificate verification.
    ///
    /// Works, and is warned about.
    public var insecureSkipVerify: Bool
    /// `insecure_plain_http`: allow an `http://` API server on a non-loopback host although credentials are sent
    /// (they then travel in clear).
    ///
    /// Without it such a file is refused: a token sent in clear can be replayed by
    /// anyone on the path. Loopback http (`kubectl proxy`, a sidecar) needs no opt-in.
    public var insecurePlainHTTP: Bool

    /// Creates TLS settings.
    public init(
        certificateAuthority: CertificateAuthoritySource? = nil,
        serverName: String? = nil,
        insecureSkipVerify: Bool = false,
        insecurePlainHTTP: Bool = false
    ) {
        self.certificateAuthority = certificateAuthority
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
        self.insecurePlainHTTP = insecurePlainHTTP
    }
}

/// The CA bundle that verifies an API server: exactly one of `ca_file`, `ca_data`, `ca_data_base64`.
public enum CertificateAuthoritySource: Sendable, Hashable {
    /// `ca_file`: a PEM file, resolved to an absolute path, read (and re-read) by the client.
    case file(path: String)
    /// `ca_data` (PEM text) or `ca_data_base64` (base64 of PEM text, as in kubeconfig's
    /// `certificate-authority-data`), already decoded to PEM text.
    case pem(String)
}

/// The `auth:` block: exactly one way to authenticate, or none.
public enum ClusterAuth: Sendable, Hashable {
    /// No credentials (anonymous; e.g. `kubectl proxy` on a loopback address). Warned about unless the API server
    /// is plain http on a loopback address.
    case anonymous
    /// `bearer_token_file`: re-read when it changes (bound tokens rotate). Absolute path.
    case bearerTokenFile(path: String)
    /// `bearer_token`: an inline token (allowed, discouraged, warned about).
    case bearerToken(Secret)
    /// `client_cert_file` + `client_key_file`: mutual TLS. Absolute paths.
    case clientCertificate(certificateFile: String, keyFile: String)
    /// `kubeconfig` (+ optional `context`, default the kubeconfig's `current-context`): that context's server, CA
    /// and user. Absolute path. The cluster file's own `api_server` and `tls` settings, when given, win.
    case kubeconfig(path: String, context: String?)
    /// `exec`: a credential plugin (`client.authentication.k8s.io` ExecCredential).
    case exec(ExecConfig)
    /// `aws`: an EKS token minted in process (no `aws` CLI needed).
    case aws(AWSAuthConfig)
    /// `gcp`: a Google access token from a service-account key or the metadata server (no gcloud plugin needed).
    case gcp(GCPAuthConfig)
    /// `azure`: an Entra ID token from the client-credentials grant (no kubelogin needed).
    case azure(AzureAuthConfig)

    /// A short name for logs and the health page: `anonymous`, `bearer_token_file`, `bearer_token`, `client_certificate`,
    /// `kubeconfig`, `exec`, `aws`, `gcp`, `azure`.
    public var kind: String {
        switch self {
        case .anonymous: "anonymous"
        case .bearerTokenFile: "bearer_token_file"
        case .bearerToken: "bearer_token"
        case .clientCertificate: "client_certificate"
        case .kubeconfig: "kubeconfig"
        case .exec: "exec"
        case .aws: "aws"
        case .gcp: "gcp"
        case .azure: "azure"
        }
    }
}

/// An exec credential plugin (`auth.exec`): `aws eks get-token`, `kubelogin get-token`, `gke-gcloud-auth-plugin`.
public struct ExecConfig: Sendable, Hashable {
    /// The command: a bare name looked up in `PATH` when run, or a path (relative paths resolved against the cluster
    /// file's folder, as client-go does against the kubeconfig's).
    public var command: String
    /// The arguments.
    public var args: [String]
    /// Extra environment variables, in file order; values are secrets (they often hold credentials).
    public var env: [ExecEnvironmentVariable]
    /// `env_file`: an absolute path to `KEY=VALUE` lines (``ExecEnvironmentFile``) read at each run of the plugin,
    /// so the secrets stay out of the cluster file (`add-cluster` writes one, 0600).
    ///
    /// `env` entries win over it.
    public var envFile: String?
    /// The ExecCredential API version: `client.authentication.k8s.io/v1` (default) or `…/v1beta1`.
    public var apiVersion: String
    /// How long one run may take (default 30s).
    public var timeout: Duration

    /// The API versions a plugin may speak.
    public static let supportedAPIVersions = [
        "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1",
    ]
    /// The default API version.
    public static let defaultAPIVersion = "client.authentication.k8s.io/v1"
    /// The default timeout, 30s.
    public static let defaultTimeout: Duration = .seconds(30)

    /// Creates an exec configuration.
    public init(
        command: String,
        args: [String] = [],
        env: [ExecEnvironmentVariable] = [],
        envFile: String? = nil,
        apiVersion: String = ExecConfig.defaultAPIVersion,
        timeout: Duration = ExecConfig.defaultTimeout
    ) {
        self.command = command
        self.args = args
        self.env = env
        self.envFile = envFile
        self.apiVersion = apiVersion
        self.timeout = timeout
    }
}

extension ExecConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The command, the number of arguments, the environment's names (never values), the env file's path,
    /// version and timeout.
    ///
    /// Arguments are not shown: some plugins take credentials as flags (`kubelogin --client-secret …`).
    public var description: String {
        "exec(\(command), \(args.count) args, env: [\(env.map(\.name).joined(separator: ", "))], "
            + (envFile.map { "env_file: \($0), " } ?? "")
            + "\(apiVersion), timeout \(timeout.prometheusDescription))"
    }

    /// The same as `description`.
    public var debugDescription: String { description }

    /// A mirror showing what `description` shows.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "command": command, "argumentCount": args.count, "environmentNames": env.map(\.name),
                "environmentFile": envFile as Any,
                "apiVersion": apiVersion, "timeout": timeout,
            ],
            displayStyle: .struct
        )
    }
}

/// One environment variable for an exec plugin; the value is secret.
public struct ExecEnvironmentVariable: Sendable, Hashable {
    /// The variable's name.
    public var name: String
    /// The variable's value (redacted when printed).
    public var value: Secret

    /// Creates a variable.
    public init(name: String, value: Secret) {
        self.name = name
        self.value = value
    }
}

/// The `discovery:` block: which pods are listed and watched.
public struct DiscoveryConfig: Sendable, Hashable {
    /// Namespaces to watch, one list+watch each; empty = all namespaces (one cluster-wide list+watch).
    public var namespaces: [String]
    /// Namespaces whose pods never become targets (`exclude_namespaces`), whatever the annotations and rules say.
    public var excludeNamespaces: [String]
    /// Passed to the API as `labelSelector` (validated with the API server's grammar).
    public var labelSelector: LabelSelector
    /// Passed to the API as `fieldSelector` (pod fields only).
    public var fieldSelector: FieldSelector

    /// Creates a discovery configuration; defaults select every pod in every namespace.
    public init(
        namespaces: [String] = [],
        excludeNamespaces: [String] = [],
        labelSelector: LabelSelector = LabelSelector(),
        fieldSelector: FieldSelector = FieldSelector()
    ) {
        self.namespaces = namespaces
        self.excludeNamespaces = excludeNamespaces
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }
}

/// A file named by a configuration (CA, token, client certificate or key, kubeconfig, exec command, …), with where
/// it was named, for `validateReferencedFiles` and for error messages.
public struct ConfigFileReference: Sendable, Hashable {
    /// What the file is for.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `tls.ca_file`: PEM certificates.
        case certificateAuthority = "ca_file"
        /// `auth.bearer_token_file`.
        case bearerToken = "bearer_token_file"
        /// `auth.client_cert_file`.
        case clientCertificate = "client_cert_file"
        /// `auth.client_key_file`.
        case clientKey = "client_key_file"
        /// `auth.kubeconfig`.
        case kubeconfig = "kubeconfig"
        /// `auth.exec.command` given as a path.
        case execCommand = "exec_command"
        /// `auth.exec.env_file`: `KEY=VALUE` lines whose values are secrets.
        case execEnvironmentFile = "exec_env_file"
        /// `web.tls_cert_file`.
        case serverCertificate = "tls_cert_file"
        /// `web.tls_key_file`.
        case serverKey = "tls_key_file"
        /// `web.basic_auth.password_file`.
        case password = "password_file"
        /// `web.bearer_token_file`.
        case webBearerToken = "web_bearer_token_file"
        /// `auth.gcp.credentials_file`: a service-account key.
        case gcpCredentials = "gcp_credentials_file"
        /// `auth.azure.federated_token_file`.
        case azureFederatedToken = "azure_federated_token_file"
        /// `auth.azure.client_secret_file`.
        case azureClientSecret = "azure_client_secret_file"

        /// Whether the field's value may be a secret pasted where a file name belongs (a token or password), so a
        /// message about the file must not quote the name.
        public var mayBeTheSecretItself: Bool { self == .bearerToken || self == .password || self == .webBearerToken }

        /// Whether the file holds a secret (so it should not be readable by group or others).
        public var holdsSecret: Bool {
            switch self {
            case .bearerToken, .clientKey, .kubeconfig, .serverKey, .password, .webBearerToken, .execEnvironmentFile,
                .gcpCredentials, .azureFederatedToken, .azureClientSecret:
                true
            case .certificateAuthority, .clientCertificate, .execCommand, .serverCertificate: false
            }
        }
    }

    /// What the file is for.
    public var kind: Kind
    /// The absolute path; for an exec command given by bare name (looked up in `PATH`), that name.
    public var path: String
    /// The path as written in the configuration.
    public var writtenPath: String
    /// The field that names it, such as `tls.ca_file`.
    public var field: String
    /// Where the field's value is.
    public var location: ConfigSourceLocation

    /// Creates a reference.
    public init(kind: Kind, path: String, writtenPath: String, field: String, location: ConfigSourceLocation) {
        self.kind = kind
        self.path = path
        self.writtenPath = writtenPath
        self.field = field
        self.location = location
    }
}
