import ArgumentParser
import CrowsnestKube
import Foundation

/// `crowsnest rbac [--namespace NS] [--namespaces A,B] [--name NAME]`: print the least-privilege RBAC manifest a
/// monitored cluster needs, for `kubectl apply -f -`.
struct RBACCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbac",
        abstract: "Print the ServiceAccount, role, binding and token Secret a monitored cluster needs.",
        discussion: """
            Grants exactly what the gateway uses: pods get, list, watch (discovery) and pods/proxy get (scraping \
            through the API server) — cluster-wide, or with --namespaces only in those namespaces (one Role and \
            RoleBinding each). --services adds services and endpointslices list, watch; --nodes adds nodes list, \
            watch and nodes/proxy get (always cluster-wide). Apply with `crowsnest rbac | kubectl apply -f -`; the output's header says how to \
            extract the token and CA. The default output is kept in the repository as docker/rbac.yaml.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Namespace of the ServiceAccount and its token Secret (created when it is 'crowsnest').")
    var namespace: String = RBACManifest.defaultNamespace

    @Option(
        help: ArgumentHelp(
            "Grant pod access only in these namespaces (comma-separated, repeatable); default: every namespace.",
            valueName: "A,B"
        )
    )
    var namespaces: [String] = []

    @Option(help: "Name of the ServiceAccount, roles and bindings (the Secret is NAME-token).")
    var name: String = RBACManifest.defaultName

    @Flag(
        help: """
            Also grant nodes list/watch and nodes/proxy get, for node targets (nodes: in the cluster file). \
            nodes/proxy reaches every kubelet API of a node, not only its metrics.
            """
    )
    var nodes = false

    @Flag(help: "Also grant services and endpointslices list/watch, for Service endpoints (services: true).")
    var services = false

    /// The watched namespaces from every `--namespaces` value, split at commas.
    var watchedNamespaces: [String] {
        namespaces.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    func validate() throws {
        if !namespaces.isEmpty && watchedNamespaces.isEmpty {
            throw ValidationError("--namespaces needs at least one namespace (omit it for every namespace)")
        }
        do {
            _ = try manifest()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func manifest() throws(RBACManifestError) -> RBACManifest {
        try RBACManifest(
            namespace: namespace,
            name: name,
            watchedNamespaces: watchedNamespaces,
            nodes: nodes,
            services: services
        )
    }

    func run() async throws {
        global.bootstrapLogging()
        let yaml: String
        do {
            yaml = try manifest().yaml()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitStatus.usageOrConfigError
        }
        FileHandle.standardOutput.write(Data(yaml.utf8))
    }
}
