import CrowsnestKube
import Foundation
import Testing
import Yams

/// `crowsnest rbac` and `RBACManifest`: valid multi-document YAML with exactly the least-privilege rules.
@Suite("Onboarding: rbac")
struct OnboardingRBACTests {
    /// The documents of a manifest, parsed.
    func documents(_ yaml: String) throws -> [[String: Any]] {
        var result: [[String: Any]] = []
        for document in try Yams.load_all(yaml: yaml) {
            let map = try #require(document as? [String: Any], "every document is a mapping")
            result.append(map)
        }
        return result
    }

    func kinds(_ documents: [[String: Any]]) -> [String] { documents.map { $0["kind"] as? String ?? "?" } }

    func metadata(_ document: [String: Any]) -> [String: Any] { document["metadata"] as? [String: Any] ?? [:] }

    /// `rules` as comparable triples.
    func rules(_ document: [String: Any]) -> [[String]] {
        (document["rules"] as? [[String: Any]] ?? []).map { rule in
            [
                (rule["apiGroups"] as? [String] ?? []).joined(separator: ","),
                (rule["resources"] as? [String] ?? []).joined(separator: ","),
                (rule["verbs"] as? [String] ?? []).joined(separator: ","),
            ]
        }
    }

    static let expectedRules = [
        [
            "", "pods", "get,list,watch",
        ], ["", "pods/proxy", "get"],
    ]

    @Test func clusterWideManifestHasExactlyTheExpectedObjectsAndRules() throws {
        let docs = try documents(try RBACManifest().yaml())
        #expect(
            kinds(docs) == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Secret"]
        )
        let role = try #require(docs.first { $0["kind"] as? String == "ClusterRole" })
        #expect(role["apiVersion"] as? String == "rbac.authorization.k8s.io/v1")
        #expect(rules(role) == Self.expectedRules)
        #expect(metadata(role)["namespace"] == nil)

        let account = try #require(docs.first { $0["kind"] as? String == "ServiceAccount" })
        #expect(metadata(account)["name"] as? String == "crowsnest")
        #expect(metadata(account)["namespace"] as? String == "crowsnest")
        #expect(account["automountServiceAccountToken"] as? Bool == false)

        let binding = try #require(docs.first { $0["kind"] as? String == "ClusterRoleBinding" })
        let roleRef = try #require(binding["roleRef"] as? [String: Any])
        #expect(roleRef["kind"] as? String == "ClusterRole")
        #expect(roleRef["name"] as? String == "crowsnest")
        #expect(roleRef["apiGroup"] as? String == "rbac.authorization.k8s.io")
        let subjects = try #require(binding["subjects"] as? [[String: Any]])
        #expect(subjects.count == 1)
        #expect(subjects.first?["kind"] as? String == "ServiceAccount")
        #expect(subjects.first?["name"] as? String == "crowsnest")
        #expect(subjects.first?["namespace"] as? String == "crowsnest")

        let secret = try #require(docs.first { $0["kind"] as? String == "Secret" })
        #expect(secret["type"] as? String == "kubernetes.io/service-account-token")
        #expect(metadata(secret)["name"] as? String == "crowsnest-token")
        #expect(metadata(secret)["namespace"] as? String == "crowsnest")
        let annotations = try #require(metadata(secret)["annotations"] as? [String: Any])
        #expect(annotations["kubernetes.io/service-account.name"] as? String == "crowsnest")
    }

    @Test func noDocumentGrantsMoreThanPodsAndPodsProxy() throws {
        for manifest in [try RBACManifest(), try RBACManifest(watchedNamespaces: ["shop", "payments"])] {
            for document in try documents(manifest.yaml()) where document["rules"] != nil {
                for rule in rules(document) {
                    #expect(rule[0] == "", "core API group only")
                    #expect(["pods", "pods/proxy"].contains(rule[1]))
                    #expect(!rule[2].contains("*") && !rule[2].contains("create") && !rule[2].contains("delete"))
                }
            }
        }
    }

    @Test(
        "--nodes and --services add exactly nodes list/watch, nodes/proxy get, services and endpointslices list/watch"
    )
    func nodesAndServicesAddExactlyTheirRules() throws {
        let extra: Set<[String]> = [
            ["", "services", "list,watch"], ["discovery.k8s.io", "endpointslices", "list,watch"],
            ["", "nodes", "list,watch"], ["", "nodes/proxy", "get"],
        ]
        let base: Set<[String]> = [["", "pods", "get,list,watch"], ["", "pods/proxy", "get"]]
        let wide = try documents(RBACManifest(nodes: true, services: true).yaml())
        let clusterRoles = wide.filter { $0["kind"] as? String == "ClusterRole" }
        #expect(clusterRoles.count == 1)
        #expect(Set(rules(clusterRoles[0]).map { [$0[0], $0[1], $0[2]] }) == base.union(extra))

        // Namespaced: the pod and Service rules per namespace; nodes (cluster-scoped) in a ClusterRole of their own.
        let scoped = try documents(RBACManifest(watchedNamespaces: ["shop"], nodes: true, services: true).yaml())
        #expect(
            kinds(scoped) == [
                "Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Secret",
            ]
        )
        let role = try #require(scoped.first { $0["kind"] as? String == "Role" })
        #expect(
            Set(rules(role))
                == base.union([["", "services", "list,watch"], ["discovery.k8s.io", "endpointslices", "list,watch"]])
        )
        let nodesRole = try #require(scoped.first { $0["kind"] as? String == "ClusterRole" })
        #expect(metadata(nodesRole)["name"] as? String == "crowsnest-nodes")
        #expect(Set(rules(nodesRole)) == [["", "nodes", "list,watch"], ["", "nodes/proxy", "get"]])
        let binding = try #require(scoped.first { $0["kind"] as? String == "ClusterRoleBinding" })
        #expect((binding["roleRef"] as? [String: Any])?["name"] as? String == "crowsnest-nodes")
        let yaml = try RBACManifest(nodes: true).yaml()
        #expect(yaml.contains("reaches every kubelet API of the node"))
        #expect(try RBACManifest(nodes: true, services: true).commandLine == "crowsnest rbac --nodes --services")
    }

    @Test func perNamespaceManifestHasOneRoleAndBindingPerNamespace() throws {
        let manifest = try RBACManifest(
            namespace: "monitoring",
            name: "gateway",
            watchedNamespaces: ["shop", "payments", "shop"]
        )
        #expect(manifest.watchedNamespaces == ["shop", "payments"])
        let docs = try documents(manifest.yaml())
        #expect(kinds(docs) == ["ServiceAccount", "Role", "Role", "RoleBinding", "RoleBinding", "Secret"])
        let roles = docs.filter { $0["kind"] as? String == "Role" }
        #expect(roles.map { metadata($0)["namespace"] as? String } == ["shop", "payments"])
        for role in roles {
            #expect(rules(role) == Self.expectedRules)
            #expect(metadata(role)["name"] as? String == "gateway")
        }
        for binding in docs.filter({ $0["kind"] as? String == "RoleBinding" }) {
            let roleRef = try #require(binding["roleRef"] as? [String: Any])
            #expect(roleRef["kind"] as? String == "Role")
            let subject = try #require((binding["subjects"] as? [[String: Any]])?.first)
            #expect(subject["namespace"] as? String == "monitoring")
            #expect(subject["name"] as? String == "gateway")
        }
        #expect(!docs.contains { $0["kind"] as? String == "ClusterRole" })
        // A namespace other than crowsnest is not created (nor deleted by `kubectl delete -f`).
        #expect(!docs.contains { $0["kind"] as? String == "Namespace" })
        let yaml = manifest.yaml()
        #expect(yaml.contains("kubectl create namespace monitoring"))
        #expect(yaml.contains("discovery.namespaces: [shop, payments]"))
    }

    @Test func outputIsDeterministic() throws {
        #expect(try RBACManifest().yaml() == RBACManifest().yaml())
        let a = try RBACManifest(watchedNamespaces: ["b", "a"]).yaml()
        let b = try RBACManifest(watchedNamespaces: ["b", "a"]).yaml()
        #expect(a == b)
    }

    /// Names YAML would read as something else (`y`, `no`, `123`) are quoted, so they stay strings.
    @Test func ambiguousNamesStayStrings() throws {
        let docs = try documents(try RBACManifest(namespace: "y", name: "no", watchedNamespaces: ["123", "on"]).yaml())
        let account = try #require(docs.first { $0["kind"] as? String == "ServiceAccount" })
        #expect(metadata(account)["namespace"] as? String == "y")
        #expect(metadata(account)["name"] as? String == "no")
        let roles = docs.filter { $0["kind"] as? String == "Role" }
        #expect(roles.map { metadata($0)["namespace"] as? String } == ["123", "on"])
    }

    @Test(arguments: ["", "Crowsnest", "-x", "x-", "a_b", "a.b", String(repeating: "a", count: 64)])
    func invalidNamesAreRejected(_ value: String) {
        #expect(throws: RBACManifestError.self) { try RBACManifest(namespace: value) }
        #expect(throws: RBACManifestError.self) { try RBACManifest(watchedNamespaces: [value]) }
        #expect(throws: RBACManifestError.self) { try RBACManifest(name: value) }
    }

    @Test func dockerRBACFileIsTheDefaultOutput() throws {
        let file = try Onboarding.read(Onboarding.repositoryRoot + "/docker/rbac.yaml")
        #expect(file == (try RBACManifest().yaml()), "regenerate with: crowsnest rbac > docker/rbac.yaml")
    }

    // MARK: - The command

    @Test func commandPrintsTheDefaultManifest() throws {
        let result = try Onboarding.crowsnest(["rbac"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == (try RBACManifest().yaml()))
        let file = try Onboarding.read(Onboarding.repositoryRoot + "/docker/rbac.yaml")
        #expect(result.standardOutput == file)
    }

    @Test func commandTakesNamespacesNameAndCommaLists() throws {
        let result = try Onboarding.crowsnest([
            "rbac", "--namespace", "monitoring", "--name", "gw", "--namespaces", "shop,payments", "--namespaces", "ops",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try RBACManifest(
            namespace: "monitoring",
            name: "gw",
            watchedNamespaces: ["shop", "payments", "ops"]
        )
        #expect(result.standardOutput == expected.yaml())
    }

    @Test func commandRejectsInvalidNamesWithUsageStatus() throws {
        let result = try Onboarding.crowsnest(["rbac", "--namespace", "Bad_NS"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("Bad_NS"))
        #expect(result.standardOutput.isEmpty)
        let empty = try Onboarding.crowsnest(["rbac", "--namespaces", ","])
        #expect(empty.status == 2)
    }

    // MARK: - kubectl

    /// `kubectl apply --dry-run=client --validate=false -f -` accepts the manifest. kubectl needs an API server for
    /// discovery even in a client-side dry run, so it talks to a local discovery server with the core and RBAC
    /// resources (and 404 for every object, as in a fresh cluster).
    @Test(arguments: [[], ["--namespace", "monitoring", "--namespaces", "shop,payments"]])
    func kubectlAcceptsTheManifest(_ options: [String]) async throws {
        let kubectl = try Onboarding.requirePeer("kubectl", package: "google-cloud-cli (kubectl component) or kubectl")
        let output = try Onboarding.crowsnest(["rbac"] + options)
        #expect(output.status == 0)
        let directory = try Onboarding.makeDirectory("kubectl")
        defer { Onboarding.removeDirectory(directory) }
        try await DiscoveryServer.withServer { server in
            let kubeconfig = directory + "/kubeconfig"
            try Onboarding.write(kubeconfig, server.kubeconfig())
            let environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "HOME": directory,
                "KUBECONFIG": kubeconfig,
            ]
            let result = try Onboarding.run(
                kubectl,
                ["apply", "--dry-run=client", "--validate=false", "--request-timeout=20s", "-f", "-"],
                input: output.standardOutput,
                environment: environment,
                timeout: 120
            )
            #expect(result.status == 0, "kubectl: \(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n").map(String.init)
            let documents = try documents(output.standardOutput)
            #expect(lines.count == documents.count, "\(result.standardOutput)")
            #expect(lines.allSatisfy { $0.hasSuffix("created (dry run)") }, "\(result.standardOutput)")
            if options.isEmpty {
                #expect(
                    lines == [
                        "namespace/crowsnest created (dry run)",
                        "serviceaccount/crowsnest created (dry run)",
                        "clusterrole.rbac.authorization.k8s.io/crowsnest created (dry run)",
                        "clusterrolebinding.rbac.authorization.k8s.io/crowsnest created (dry run)",
                        "secret/crowsnest-token created (dry run)",
                    ]
                )
            }
            #expect(server.requestedPaths.contains { $0.hasPrefix("/apis") })
        }
    }
}
