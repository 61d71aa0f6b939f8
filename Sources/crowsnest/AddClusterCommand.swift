import ArgumentParser
import CrowsnestCore
import CrowsnestKube
import Foundation

/// `crowsnest add-cluster --kubeconfig FILE [--context NAME] [--name NAME] [--out DIR] [--force]
/// [--service-account NS/NAME]`: write a cluster file from a kubeconfig context.
struct AddClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-cluster",
        abstract: "Write a cluster file (server, CA, credential) from a kubeconfig context.",
        discussion: """
            Writes DIR/NAME.yaml (mode 0600) and beside it the CA from certificate-authority-data (NAME.ca.crt), an \
            inline token (NAME.token, 0600) or inline client certificate and key (NAME.client-cert.pem, NAME.client-key.pem, 0600). \
            Files the kubeconfig names (tokenFile, client-certificate, certificate-authority) are referenced where \
            they are; an exec plugin is copied as is. Refuses to overwrite without --force. Errors (no such \
            context, a missing file, auth-provider or username/password users) write nothing.

            With --service-account NS/NAME nothing is written: it prints the kubectl commands that create a \
            dedicated ServiceAccount with `crowsnest rbac`, extract its long-lived token and CA, and write the \
            cluster file — the recommended setup for a gateway that runs unattended.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The kubeconfig to read (~ is $HOME; default: the first file of $KUBECONFIG, else ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "The context to use (default: the kubeconfig's current-context).")
    var context: String?

    @Option(help: "The cluster name, the `cluster` label (default: from the context name).")
    var name: String?

    @Option(help: "The folder for the cluster file and its side files.")
    var out: String = "clusters.d"

    @Flag(help: "Overwrite existing files.")
    var force = false

    @Flag(
        help: ArgumentHelp(
            "Keep a cloud exec plugin (aws eks get-token, aws-iam-authenticator, kubelogin, gke-gcloud-auth-plugin) "
                + "instead of writing the built-in aws / azure / gcp credentials."
        )
    )
    var keepExec = false

    @Option(
        help: ArgumentHelp(
            "Print the commands to create a ServiceAccount NS/NAME with a long-lived token instead of writing.",
            valueName: "NS/NAME"
        )
    )
    var serviceAccount: String?

    /// `--service-account` split into namespace and name.
    func serviceAccountParts() throws -> (namespace: String, name: String)? {
        guard let serviceAccount else { return nil }
        let parts = serviceAccount.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, RBACManifest.isDNS1123Label(parts[0]), RBACManifest.isDNS1123Label(parts[1]),
            parts[1].count <= 57
        else {
            throw ValidationError(
                "--service-account must be NAMESPACE/NAME, both lowercase DNS labels (e.g. crowsnest/crowsnest)"
            )
        }
        return (parts[0], parts[1])
    }

    func validate() throws {
        _ = try serviceAccountParts()
        if let name, !ClusterConfig.isValidName(name) {
            throw ValidationError(
                "--name \"\(name)\" is not a valid cluster name (letters, digits, '.', '_', '-', at most 63)"
            )
        }
    }

    func run() async throws {
        global.bootstrapLogging()
        do {
            let kubeconfig = try Kubeconfig.load(path: kubeconfigPath)
            let resolved = try kubeconfig.resolve(context: context)
            if let account = try serviceAccountParts() {
                let clusterName = try name ?? Self.derivedName(resolved.name)
                let text = ClusterFileWriter.serviceAccountInstructions(
                    context: resolved,
                    kubeconfigPath: kubeconfigPath,
                    serviceAccountNamespace: account.namespace,
                    serviceAccountName: account.name,
                    clusterName: clusterName,
                    outputDirectory: out
                )
                FileHandle.standardOutput.write(Data(text.utf8))
                return
            }
            let plan = try ClusterFileWriter.plan(
                context: resolved,
                name: name,
                outputDirectory: out,
                kubeconfigPath: kubeconfigPath,
                keepExec: keepExec
            )
            try ClusterFileWriter.write(plan, force: force)
            var text = "wrote cluster \(plan.clusterName) (\(plan.authKind)) from context \"\(resolved.name)\":\n"
            for file in plan.files {
                text += "  \(file.path)  (\(file.role), mode \(String(file.permissions, radix: 8)))\n"
            }
            for warning in plan.warnings { text += "warning: \(warning)\n" }
            text += "next: crowsnest check config \(out)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        } catch let error as KubeconfigError {
            throw report(AddClusterError(error))
        } catch let error as AddClusterError {
            throw report(error)
        }
    }

    /// The kubeconfig path with `~` expanded: `--kubeconfig`, else the first entry of `$KUBECONFIG` (as kubectl
    /// reads it, a `:`-separated list), else `~/.kube/config`.
    var kubeconfigPath: String {
        let environment = ProcessInfo.processInfo.environment
        let fromEnvironment = environment["KUBECONFIG"]?.split(separator: ":").first.map(String.init)
        let kubeconfig = kubeconfig ?? fromEnvironment ?? "~/.kube/config"
        guard kubeconfig == "~" || kubeconfig.hasPrefix("~/") else { return kubeconfig }
        return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + kubeconfig.dropFirst()
    }

    static func derivedName(_ contextName: String) throws(AddClusterError) -> String {
        guard let name = ClusterFileWriter.derivedName(fromContext: contextName) else {
            throw AddClusterError(
                .invalidName,
                "cannot make a cluster name from context \"\(contextName)\"; give one with --name"
            )
        }
        return name
    }

    /// Prints `error: …; nothing written` and returns the exit code: 2 (a configuration problem) or 1 (writing
    /// failed).
    private func report(_ error: AddClusterError) -> ExitCode {
        let suffix = error.message.contains("nothing written") || error.code == .io ? "" : "; nothing written"
        FileHandle.standardError.write(Data("error: \(error.message)\(suffix)\n".utf8))
        return error.code == .io ? ExitStatus.runtimeFailure : ExitStatus.usageOrConfigError
    }
}
