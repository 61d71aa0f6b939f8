public import CrowsnestCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `crowsnest add-cluster`: turns one kubeconfig context into a cluster file (SPEC §3) plus the files it names.
///
/// The credential is kept as it is — nothing is minted or exchanged:
/// - `token` → `NAME.token` (0600) beside the cluster file, referenced by `auth.bearer_token_file`;
/// - `tokenFile` → referenced where it is;
/// - `client-certificate[-data]` + `client-key[-data]` → data written to `NAME.client-cert.pem` and
///   `NAME.client-key.pem` (0600; `.pem`, because NIOSSL reads a `*.key` file as DER), files referenced where they are;
/// - `exec` → copied to `auth.exec` (command, args, apiVersion); its env (values are secrets) → `NAME.exec-env`
///   (0600, `KEY=VALUE` lines) beside the cluster file, referenced by `auth.exec.env_file`.
///
/// The CA from `certificate-authority-data` goes to `NAME.ca.crt` (0644); a `certificate-authority` file is
/// referenced. Files written here are named relative to the cluster file, so the folder can be moved as a whole.
///
/// Planning (`plan`) is separate from writing (`write`), and a plan is validated with the cluster-file decoder before
/// anything touches the disk: an error means nothing is written.
public enum ClusterFileWriter {
    /// One file to write.
    public struct PlannedFile: Sendable, Hashable {
        /// Absolute path.
        public var path: String
        /// The contents (a secret for tokens and keys: never print it).
        public var contents: Secret
        /// The permission bits, such as `0o600`.
        public var permissions: UInt32
        /// What it is, for messages: `cluster file`, `CA`, `token`, `client certificate`, `client key`.
        public var role: String

        /// Creates a planned file.
        public init(path: String, contents: Secret, permissions: UInt32, role: String) {
            self.path = path
            self.contents = contents
            self.permissions = permissions
            self.role = role
        }
    }

    /// What `add-cluster` will write for one context.
    public struct Plan: Sendable, Hashable {
        /// The cluster name (the `cluster` label).
        public var clusterName: String
        /// The cluster file's absolute path.
        public var clusterFilePath: String
        /// The cluster file's text.
        public var clusterFileYAML: String
        /// Every file to write, side files first and the cluster file last (so a running gateway never sees a
        /// cluster file whose files are not there yet).
        public var files: [PlannedFile]
        /// Things the user should know (insecure TLS, ignored credentials, anonymous access).
        public var warnings: [String]
        /// The kind of credential written: `bearer_token_file`, `client_certificate`, `exec`, `anonymous`.
        public var authKind: String
    }

    /// Plans the files for a resolved context.
    ///
    /// - Parameters:
    ///   - context: the kubeconfig context, resolved.
    ///   - name: the cluster name; `nil` = derived from the context name (an EKS ARN gives its cluster name).
    ///   - outputDirectory: the folder for the cluster file and its side files (made absolute with the working
    ///     directory).
    ///   - kubeconfigPath: the kubeconfig's path, for the file's header comment.
    ///   - fileExists: whether a file referenced by the kubeconfig exists (default: the real file system).
    ///   - keepExec: keep a cloud exec plugin (`aws eks get-token`, `aws-iam-authenticator`,
    ///     `gke-gcloud-auth-plugin`) instead of converting it to the built-in `aws` / `gcp` kind.
    /// - Throws: `AddClusterError` naming what is missing or unsupported.
    public static func plan(
        context: ResolvedKubeContext,
        name: String?,
        outputDirectory: String,
        kubeconfigPath: String,
        fileExists: ((String) -> Bool)? = nil,
        keepExec: Bool = false
    ) throws(AddClusterError) -> Plan {
        let fileExists = fileExists ?? { FileManager.default.fileExists(atPath: $0) }
        let clusterName: String
        if let name {
            guard ClusterConfig.isValidName(name) else {
                throw AddClusterError(
                    .invalidName,
                    "invalid cluster name \"\(name)\": use letters, digits, '.', '_', '-' (at most 63, starting with "
                        + "a letter or digit)"
                )
            }
            clusterName = name
        } else {
            guard let derived = derivedName(fromContext: context.name) else {
                throw AddClusterError(
                    .invalidName,
                    "cannot make a cluster name from context \"\(context.name)\"; give one with --name"
                )
            }
            clusterName = derived
        }
        do throws(KubeconfigError) {
            try context.user.checkSupported(userName: context.userName.isEmpty ? context.name : context.userName)
        } catch {
            throw AddClusterError(.unsupportedCredential, error.message)
        }

        let directory = absolute(outputDirectory)
        func beside(_ suffix: String) -> (path: String, written: String) {
            (directory + "/" + clusterName + suffix, clusterName + suffix)
        }
        func requireFile(_ path: String, _ what: String) throws(AddClusterError) {
            guard fileExists(path) else {
                throw AddClusterError(
                    .missingFile,
                    "\(what) \(path), named by context \"\(context.name)\" of \(kubeconfigPath), does not exist"
                )
            }
        }

        var files: [PlannedFile] = []
        var warnings: [String] = []
        var yaml = "# Cluster \(clusterName), written by `crowsnest add-cluster` from context \"\(context.name)\"\n"
        yaml += "# of \(kubeconfigPath). Check with `crowsnest check config`. Secrets stay in the files named below.\n"
        yaml += "name: \(quote(clusterName))\n"
        yaml += "api_server: \(quote(context.server))\n"
        if let proxy = context.proxyURL {
            // Owner-only like the rest of the file: a proxy URL may carry the proxy's password.
            yaml += "proxy_url: \(quote(proxy))\n"
        }

        // TLS
        var tlsLines: [String] = []
        switch context.certificateAuthority {
        case .pem(let pem):
            let file = beside(".ca.crt")
            files.append(
                PlannedFile(path: file.path, contents: Secret(terminated(pem)), permissions: 0o644, role: "CA")
            )
            tlsLines.append("ca_file: \(quote(file.written))")
        case .file(let path):
            try requireFile(path, "certificate-authority file")
            tlsLines.append("ca_file: \(quote(path))")
        case nil:
            break
        }
        if let serverName = context.tlsServerName { tlsLines.append("server_name: \(quote(serverName))") }
        if context.insecureSkipVerify {
            tlsLines.append("insecure_skip_verify: true")
            warnings.append(
                "the context skips TLS verification (insecure-skip-tls-verify); the cluster file does too — get the "
                    + "cluster's CA (crowsnest fetch-ca, or the cloud console) and set tls.ca_file instead"
            )
        }
        if !tlsLines.isEmpty { yaml += "tls:\n" + tlsLines.map { "  \($0)\n" }.joined() }

        // Credentials: exactly one in a cluster file.
        let user = context.user
        var available: [String] = []
        if user.token != nil { available.append("token") }
        if user.tokenFile != nil { available.append("tokenFile") }
        if user.clientCertificate != nil { available.append("client certificate") }
        if user.exec != nil { available.append("exec") }
        var authKind = "anonymous"
        if let token = user.token {
            let file = beside(".token")
            let trimmed = token.revealed.trimmingCharacters(in: .whitespacesAndNewlines)
            files.append(
                PlannedFile(path: file.path, contents: Secret(trimmed + "\n"), permissions: 0o600, role: "token")
            )
            yaml += "auth:\n  bearer_token_file: \(quote(file.written))\n"
            authKind = "bearer_token_file"
        } else if let tokenFile = user.tokenFile {
            try requireFile(tokenFile, "tokenFile")
            yaml += "auth:\n  bearer_token_file: \(quote(tokenFile))\n"
            authKind = "bearer_token_file"
        } else if let certificate = user.clientCertificate, let key = user.clientKey {
            var certificatePath: String
            var keyPath: String
            switch certificate {
            case .data(let pem):
                let file = beside(".client-cert.pem")
                files.append(
                    PlannedFile(
                        path: file.path,
                        contents: Secret(terminated(pem.revealed)),
                        permissions: 0o600,
                        role: "client certificate"
                    )
                )
                certificatePath = file.written
            case .file(let path):
                try requireFile(path, "client-certificate file")
                certificatePath = path
            }
            switch key {
            case .data(let pem):
                let file = beside(".client-key.pem")
                files.append(
                    PlannedFile(
                        path: file.path,
                        contents: Secret(terminated(pem.revealed)),
                        permissions: 0o600,
                        role: "client key"
                    )
                )
                keyPath = file.written
            case .file(let path):
                try requireFile(path, "client-key file")
                keyPath = path
            }
            yaml += "auth:\n  client_cert_file: \(quote(certificatePath))\n  client_key_file: \(quote(keyPath))\n"
            authKind = "client_certificate"
        } else if let exec = user.exec, !keepExec,
            case .converted(let block, let kind, let notes) = ExecPluginConversion.convert(exec)
        {
            yaml += "auth:\n" + block
            authKind = kind
            warnings += notes
        } else if let exec = user.exec, !keepExec,
            case .convertedWithSecret(let block, let kind, let notes, let secret) = ExecPluginConversion.convert(exec)
        {
            // The client secret goes to a 0600 side file, never into the cluster file.
            let file = beside(".azure-secret")
            files.append(
                PlannedFile(
                    path: file.path,
                    contents: Secret(terminated(secret.revealed)),
                    permissions: 0o600,
                    role: "client secret"
                )
            )
            yaml += "auth:\n" + block + "    client_secret_file: \(quote(file.written))\n"
            authKind = kind
            warnings += notes
        } else if let exec = user.exec {
            if !keepExec, case .kept(let reason?) = ExecPluginConversion.convert(exec) {
                warnings.append("the exec plugin \(exec.command) is kept: \(reason)")
            }
            yaml += "auth:\n  exec:\n"
            yaml += "    command: \(quote(exec.command))\n"
            yaml += "    args: [\(exec.args.map(quote).joined(separator: ", "))]\n"
            if !exec.env.isEmpty {
                // The values are secrets (cloud keys, client secrets): a 0600 side file, not the cluster file.
                guard let text = ExecEnvironmentFile.render(exec.env) else {
                    throw AddClusterError(
                        .invalidKubeconfig,
                        "context \"\(context.name)\": an exec env value spans several lines, which an env file "
                            + "cannot hold"
                    )
                }
                let file = beside(".exec-env")
                files.append(
                    PlannedFile(path: file.path, contents: Secret(text), permissions: 0o600, role: "exec env file")
                )
                yaml += "    env_file: \(quote(file.written))\n"
            }
            yaml += "    api_version: \(quote(exec.apiVersion))\n"
            authKind = "exec"
            if !exec.command.hasPrefix("/") {
                warnings.append(
                    "the exec plugin \(exec.command) is looked up in PATH where the gateway runs: install it there "
                        + "(and its own configuration, e.g. cloud CLI credentials)"
                )
            }
        } else {
            warnings.append(
                "context \"\(context.name)\" has no credentials (token, tokenFile, client certificate or exec): "
                    + "requests will be anonymous. For a dedicated account see --service-account NS/NAME"
            )
        }
        if available.count > 1 {
            warnings.append(
                "the kubeconfig user has several credentials (\(available.joined(separator: ", "))); a cluster file "
                    + "holds one, so \(available[0]) is used and the others are ignored"
            )
        }
        if let namespace = context.namespace {
            yaml += "# The context's default namespace was \(namespace); discovery covers every namespace the "
            yaml += "credential may list.\n"
            yaml += "# discovery:\n#   namespaces: [\(namespace)]\n"
        }

        let clusterFile = beside(".yaml")
        // Validate before anything is written: an error means nothing is.
        let report = ClusterFile.parse(
            yaml: yaml,
            context: ClusterFileContext(
                file: clusterFile.path,
                baseDirectory: directory,
                homeDirectory: ProcessInfo.processInfo.environment["HOME"]
            )
        )
        if report.hasErrors {
            let reasons = report.errors.map { "\($0.field.isEmpty ? "" : $0.field + ": ")\($0.reason)" }
            throw AddClusterError(
                .invalidKubeconfig,
                "context \"\(context.name)\" does not make a valid cluster file: " + reasons.joined(separator: "; ")
            )
        }
        files.append(
            PlannedFile(path: clusterFile.path, contents: Secret(yaml), permissions: 0o600, role: "cluster file")
        )
        return Plan(
            clusterName: clusterName,
            clusterFilePath: clusterFile.path,
            clusterFileYAML: yaml,
            files: files,
            warnings: warnings,
            authKind: authKind
        )
    }

    /// Writes a plan: refuses (writing nothing) when any of its files exists, unless `force`, or when another cluster
    /// file in the folder claims the same cluster name. Creates the folder when needed. Each file is written to a temporary name with its final permissions and renamed into place.
    public static func write(_ plan: Plan, force: Bool) throws(AddClusterError) {
        if !force {
            let existing = plan.files.map(\.path).filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty {
                throw AddClusterError(
                    .exists,
                    "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing "
                        + "written (use --force to overwrite)"
                )
            }
        }
        let directory = ConfigPaths.directory(of: plan.clusterFilePath)
        // Two files claiming one name are both refused by the gateway: do not create the second.
        if FileManager.default.fileExists(atPath: directory) {
            let scan = ClusterDirectory(path: directory).scan(validateReferencedFiles: false)
            let clashes = scan.files.filter { $0.claimedName == plan.clusterName && $0.path != plan.clusterFilePath }
            if let clash = clashes.first {
                throw AddClusterError(
                    .exists,
                    "cluster name \(plan.clusterName) is already used by \(clash.path); nothing written (choose "
                        + "another --name)"
                )
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AddClusterError(.io, "cannot create \(directory): \(error.localizedDescription)")
        }
        // On a failure, remove what this call created (overwritten files cannot be restored).
        var created: [String] = []
        do {
            for file in plan.files {
                let existed = FileManager.default.fileExists(atPath: file.path)
                try writeFile(file)
                if !existed { created.append(file.path) }
            }
        } catch {
            for path in created { unlink(path) }
            throw error
        }
    }

    static func writeFile(_ file: PlannedFile) throws(AddClusterError) {
        let directory = ConfigPaths.directory(of: file.path)
        let temporary = directory + "/." + ConfigPaths.fileName(of: file.path) + ".tmp-" + String(getpid())
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(file.permissions))
        guard descriptor >= 0 else {
            throw AddClusterError(.io, "cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
        var ok = fchmod(descriptor, mode_t(file.permissions)) == 0
        var reason = ok ? "" : String(cString: strerror(errno))
        if ok {
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            do {
                try handle.write(contentsOf: Data(file.contents.revealed.utf8))
            } catch {
                ok = false
                reason = error.localizedDescription
            }
        }
        close(descriptor)
        guard ok, rename(temporary, file.path) == 0 else {
            let why = ok ? String(cString: strerror(errno)) : reason
            unlink(temporary)
            throw AddClusterError(.io, "cannot write \(file.path): \(why)")
        }
    }

    // MARK: - Names

    /// A cluster name from a context name: the name itself when valid; for an EKS ARN
    /// (`arn:aws:eks:REGION:ACCOUNT:cluster/NAME`) the cluster's name; for a GKE context (`gke_PROJECT_ZONE_NAME`)
    /// the cluster's name; otherwise invalid characters become `-`. `nil` when nothing usable remains.
    public static func derivedName(fromContext contextName: String) -> String? {
        if ClusterConfig.isValidName(contextName) && !contextName.hasPrefix("gke_") { return contextName }
        var base = contextName
        if contextName.hasPrefix("arn:"), let slash = contextName.lastIndex(of: "/") {
            base = String(contextName[contextName.index(after: slash)...])
        } else if contextName.hasPrefix("gke_") {
            let parts = contextName.split(separator: "_")
            if parts.count >= 4 { base = parts[3...].joined(separator: "_") }
        }
        var mapped = String(
            base.unicodeScalars.map { scalar -> Character in
                let ok =
                    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "." || scalar == "_" || scalar == "-"
                return ok ? Character(scalar) : "-"
            }
        )
        while let first = mapped.first, !(first.isLetter || first.isNumber) { mapped.removeFirst() }
        if mapped.count > 63 { mapped = String(mapped.prefix(63)) }
        while mapped.hasSuffix("-") { mapped.removeLast() }
        return ClusterConfig.isValidName(mapped) ? mapped : nil
    }

    // MARK: - Service account instructions

    /// The commands that create a dedicated ServiceAccount with `crowsnest rbac`, wait for its long-lived token,
    /// extract token and CA beside the cluster file, and write the cluster file — printed by
    /// `add-cluster --service-account NS/NAME` instead of writing anything.
    public static func serviceAccountInstructions(
        context: ResolvedKubeContext,
        kubeconfigPath: String,
        serviceAccountNamespace: String,
        serviceAccountName: String,
        clusterName: String,
        outputDirectory: String
    ) -> String {
        let kubectl = "kubectl --kubeconfig \(shellQuote(kubeconfigPath)) --context \(shellQuote(context.name))"
        let namespace = shellQuote(serviceAccountNamespace)
        let secret = shellQuote(serviceAccountName + "-token")
        let directory = outputDirectory.hasSuffix("/") ? String(outputDirectory.dropLast()) : outputDirectory
        let tokenPath = shellQuote("\(directory)/\(clusterName).token")
        let caPath = shellQuote("\(directory)/\(clusterName).ca.crt")
        let clusterFile = shellQuote("\(directory)/\(clusterName).yaml")
        var lines: [String] = [
            "# A dedicated ServiceAccount for Crowsnest in context \"\(context.name)\", with a long-lived token.",
            "# Nothing has been written or created: run these commands (they need permission to create RBAC).",
            "",
        ]
        if serviceAccountNamespace != RBACManifest.defaultNamespace {
            lines.append("# 0. The namespace (skip if it exists):")
            lines.append("\(kubectl) create namespace \(namespace)")
            lines.append("")
        }
        lines += [
            "# 1. ServiceAccount, ClusterRole (pods get/list/watch, pods/proxy get), binding, token Secret:",
            "crowsnest rbac --namespace \(namespace) --name \(shellQuote(serviceAccountName)) | \(kubectl) apply -f -",
            "",
            "# 2. Wait for the token controller to fill the Secret:",
            "until \(kubectl) -n \(namespace) get secret \(secret) -o jsonpath='{.data.token}' | grep -q .; do sleep 1; done",
            "",
            "# 3. Extract token and CA beside the cluster file (the token is a secret: owner-only):",
            "mkdir -p \(shellQuote(directory))",
            "(umask 077; \(kubectl) -n \(namespace) get secret \(secret) -o jsonpath='{.data.token}' | base64 -d > \(tokenPath))",
            "\(kubectl) -n \(namespace) get secret \(secret) -o jsonpath='{.data.ca\\.crt}' | base64 -d > \(caPath)",
            "",
            "# 4. The cluster file:",
            "(umask 077; cat > \(clusterFile) <<'EOF'",
            "name: \(quote(clusterName))",
            "api_server: \(quote(context.server))",
        ]
        if let written = context.proxyURL {
            // Printed, so never with the proxy's password: the user copies it from the kubeconfig.
            if let proxy = try? ProxyURL(parsing: written), proxy.password != nil {
                lines.append(
                    "proxy_url: \(quote(proxy.description))  # add user:password@ from the kubeconfig's proxy-url"
                )
            } else {
                lines.append("proxy_url: \(quote(written))")
            }
        }
        lines += [
            "tls:",
            "  ca_file: \(quote(clusterName + ".ca.crt"))",
        ]
        if let serverName = context.tlsServerName { lines.append("  server_name: \(quote(serverName))") }
        lines += [
            "auth:",
            "  bearer_token_file: \(quote(clusterName + ".token"))",
            "EOF",
            ")",
            "",
            "# 5. Check it:",
            "crowsnest check config \(shellQuote(directory))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Text helpers

    /// A double-quoted YAML scalar (every value the writer emits goes through this).
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A POSIX shell word: as is when safe, else single-quoted.
    static func shellQuote(_ value: String) -> String {
        let safe =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "-_./:=@%+,".unicodeScalars.contains($0)
            }
        if safe { return value }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func terminated(_ text: String) -> String { text.hasSuffix("\n") ? text : text + "\n" }

    static func absolute(_ path: String) -> String {
        let expanded: String
        if path == "~" || path.hasPrefix("~/") {
            expanded = (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
        } else {
            expanded = path
        }
        if expanded.hasPrefix("/") { return ConfigPaths.normalize(expanded) }
        return ConfigPaths.normalize(FileManager.default.currentDirectoryPath + "/" + expanded)
    }
}

/// Why `add-cluster` wrote nothing. `code` is bounded; `message` names what is missing and never holds a secret.
public struct AddClusterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The kubeconfig cannot be read or parsed, or the context does not make a valid cluster file.
        case invalidKubeconfig
        /// The context (or its cluster or user) does not exist.
        case missingContext
        /// A file the kubeconfig names does not exist.
        case missingFile
        /// The user authenticates in a way Crowsnest does not support (auth-provider, username/password).
        case unsupportedCredential
        /// The cluster name is invalid.
        case invalidName
        /// A file to write exists and `--force` was not given.
        case exists
        /// Writing failed.
        case io
    }

    /// The kind of failure.
    public var code: Code
    /// What is wrong, naming the missing thing.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Maps a kubeconfig error to the add-cluster code it belongs to.
    public init(_ error: KubeconfigError) {
        let code: Code
        switch error.code {
        case .noContext, .missingContext, .missingCluster, .missingUser: code = .missingContext
        case .unsupported: code = .unsupportedCredential
        case .unreadableFile: code = .missingFile
        default: code = .invalidKubeconfig
        }
        self.init(code, error.message)
    }

    /// The message.
    public var description: String { message }
}
