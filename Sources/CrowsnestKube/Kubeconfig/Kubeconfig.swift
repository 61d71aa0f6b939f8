public import CrowsnestCore
import Foundation
import Yams

/// A kubeconfig file (`apiVersion: v1`, `kind: Config`): clusters, users and contexts, parsed but not yet resolved.
///
/// Only what a read-only client needs is kept: for clusters `server`, `certificate-authority[-data]`,
/// `insecure-skip-tls-verify`, `tls-server-name`; for users `token`, `tokenFile`, `client-certificate[-data]`,
/// `client-key[-data]`, `exec`, and the presence of `auth-provider` and `username`/`password` (unsupported, reported
/// when such a user is resolved). Relative paths resolve against the kubeconfig's folder.
public struct Kubeconfig: Sendable {
    /// `current-context`, if set and non-empty.
    public var currentContext: String?
    /// The context names, in file order.
    public var contextNames: [String]

    struct Context: Sendable {
        var cluster: String
        var user: String
        var namespace: String?
    }

    struct Cluster: Sendable {
        var server: String?
        var certificateAuthority: CertificateAuthoritySource?
        var insecureSkipVerify: Bool
        var tlsServerName: String?
        var proxyURL: String?
    }

    var contexts: [String: Context] = [:]
    var clusters: [String: Cluster] = [:]
    var users: [String: KubeconfigUser] = [:]
    /// Where the file was read from (for messages), or `"<inline>"`.
    var source: String

    /// Reads and parses the kubeconfig at `path` (`~` expands to `$HOME`); relative paths inside resolve against its
    /// folder.
    public static func load(path: String) throws(KubeconfigError) -> Kubeconfig {
        let expanded = KubeconfigPaths.expandingHome(path)
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: expanded))
        } catch {
            throw KubeconfigError(
                .unreadableFile,
                "cannot read kubeconfig \(expanded): \(KubeconfigPaths.reason(error))"
            )
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw KubeconfigError(.syntax, "kubeconfig \(expanded) is not UTF-8 text")
        }
        var config = try parse(yaml: text, directory: KubeconfigPaths.directory(of: expanded))
        config.source = expanded
        return config
    }

    /// Parses kubeconfig YAML; relative paths resolve against `directory`.
    public static func parse(yaml: String, directory: String) throws(KubeconfigError) -> Kubeconfig {
        let root: Any?
        do {
            root = try Yams.load(yaml: yaml)
        } catch {
            // Yams' messages may quote the offending line, which could hold a token: say only that it is not YAML.
            throw KubeconfigError(.syntax, "kubeconfig is not valid YAML")
        }
        guard let map = root as? [String: Any] else {
            throw KubeconfigError(
                .syntax,
                "kubeconfig is not a mapping (expected apiVersion, clusters, contexts, users)"
            )
        }
        var config = Kubeconfig(currentContext: nil, contextNames: [], source: "<inline>")
        if let current = map["current-context"] as? String, !current.isEmpty { config.currentContext = current }
        let reader = KubeconfigReader(directory: directory)
        for (name, body) in try reader.namedEntries(map["clusters"], list: "clusters", key: "cluster") {
            config.clusters[name] = try reader.cluster(body, name: name)
        }
        for (name, body) in try reader.namedEntries(map["users"], list: "users", key: "user") {
            config.users[name] = try reader.user(body, name: name)
        }
        for (name, body) in try reader.namedEntries(map["contexts"], list: "contexts", key: "context") {
            guard let cluster = body["cluster"] as? String, !cluster.isEmpty else {
                throw KubeconfigError(.invalidField, "context \"\(name)\" names no cluster")
            }
            let user = body["user"] as? String ?? ""
            let namespace = (body["namespace"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            config.contexts[name] = Context(cluster: cluster, user: user, namespace: namespace)
            config.contextNames.append(name)
        }
        return config
    }

    /// Resolves `context` (nil = `current-context`) to its server, CA, TLS settings, namespace and user.
    public func resolve(context: String?) throws(KubeconfigError) -> ResolvedKubeContext {
        guard let name = context ?? currentContext else {
            throw KubeconfigError(.noContext, "kubeconfig \(source) has no current-context and no context was named")
        }
        guard let found = contexts[name] else {
            let known = contextNames.isEmpty ? "none" : contextNames.joined(separator: ", ")
            throw KubeconfigError(
                .missingContext,
                "kubeconfig \(source) has no context \"\(name)\" (contexts: \(known))"
            )
        }
        guard let cluster = clusters[found.cluster] else {
            throw KubeconfigError(
                .missingCluster,
                "context \"\(name)\" of kubeconfig \(source) names cluster \"\(found.cluster)\", which is not defined"
            )
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeconfigError(.invalidField, "cluster \"\(found.cluster)\" of kubeconfig \(source) has no server")
        }
        let user: KubeconfigUser
        if found.user.isEmpty {
            user = KubeconfigUser()
        } else if let known = users[found.user] {
            user = known
        } else {
            throw KubeconfigError(
                .missingUser,
                "context \"\(name)\" of kubeconfig \(source) names user \"\(found.user)\", which is not defined"
            )
        }
        return ResolvedKubeContext(
            name: name,
            server: server,
            certificateAuthority: cluster.certificateAuthority,
            tlsServerName: cluster.tlsServerName,
            insecureSkipVerify: cluster.insecureSkipVerify,
            proxyURL: cluster.proxyURL,
            namespace: found.namespace,
            user: user,
            userName: found.user
        )
    }
}

/// One kubeconfig context resolved to everything needed to talk to its cluster.
public struct ResolvedKubeContext: Sendable {
    /// The context's name.
    public var name: String
    /// The cluster's `server` URL, as written.
    public var server: String
    /// The CA: a file (absolute path) or PEM text from `certificate-authority-data`; nil = system trust store.
    public var certificateAuthority: CertificateAuthoritySource?
    /// `tls-server-name`.
    public var tlsServerName: String?
    /// `insecure-skip-tls-verify`.
    public var insecureSkipVerify: Bool
    /// `proxy-url`, as written (it may hold a password: never show it; ``ProxyURL`` parses it).
    public var proxyURL: String?
    /// The context's default namespace.
    public var namespace: String?
    /// The user's credentials.
    public var user: KubeconfigUser
    /// The user's entry name in the kubeconfig (for messages).
    public var userName: String

    /// Creates a resolved context.
    public init(
        name: String,
        server: String,
        certificateAuthority: CertificateAuthoritySource? = nil,
        tlsServerName: String? = nil,
        insecureSkipVerify: Bool = false,
        proxyURL: String? = nil,
        namespace: String? = nil,
        user: KubeconfigUser = KubeconfigUser(),
        userName: String = ""
    ) {
        self.name = name
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.tlsServerName = tlsServerName
        self.insecureSkipVerify = insecureSkipVerify
        self.proxyURL = proxyURL
        self.namespace = namespace
        self.user = user
        self.userName = userName
    }
}

/// Where PEM text comes from: a file (absolute path, re-read when it changes) or inline data.
public enum PEMSource: Sendable, Hashable {
    /// A PEM file, absolute path.
    case file(path: String)
    /// PEM text (decoded from a `*-data` field); a secret when it is a key.
    case data(Secret)
}

/// A kubeconfig user's credentials. Printing one never shows a secret.
public struct KubeconfigUser: Sendable, Hashable {
    /// `token`.
    public var token: Secret?
    /// `tokenFile`, absolute.
    public var tokenFile: String?
    /// `client-certificate` or `client-certificate-data`.
    public var clientCertificate: PEMSource?
    /// `client-key` or `client-key-data`.
    public var clientKey: PEMSource?
    /// `exec`.
    public var exec: ExecConfig?
    /// `auth-provider.name` (unsupported: the legacy in-tree providers were removed from client-go).
    public var authProviderName: String?
    /// Whether `username` is set (basic auth, unsupported).
    public var hasUsername: Bool
    /// Whether `password` is set (basic auth, unsupported).
    public var hasPassword: Bool

    /// Creates a user.
    public init(
        token: Secret? = nil,
        tokenFile: String? = nil,
        clientCertificate: PEMSource? = nil,
        clientKey: PEMSource? = nil,
        exec: ExecConfig? = nil,
        authProviderName: String? = nil,
        hasUsername: Bool = false,
        hasPassword: Bool = false
    ) {
        self.token = token
        self.tokenFile = tokenFile
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.exec = exec
        self.authProviderName = authProviderName
        self.hasUsername = hasUsername
        self.hasPassword = hasPassword
    }

    /// Throws when the user can only authenticate in a way Crowsnest does not support, or is inconsistent (a
    /// certificate without a key).
    public func checkSupported(userName: String) throws(KubeconfigError) {
        if let provider = authProviderName {
            throw KubeconfigError(
                .unsupported,
                "kubeconfig user \"\(userName)\" uses auth-provider \"\(provider)\", which is not supported; use an exec plugin (e.g. kubelogin, gke-gcloud-auth-plugin)"
            )
        }
        if (hasUsername || hasPassword) && token == nil && tokenFile == nil && exec == nil && clientCertificate == nil {
            throw KubeconfigError(
                .unsupported,
                "kubeconfig user \"\(userName)\" uses username/password (basic auth), which is not supported"
            )
        }
        if (clientCertificate == nil) != (clientKey == nil) {
            throw KubeconfigError(
                .invalidField,
                "kubeconfig user \"\(userName)\" has a client certificate without a key or a key without a certificate"
            )
        }
    }
}
