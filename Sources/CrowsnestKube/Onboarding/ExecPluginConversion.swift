import CrowsnestCore

/// Turns a kubeconfig user's cloud exec plugin into Crowsnest's built-in kind, for `add-cluster`: `aws eks
/// get-token` and `aws-iam-authenticator token` become `auth.aws`, `gke-gcloud-auth-plugin` becomes `auth.gcp`,
/// `kubelogin get-token` with a service principal or workload identity becomes `auth.azure`.
///
/// A plugin whose settings the built-in kind cannot carry (secret keys in its environment, flags it does not
/// know) is not converted, and the reason is given, so the exec form is kept rather than a file that would
/// authenticate differently.
enum ExecPluginConversion {
    /// The outcome for one plugin.
    enum Outcome: Equatable {
        /// The `auth:` block's YAML (two-space indented under `auth:`), the kind, and notes for the user.
        case converted(yaml: String, kind: String, notes: [String])
        /// The same, plus a client secret that goes to a 0600 side file named by `auth.azure.client_secret_file`
        /// (the writer appends that line).
        case convertedWithSecret(yaml: String, kind: String, notes: [String], secret: Secret)
        /// Kept as exec, with the reason (nil: not a plugin Crowsnest has a built-in kind for).
        case kept(reason: String?)
    }

    /// Environment variables the built-in kinds read themselves or that carry no credential.
    static let awsHarmlessEnvironment: Set<String> = [
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_STS_REGIONAL_ENDPOINTS",
    ]

    /// The conversion of `exec`.
    static func convert(_ exec: ExecConfig) -> Outcome {
        let command = exec.command.split(separator: "/").last.map(String.init) ?? exec.command
        switch command {
        case "aws":
            guard exec.args.count >= 2, exec.args[0] == "eks", exec.args[1] == "get-token" else {
                return .kept(reason: nil)
            }
            return aws(exec, arguments: Array(exec.args.dropFirst(2)), clusterFlags: ["--cluster-name"])
        case "aws-iam-authenticator":
            guard exec.args.first == "token" else { return .kept(reason: nil) }
            return aws(exec, arguments: Array(exec.args.dropFirst()), clusterFlags: ["-i", "--cluster-id"])
        case "gke-gcloud-auth-plugin":
            return gcp(exec)
        case "kubelogin":
            guard exec.args.first == "get-token" else { return .kept(reason: nil) }
            return azure(exec)
        default:
            return .kept(reason: nil)
        }
    }

    static func aws(_ exec: ExecConfig, arguments: [String], clusterFlags: Set<String>) -> Outcome {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            var flag = arguments[index]
            var value: String?
            if let equals = flag.firstIndex(of: "="), flag.hasPrefix("--") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            } else if index + 1 < arguments.count {
                value = arguments[index + 1]
                index += 1
            }
            index += 1
            switch flag {
            case _ where clusterFlags.contains(flag): values["cluster"] = value
            case "--region": values["region"] = value
            case "--role-arn", "-r", "--role": values["role"] = value
            case "--profile": values["profile"] = value
            case "--output", "-o": continue
            default:
                return .kept(reason: "its argument \(flag) has no built-in equivalent")
            }
        }
        guard let cluster = values["cluster"], !cluster.isEmpty else {
            return .kept(reason: "it names no cluster (--cluster-name)")
        }
        let environment = Dictionary(exec.env.map { ($0.name, $0.value.revealed) }, uniquingKeysWith: { $1 })
        if let other = environment.keys.sorted().first(where: { !awsHarmlessEnvironment.contains($0) }) {
            return .kept(
                reason: "its environment sets \(other), which the built-in kind reads from the gateway's own "
                    + "environment or shared files instead"
            )
        }
        if exec.envFile != nil { return .kept(reason: "it reads an env_file") }
        var yaml = "  aws:\n    cluster_name: \(ClusterFileWriter.quote(cluster))\n"
        if let region = values["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] {
            yaml += "    region: \(ClusterFileWriter.quote(region))\n"
        }
        if let profile = values["profile"] ?? environment["AWS_PROFILE"] {
            yaml += "    profile: \(ClusterFileWriter.quote(profile))\n"
        }
        if let role = values["role"] { yaml += "    role_arn: \(ClusterFileWriter.quote(role))\n" }
        return .converted(
            yaml: yaml,
            kind: "aws",
            notes: [
                "the EKS token is minted by Crowsnest from the gateway's AWS credentials (environment, IRSA, Pod "
                    + "Identity or shared files), no aws CLI needed; --keep-exec keeps the plugin"
            ]
        )
    }

    static func gcp(_ exec: ExecConfig) -> Outcome {
        var usesADC = false
        for argument in exec.args {
            switch argument {
            case "--use_application_default_credentials": usesADC = true
            default: return .kept(reason: "its argument \(argument) has no built-in equivalent")
            }
        }
        let environment = Dictionary(exec.env.map { ($0.name, $0.value.revealed) }, uniquingKeysWith: { $1 })
        if let other = environment.keys.sorted().first(where: { $0 != "GOOGLE_APPLICATION_CREDENTIALS" }) {
            return .kept(reason: "its environment sets \(other)")
        }
        if exec.envFile != nil { return .kept(reason: "it reads an env_file") }
        var yaml = "  gcp:\n"
        if let file = environment["GOOGLE_APPLICATION_CREDENTIALS"], !file.isEmpty {
            yaml += "    credentials_file: \(ClusterFileWriter.quote(file))\n"
        } else {
            yaml += "    credentials_file: \"\"\n"
        }
        var notes = [
            "the Google token is fetched by Crowsnest (service-account key file, else GOOGLE_APPLICATION_CREDENTIALS, "
                + "else the metadata server), no gke-gcloud-auth-plugin needed; --keep-exec keeps the plugin"
        ]
        if !usesADC {
            notes.append(
                "the plugin used your gcloud login; the gateway uses Application Default Credentials instead (a "
                    + "service account), which need the cluster's RBAC"
            )
        }
        return .converted(yaml: yaml, kind: "gcp", notes: notes)
    }

    static func azure(_ exec: ExecConfig) -> Outcome {
        var values: [String: String] = [:]
        let arguments = Array(exec.args.dropFirst())
        var index = 0
        while index < arguments.count {
            var flag = arguments[index]
            var value: String?
            if let equals = flag.firstIndex(of: "="), flag.hasPrefix("--") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            } else if index + 1 < arguments.count {
                value = arguments[index + 1]
                index += 1
            }
            index += 1
            switch flag {
            case "--login", "-l": values["login"] = value
            case "--server-id": values["server"] = value
            case "--client-id": values["client"] = value
            case "--tenant-id", "-t": values["tenant"] = value
            case "--client-secret": values["secret"] = value
            case "--federated-token-file": values["federated"] = value
            case "--environment", "-e":
                guard value == nil || value == "AzurePublicCloud" else {
                    return .kept(reason: "it targets the \(value ?? "") cloud; set AZURE_AUTHORITY_HOST for it")
                }
            default:
                return .kept(reason: "its argument \(flag) has no built-in equivalent")
            }
        }
        let environment = Dictionary(exec.env.map { ($0.name, $0.value.revealed) }, uniquingKeysWith: { $1 })
        let known: Set<String> = [
            "AAD_SERVICE_PRINCIPAL_CLIENT_ID", "AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AAD_LOGIN_METHOD",
        ]
        if let other = environment.keys.sorted().first(where: { !known.contains($0) }) {
            return .kept(reason: "its environment sets \(other)")
        }
        if exec.envFile != nil { return .kept(reason: "it reads an env_file") }
        let login = values["login"] ?? environment["AAD_LOGIN_METHOD"] ?? "devicecode"
        guard login == "spn" || login == "workloadidentity" else {
            return .kept(reason: "its login \(login) needs a person or the Azure CLI; spn and workloadidentity convert")
        }
        let client =
            values["client"] ?? environment["AAD_SERVICE_PRINCIPAL_CLIENT_ID"] ?? environment["AZURE_CLIENT_ID"]
        let tenant = values["tenant"] ?? environment["AZURE_TENANT_ID"]
        var yaml = "  azure:\n"
        if let tenant { yaml += "    tenant_id: \(ClusterFileWriter.quote(tenant))\n" }
        if let client { yaml += "    client_id: \(ClusterFileWriter.quote(client))\n" }
        if let server = values["server"] { yaml += "    server_id: \(ClusterFileWriter.quote(server))\n" }
        let notes = [
            "the Entra ID token is fetched by Crowsnest (client credentials), no kubelogin needed; --keep-exec keeps "
                + "the plugin"
        ]
        if login == "spn" {
            guard
                let secret = values["secret"] ?? environment["AAD_SERVICE_PRINCIPAL_CLIENT_SECRET"]
                    ?? environment["AZURE_CLIENT_SECRET"]
            else { return .kept(reason: "its service principal login has no client secret (a certificate?)") }
            return .convertedWithSecret(yaml: yaml, kind: "azure", notes: notes, secret: Secret(secret))
        }
        if let federated = values["federated"] ?? environment["AZURE_FEDERATED_TOKEN_FILE"] {
            yaml += "    federated_token_file: \(ClusterFileWriter.quote(federated))\n"
        }
        return .converted(yaml: yaml, kind: "azure", notes: notes)
    }
}
