import CrowsnestCore

/// Where a bearer token comes from.
enum BearerSource: Sendable, Hashable {
    case token(Secret)
    case file(path: String)
}

/// A cluster file (and its kubeconfig, if any) resolved to what a client needs: server, TLS inputs and credential
/// sources. The cluster file's own `api_server` and `tls` settings win over the kubeconfig's.
struct ClusterSetup: Sendable {
    var cluster: String
    var baseURL: String
    var certificateAuthority: CertificateAuthoritySource?
    /// Where `certificateAuthority` came from, for TLS error messages.
    var caSource: TLSDiagnosis.CASource
    var serverName: String?
    var insecureSkipVerify: Bool
    var bearer: BearerSource?
    var clientCertificate: (certificate: PEMSource, key: PEMSource)?
    var exec: ExecConfig?
    var kind: String
    /// The proxy API traffic goes through: `proxy_url`, else the kubeconfig's `proxy-url`, else the environment's
    /// (``ProxyEnvironment``), as client-go chooses.
    var proxy: ProxyURL?

    static func resolve(
        _ config: ClusterConfig,
        environment: [String: String] = [:]
    ) throws(KubeClientError) -> ClusterSetup {
        var setup = ClusterSetup(
            cluster: config.name,
            baseURL: config.apiServer?.baseURL ?? "",
            certificateAuthority: config.tls.certificateAuthority,
            caSource: Self.source(config.tls.certificateAuthority, inKubeconfig: false),
            serverName: config.tls.serverName,
            insecureSkipVerify: config.tls.insecureSkipVerify,
            kind: config.auth.kind,
            proxy: config.proxy
        )
        var kubeconfigProxy: String?
        switch config.auth {
        case .anonymous: break
        case .bearerToken(let token): setup.bearer = .token(token)
        case .bearerTokenFile(let path): setup.bearer = .file(path: path)
        case .clientCertificate(let certificate, let key):
            setup.clientCertificate = (.file(path: certificate), .file(path: key))
        case .exec(let exec): setup.exec = exec
        case .aws, .gcp, .azure: break  // ClusterCredentials mints these tokens (CloudTokenProvider)
        case .kubeconfig(let path, let context):
            let resolved: ResolvedKubeContext
            do {
                resolved = try Kubeconfig.load(path: path).resolve(context: context)
                try resolved.user.checkSupported(userName: resolved.userName)
            } catch {
                throw KubeClientError(.configuration, cluster: config.name, "cluster \(config.name): \(error.message)")
            }
            if config.apiServer == nil {
                do throws(APIServerURL.ParseError) {
                    setup.baseURL = try APIServerURL(parsing: resolved.server).baseURL
                } catch {
                    throw KubeClientError(
                        .configuration,
                        cluster: config.name,
                        "cluster \(config.name): the server of kubeconfig context \"\(resolved.name)\" is invalid: \(error.reason)"
                    )
                }
            }
            if config.tls.certificateAuthority == nil && !config.tls.insecureSkipVerify {
                setup.certificateAuthority = resolved.certificateAuthority
                setup.caSource = Self.source(resolved.certificateAuthority, inKubeconfig: true)
                setup.insecureSkipVerify = resolved.insecureSkipVerify
            }
            if setup.serverName == nil { setup.serverName = resolved.tlsServerName }
            kubeconfigProxy = resolved.proxyURL
            let user = resolved.user
            if let token = user.token {
                setup.bearer = .token(token)
            } else if let file = user.tokenFile {
                setup.bearer = .file(path: file)
            }
            if let certificate = user.clientCertificate, let key = user.clientKey {
                setup.clientCertificate = (certificate, key)
            }
            setup.exec = user.exec
        }
        guard !setup.baseURL.isEmpty else {
            throw KubeClientError(.configuration, cluster: config.name, "cluster \(config.name) has no api_server")
        }
        // The cluster file's own api_server is checked when it is loaded; a kubeconfig's server only here.
        if config.apiServer == nil, !config.tls.insecurePlainHTTP,
            let url = try? APIServerURL(parsing: setup.baseURL), !url.isTLS, !url.isLoopback,
            setup.bearer != nil || setup.exec != nil || setup.clientCertificate != nil
        {
            throw KubeClientError(
                .configuration,
                cluster: config.name,
                "cluster \(config.name): the kubeconfig's server is plain http to a non-loopback host: tokens must "
                    + "not travel in clear; use https, or set tls.insecure_plain_http: true to allow it"
            )
        }
        if setup.proxy == nil { setup.proxy = try proxy(config, kubeconfigProxy, environment, baseURL: setup.baseURL) }
        return setup
    }

    /// The kubeconfig's `proxy-url`, else the environment's proxy for the server; a value that does not parse is a
    /// configuration error naming where it came from (never quoting it: it may hold a password).
    static func proxy(
        _ config: ClusterConfig,
        _ kubeconfigProxy: String?,
        _ environment: [String: String],
        baseURL: String
    ) throws(KubeClientError) -> ProxyURL? {
        do throws(ProxyURL.ParseError) {
            if let kubeconfigProxy { return try ProxyURL(parsing: kubeconfigProxy) }
            guard let server = try? APIServerURL(parsing: baseURL) else { return nil }
            return try ProxyEnvironment(environment: environment).proxy(for: server)
        } catch {
            let source = kubeconfigProxy == nil ? "the environment's proxy" : "the kubeconfig's proxy-url"
            throw KubeClientError(
                .configuration,
                cluster: config.name,
                "cluster \(config.name): \(source): \(error.reason)"
            )
        }
    }

    /// How a CA source is named in messages.
    static func source(_ authority: CertificateAuthoritySource?, inKubeconfig: Bool) -> TLSDiagnosis.CASource {
        switch authority {
        case .file(let path)?: inKubeconfig ? .kubeconfig(path: path) : .file(path: path)
        case .pem?: inKubeconfig ? .kubeconfig(path: nil) : .clusterFileData
        case nil: .systemTrustStore
        }
    }
}
