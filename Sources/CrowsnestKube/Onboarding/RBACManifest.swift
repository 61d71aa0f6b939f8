/// The least-privilege RBAC manifest a monitored cluster needs (`crowsnest rbac`): a ServiceAccount, the pod
/// permissions (cluster-wide or per namespace), their bindings, and a long-lived token Secret for that account.
///
/// The permissions are exactly what the gateway uses: `pods` get/list/watch (discovery) and `pods/proxy` get
/// (scraping through the API server); with `--services`, `services` and `endpointslices` list/watch; with
/// `--nodes`, `nodes` list/watch and `nodes/proxy` get (in a ClusterRole of its own, as nodes belong to no
/// namespace). Nothing else — no Secrets, no write verbs.
///
/// The text is generated deterministically (same input, same bytes), so `docker/rbac.yaml` can be checked against
/// `crowsnest rbac`'s default output.
///
/// ```swift
/// let yaml = try RBACManifest(namespace: "crowsnest", watchedNamespaces: ["shop"]).yaml()
/// ```
public struct RBACManifest: Sendable, Hashable {
    /// The namespace that holds the ServiceAccount and its token Secret.
    public var namespace: String
    /// The name of the ServiceAccount, the ClusterRole/Roles and the bindings; the Secret is `NAME-token`.
    public var name: String
    /// Namespaces the account may read pods in, one Role + RoleBinding each; empty = every namespace (one
    /// ClusterRole + ClusterRoleBinding).
    public var watchedNamespaces: [String]
    /// Whether node targets are granted (`nodes` list/watch, `nodes/proxy` get).
    public var nodes: Bool
    /// Whether Service endpoints are granted (`services`, `endpointslices` list/watch).
    public var services: Bool

    /// The default namespace, `crowsnest`. The manifest creates it (it belongs to Crowsnest); any other namespace
    /// must already exist and is never claimed by the manifest, so `kubectl delete -f` cannot remove a shared one.
    public static let defaultNamespace = "crowsnest"
    /// The default name, `crowsnest`.
    public static let defaultName = "crowsnest"

    /// One RBAC policy rule.
    public struct Rule: Sendable, Hashable {
        /// The API groups (`""` = core).
        public var apiGroups: [String]
        /// The resources (with subresources, such as `pods/proxy`).
        public var resources: [String]
        /// The verbs.
        public var verbs: [String]

        /// Creates a rule.
        public init(apiGroups: [String], resources: [String], verbs: [String]) {
            self.apiGroups = apiGroups
            self.resources = resources
            self.verbs = verbs
        }
    }

    /// The rules every manifest grants: `pods` get, list, watch; `pods/proxy` get.
    public static let rules: [Rule] = [
        Rule(apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"]),
        Rule(apiGroups: [""], resources: ["pods/proxy"], verbs: ["get"]),
    ]

    /// The rules `--services` adds: `services` and `endpointslices` list, watch.
    public static let serviceRules: [Rule] = [
        Rule(apiGroups: [""], resources: ["services"], verbs: ["list", "watch"]),
        Rule(apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"]),
    ]

    /// The rules `--nodes` adds: `nodes` list, watch; `nodes/proxy` get (the kubelet's metrics endpoints).
    public static let nodeRules: [Rule] = [
        Rule(apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"]),
        Rule(apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]),
    ]

    /// The namespaced rules this manifest grants (the pod rules, and the Service rules with `--services`).
    public var namespacedRules: [Rule] { Self.rules + (services ? Self.serviceRules : []) }

    /// Creates a manifest description, validating every name (Kubernetes DNS-1123 labels).
    ///
    /// - Parameters:
    ///   - namespace: where the ServiceAccount and token Secret live.
    ///   - name: the ServiceAccount's (and roles' and bindings') name.
    ///   - watchedNamespaces: namespaces to grant pod access in; empty = cluster-wide. Duplicates are dropped.
    /// - Throws: `RBACManifestError` naming the invalid value.
    public init(
        namespace: String = RBACManifest.defaultNamespace,
        name: String = RBACManifest.defaultName,
        watchedNamespaces: [String] = [],
        nodes: Bool = false,
        services: Bool = false
    ) throws(RBACManifestError) {
        guard Self.isDNS1123Label(namespace) else { throw RBACManifestError(field: "namespace", value: namespace) }
        // The Secret is NAME-token: keep it a label too.
        guard Self.isDNS1123Label(name), name.utf8.count <= 57 else {
            throw RBACManifestError(field: "name", value: name, limit: 57)
        }
        var seen: Set<String> = []
        var watched: [String] = []
        for watchedNamespace in watchedNamespaces {
            guard Self.isDNS1123Label(watchedNamespace) else {
                throw RBACManifestError(field: "namespaces", value: watchedNamespace)
            }
            if seen.insert(watchedNamespace).inserted { watched.append(watchedNamespace) }
        }
        self.namespace = namespace
        self.name = name
        self.watchedNamespaces = watched
        self.nodes = nodes
        self.services = services
    }

    /// The name of the ClusterRole and binding for nodes, `NAME-nodes`, when the pod permissions are namespaced.
    public var nodesRoleName: String { name + "-nodes" }

    /// The token Secret's name, `NAME-token`.
    public var tokenSecretName: String { name + "-token" }

    /// Whether the permissions are cluster-wide (no namespaces given).
    public var isClusterWide: Bool { watchedNamespaces.isEmpty }

    /// Whether the manifest includes the Namespace object (only for the default `crowsnest` namespace).
    public var createsNamespace: Bool { namespace == Self.defaultNamespace }

    /// The manifest: multi-document YAML that `kubectl apply -f -` accepts, with a header explaining what it grants
    /// and how to extract the token.
    public func yaml() -> String {
        var out = header()
        if createsNamespace {
            out += document(kind: "Namespace", apiVersion: "v1", name: namespace, namespace: nil)
        }
        out += document(kind: "ServiceAccount", apiVersion: "v1", name: name, namespace: namespace)
        out += "automountServiceAccountToken: false\n"
        if isClusterWide {
            out += document(kind: "ClusterRole", apiVersion: Self.rbacAPIVersion, name: name, namespace: nil)
            out += rulesBlock(namespacedRules + (nodes ? Self.nodeRules : []))
            out += document(kind: "ClusterRoleBinding", apiVersion: Self.rbacAPIVersion, name: name, namespace: nil)
            out += bindingBody(roleKind: "ClusterRole", roleName: name)
        } else {
            for watched in watchedNamespaces {
                out += document(kind: "Role", apiVersion: Self.rbacAPIVersion, name: name, namespace: watched)
                out += rulesBlock(namespacedRules)
            }
            for watched in watchedNamespaces {
                out += document(kind: "RoleBinding", apiVersion: Self.rbacAPIVersion, name: name, namespace: watched)
                out += bindingBody(roleKind: "Role", roleName: name)
            }
            if nodes {
                out += document(
                    kind: "ClusterRole",
                    apiVersion: Self.rbacAPIVersion,
                    name: nodesRoleName,
                    namespace: nil
                )
                out += rulesBlock(Self.nodeRules)
                out += document(
                    kind: "ClusterRoleBinding",
                    apiVersion: Self.rbacAPIVersion,
                    name: nodesRoleName,
                    namespace: nil
                )
                out += bindingBody(roleKind: "ClusterRole", roleName: nodesRoleName)
            }
        }
        out += document(
            kind: "Secret",
            apiVersion: "v1",
            name: tokenSecretName,
            namespace: namespace,
            annotations: [("kubernetes.io/service-account.name", name)]
        )
        out += "type: kubernetes.io/service-account-token\n"
        return out
    }

    // MARK: - Text

    static let rbacAPIVersion = "rbac.authorization.k8s.io/v1"

    /// The `crowsnest rbac` command line that prints this manifest.
    public var commandLine: String {
        var words = ["crowsnest", "rbac"]
        if namespace != Self.defaultNamespace { words += ["--namespace", namespace] }
        if name != Self.defaultName { words += ["--name", name] }
        if !isClusterWide { words += ["--namespaces", watchedNamespaces.joined(separator: ",")] }
        if nodes { words.append("--nodes") }
        if services { words.append("--services") }
        return words.joined(separator: " ")
    }

    private func header() -> String {
        let ns = Self.scalar(namespace)
        let secret = Self.scalar(tokenSecretName)
        var lines = [
            "Crowsnest: least-privilege access for one monitored cluster (generated by `crowsnest rbac`).",
            "",
        ]
        if isClusterWide {
            lines.append("Grants ServiceAccount \(namespace)/\(name), in every namespace:")
        } else {
            lines.append(
                "Grants ServiceAccount \(namespace)/\(name), only in the namespaces "
                    + watchedNamespaces.joined(separator: ", ") + ":"
            )
        }
        lines += [
            "  pods            get, list, watch   (discovery: list + watch pods)",
            "  pods/proxy      get                (scraping through the API server's pod proxy)",
        ]
        if services {
            lines += [
                "  services        list, watch        (Services annotated prometheus.io/scrape)",
                "  endpointslices  list, watch        (the pods behind them)",
            ]
        }
        if nodes {
            lines += [
                "and cluster-wide, as nodes belong to no namespace:",
                "  nodes           list, watch        (node discovery)",
                "  nodes/proxy     get                (kubelet /metrics, /metrics/cadvisor, … through the node proxy;",
                "                                      this reaches every kubelet API of the node, not only metrics)",
            ].dropFirst(isClusterWide ? 1 : 0)
        }
        let absent = [services ? nil : "Services", nodes ? nil : "nodes"].compactMap { $0 }
        lines.append(
            "and nothing else: no Secrets" + absent.map { ", " + $0 }.joined() + " or write access."
        )
        if !isClusterWide {
            lines.append(
                "Set `discovery.namespaces: [\(watchedNamespaces.joined(separator: ", "))]` in the cluster file: "
                    + "listing all namespaces is not allowed."
            )
        }
        if !createsNamespace {
            lines.append("Namespace \(namespace) must exist: kubectl create namespace \(namespace)")
        }
        lines += [
            "",
            "Apply:          \(commandLine) | kubectl apply -f -",
            "Extract token:  (umask 077; kubectl -n \(ns) get secret \(secret) -o jsonpath='{.data.token}' "
                + "| base64 -d > token)",
            "Extract CA:     kubectl -n \(ns) get secret \(secret) -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt",
            "Then set auth.bearer_token_file and tls.ca_file in the cluster file (crowsnest add-cluster --help).",
        ]
        return lines.map { $0.isEmpty ? "#\n" : "# \($0)\n" }.joined()
    }

    private func document(
        kind: String,
        apiVersion: String,
        name: String,
        namespace: String?,
        annotations: [(String, String)] = []
    ) -> String {
        var out = "---\napiVersion: \(apiVersion)\nkind: \(kind)\nmetadata:\n"
        out += "  name: \(Self.scalar(name))\n"
        if let namespace { out += "  namespace: \(Self.scalar(namespace))\n" }
        out += "  labels:\n    app.kubernetes.io/name: crowsnest\n    app.kubernetes.io/component: rbac\n"
        if !annotations.isEmpty {
            out += "  annotations:\n"
            for (key, value) in annotations { out += "    \(key): \(Self.scalar(value))\n" }
        }
        return out
    }

    private func rulesBlock(_ rules: [Rule]) -> String {
        var out = "rules:\n"
        for rule in rules {
            out += "  - apiGroups: [\(rule.apiGroups.map(Self.scalar).joined(separator: ", "))]\n"
            out += "    resources: [\(rule.resources.map(Self.scalar).joined(separator: ", "))]\n"
            out += "    verbs: [\(rule.verbs.map(Self.scalar).joined(separator: ", "))]\n"
        }
        return out
    }

    private func bindingBody(roleKind: String, roleName: String) -> String {
        var out = "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: \(roleKind)\n"
        out += "  name: \(Self.scalar(roleName))\n"
        out += "subjects:\n  - kind: ServiceAccount\n    name: \(Self.scalar(name))\n"
        out += "    namespace: \(Self.scalar(namespace))\n"
        return out
    }

    /// A YAML scalar for a name: plain when it can only read as that string, double-quoted otherwise (`""`, `y`,
    /// `no`, `null`, `123`, … would otherwise read as booleans, nulls or numbers in YAML 1.1 or 1.2).
    static func scalar(_ value: String) -> String {
        let ambiguous: Set<String> = [
            "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
        ]
        let bytes = Array(value.utf8)
        let plainSafe =
            !bytes.isEmpty && !ambiguous.contains(value.lowercased())
            && Self.isLowerLetter(bytes[0])
            && bytes.allSatisfy {
                Self.isLowerLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "/")
            }
        if plainSafe { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func isLowerLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A Kubernetes DNS-1123 label: 1–63 lowercase letters, digits and `-`, starting and ending alphanumeric.
    public static func isDNS1123Label(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        guard bytes.allSatisfy({ isLowerLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }) else { return false }
        return bytes.first != UInt8(ascii: "-") && bytes.last != UInt8(ascii: "-")
    }
}

/// An invalid value given to `RBACManifest` (a namespace or name that is not a Kubernetes DNS-1123 label).
public struct RBACManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The option or field: `namespace`, `name`, `namespaces`.
    public var field: String
    /// The rejected value.
    public var value: String
    /// The length limit that applied.
    public var limit: Int

    /// Creates an error.
    public init(field: String, value: String, limit: Int = 63) {
        self.field = field
        self.value = value
        self.limit = limit
    }

    /// `invalid namespace "X": use 1–63 lowercase letters, digits and '-', starting and ending alphanumeric`.
    public var description: String {
        "invalid \(field) \"\(value)\": use 1–\(limit) lowercase letters, digits and '-', starting and ending with a "
            + "letter or digit (a Kubernetes DNS-1123 label)"
    }
}
