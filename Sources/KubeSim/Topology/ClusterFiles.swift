import Foundation

/// The files written for one simulated cluster.
public struct ClusterFileSet: Sendable {
    /// The cluster name.
    public var clusterName: String
    /// `clusters.d/NAME.yaml`.
    public var clusterFile: String
    /// The CA certificate, PEM.
    public var caFile: String
    /// The bearer token file the cluster file names.
    public var tokenFile: String
}

/// One context of a generated kubeconfig.
public struct KubeconfigContext: Sendable {
    /// How the context's user authenticates.
    public enum Credential: Sendable {
        /// A static bearer token.
        case token(String)
        /// An exec plugin (`client.authentication.k8s.io/v1beta1`), like `aws eks get-token`.
        case exec(command: String, args: [String], env: [(String, String)])
    }

    /// The context (and its cluster and user entry) name.
    public var name: String
    /// The API server URL.
    public var server: String
    /// The CA file path.
    public var caFile: String
    /// The credential.
    public var credential: Credential
    /// The default namespace, if any.
    public var namespace: String?

    /// Creates a context.
    public init(name: String, server: String, caFile: String, credential: Credential, namespace: String? = nil) {
        self.name = name
        self.server = server
        self.caFile = caFile
        self.credential = credential
        self.namespace = namespace
    }
}

/// Writes cluster files (SPEC §3), CA and token files, and kubeconfigs for simulated clusters.
public enum ClusterFiles {
    /// Writes `DIR/ca/NAME.crt`, `DIR/tokens/NAME` and `DIR/clusters.d/NAME.yaml` for a running cluster; `extra`
    /// (top-level YAML lines, such as a `nodes:` block) ends the cluster file.
    public static func write(
        cluster: SimulatedCluster,
        token: String,
        labels: [String: String],
        extra: String = "",
        into directory: String
    ) throws(KubeSimError) -> ClusterFileSet {
        guard let server = cluster.apiServerURL else {
            throw KubeSimError(.notRunning, "cluster \(cluster.name) has no port yet; write its files once it listens")
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        let caFile = root.appendingPathComponent("ca/\(cluster.name).crt").path
        let tokenFile = root.appendingPathComponent("tokens/\(cluster.name)").path
        let clusterFile = root.appendingPathComponent("clusters.d/\(cluster.name).yaml").path
        try writeFile(caFile, cluster.caCertificatePEM)
        try writeFile(tokenFile, token + "\n", permissions: 0o600)
        try writeFile(
            clusterFile,
            clusterFileYAML(
                name: cluster.name,
                apiServer: server,
                caFile: caFile,
                tokenFile: tokenFile,
                labels: labels
            ) + extra,
            permissions: 0o600
        )
        return ClusterFileSet(clusterName: cluster.name, clusterFile: clusterFile, caFile: caFile, tokenFile: tokenFile)
    }

    /// The text of a cluster file.
    public static func clusterFileYAML(
        name: String,
        apiServer: String,
        caFile: String,
        tokenFile: String,
        labels: [String: String]
    ) -> String {
        var text = "# Simulated cluster written by KubeSim (crowsnest demo).\n"
        text += "name: \(quote(name))\n"
        text += "api_server: \(quote(apiServer))\n"
        text += "tls:\n  ca_file: \(quote(caFile))\n"
        text += "auth:\n  bearer_token_file: \(quote(tokenFile))\n"
        if labels.isEmpty {
            text += "labels: {}\n"
        } else {
            text += "labels:\n"
            for key in labels.keys.sorted() { text += "  \(key): \(quote(labels[key]!))\n" }
        }
        return text
    }

    /// A kubeconfig with one context (plus cluster and user entries of the same name) per entry.
    public static func kubeconfigYAML(_ contexts: [KubeconfigContext], currentContext: String?) -> String {
        var text = "apiVersion: v1\nkind: Config\nclusters:\n"
        for context in contexts {
            text += "- name: \(quote(context.name))\n  cluster:\n    server: \(quote(context.server))\n"
            text += "    certificate-authority: \(quote(context.caFile))\n"
        }
        text += "users:\n"
        for context in contexts {
            text += "- name: \(quote(context.name))\n  user:\n"
            switch context.credential {
            case .token(let token):
                text += "    token: \(quote(token))\n"
            case .exec(let command, let args, let env):
                text += "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                text += "      command: \(quote(command))\n"
                text += "      args: [\(args.map(quote).joined(separator: ", "))]\n"
                if !env.isEmpty {
                    text += "      env:\n"
                    for (name, value) in env {
                        text += "      - name: \(quote(name))\n        value: \(quote(value))\n"
                    }
                }
                text += "      interactiveMode: Never\n      provideClusterInfo: false\n"
            }
        }
        text += "contexts:\n"
        for context in contexts {
            text += "- name: \(quote(context.name))\n  context:\n    cluster: \(quote(context.name))\n"
            text += "    user: \(quote(context.name))\n"
            if let namespace = context.namespace { text += "    namespace: \(quote(namespace))\n" }
        }
        if let currentContext { text += "current-context: \(quote(currentContext))\n" }
        return text
    }

    /// A double-quoted YAML scalar.
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Writes `text` to `path`, creating folders.
    static func writeFile(_ path: String, _ text: String, permissions: Int = 0o644) throws(KubeSimError) {
        do {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(text.utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
        } catch {
            throw KubeSimError(.io, "cannot write \(path): \(error)")
        }
    }
}
