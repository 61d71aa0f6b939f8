import CrowsnestCore
import Testing

/// `relabel_mode`: rules refine the built-in selection (`crowsnest`) or decide alone (`prometheus`); either way every
/// target carries `cluster`, `namespace` and `pod_name`, and equal label sets are scraped once.
@Suite("Relabel modes and duplicate targets")
struct RelabelModeTests {
    static func pod(
        _ name: String,
        namespace: String = "shop",
        annotations: [String: String] = [:],
        ports: [PodInfo.Port] = [PodInfo.Port(name: "metrics", number: 9102), PodInfo.Port(name: "http", number: 8080)]
    ) -> PodInfo {
        PodInfo(
            namespace: namespace,
            name: name,
            uid: "uid-\(name)",
            labels: ["app": "web", "tier": "front"],
            annotations: annotations,
            controllerKind: "StatefulSet",
            controllerName: "web",
            nodeName: "node-1",
            containers: [PodInfo.Container(name: "main", image: "img:1", ports: ports)],
            podIP: "10.1.0.5",
            hostIP: "192.0.2.1",
            ready: true
        )
    }

    static let dropRestricted = RelabelRule(
        sourceLabels: ["__meta_kubernetes_namespace"],
        regex: "restricted",
        action: .drop
    )

    static func rules(_ rules: [RelabelRule], mode: RelabelMode = .crowsnest) throws -> PodTargetRules {
        PodTargetRules(
            cluster: "relab",
            staticLabels: ["region": "eu"],
            relabeler: try Relabeler(rules: rules),
            mode: mode
        )
    }

    @Test("crowsnest mode: one drop rule leaves out one namespace; the others keep identity labels and opt-outs")
    func oneDropRule() throws {
        let rules = try Self.rules([Self.dropRestricted])
        let kept = rules.targets(for: Self.pod("web-0"))
        #expect(kept.targets.map(\.key.port) == ["9102"])
        #expect(
            LabelSet(kept.targets[0].labels) == [
                "cluster": "relab", "namespace": "shop", "pod_name": "web-0", "region": "eu",
            ]
        )
        #expect(rules.targets(for: Self.pod("web-1", namespace: "restricted")).targets.isEmpty)
        let optedOut = rules.targets(for: Self.pod("web-2", annotations: ["prometheus.io/scrape": "false"]))
        #expect(optedOut.targets.isEmpty && optedOut.refused.isEmpty)
        // The same rule in prometheus mode makes every declared port a target with the cluster label only, and the
        // opt-out is not consulted: what the user saw, now with namespace and pod_name added back.
        let prometheus = try Self.rules([Self.dropRestricted], mode: .prometheus)
        let all = prometheus.targets(for: Self.pod("web-2", annotations: ["prometheus.io/scrape": "false"]))
        #expect(all.targets.map(\.key.port) == ["9102", "8080"])
        #expect(
            all.targets.allSatisfy {
                LabelSet($0.labels)["namespace"] == "shop" && LabelSet($0.labels)["pod_name"] == "web-2"
            }
        )
    }

    @Test("crowsnest mode: rules see the role: pod meta labels and may add labels and change the path; identity stays")
    func refinement() throws {
        let rules = try Self.rules([
            RelabelRule(regex: "__meta_kubernetes_pod_label_(tier)", action: .labelmap),
            RelabelRule(sourceLabels: ["__meta_kubernetes_pod_container_port_name"], targetLabel: "port_name"),
            RelabelRule(targetLabel: "namespace", replacement: "someone-else"),
            RelabelRule(regex: "pod_name", action: .labeldrop),
            RelabelRule(targetLabel: "__metrics_path__", replacement: "/stats"),
            RelabelRule(targetLabel: "__param_format", replacement: "text"),
        ])
        let target = try #require(rules.targets(for: Self.pod("web-0")).targets.first)
        #expect(
            LabelSet(target.labels) == [
                "cluster": "relab", "namespace": "shop", "pod_name": "web-0", "region": "eu", "tier": "front",
                "port_name": "metrics",
            ]
        )
        #expect(target.path == "/stats")
        #expect(target.parameters == [Label("format", "text")])
        let unsafe = try Self.rules([RelabelRule(targetLabel: "__metrics_path__", replacement: "/../x")])
        #expect(unsafe.targets(for: Self.pod("web-0")).refused.count == 1)
    }

    @Test("prometheus mode: namespace and pod_name are added when the rules leave them unset, kept when set")
    func prometheusIdentity() throws {
        let rules = try Self.rules(
            [
                RelabelRule(
                    sourceLabels: ["__meta_kubernetes_pod_container_port_name"],
                    regex: "metrics",
                    action: .keep
                ),
                RelabelRule(targetLabel: "namespace", replacement: "renamed"),
            ],
            mode: .prometheus
        )
        let target = try #require(rules.targets(for: Self.pod("web-0")).targets.first)
        #expect(LabelSet(target.labels)["namespace"] == "renamed")
        #expect(LabelSet(target.labels)["pod_name"] == "web-0")
        #expect(LabelSet(target.labels)["cluster"] == "relab")
    }

    @Test("exclude_namespaces: pods there never become targets, in either mode")
    func excludedNamespaces() throws {
        for mode in RelabelMode.allCases {
            var rules = try Self.rules(mode == .prometheus ? [RelabelRule(regex: ".*", action: .keep)] : [], mode: mode)
            rules.excludedNamespaces = ["kube-system"]
            #expect(rules.targets(for: Self.pod("a", namespace: "kube-system")) == .none)
            #expect(!rules.targets(for: Self.pod("a", namespace: "shop")).targets.isEmpty)
        }
        var plain = PodTargetRules(cluster: "c")
        plain.excludedNamespaces = ["kube-system"]
        #expect(plain.targets(for: Self.pod("a", namespace: "kube-system")) == .none)
    }

    @Test("targets with equal labels are scraped once: the first by key stays, the others are listed as duplicates")
    func duplicates() throws {
        let rules = try Self.rules(
            [RelabelRule(targetLabel: "pod_name", replacement: "same")],
            mode: .prometheus
        )
        let pods = ["b", "a", "c"].map { Self.pod($0, ports: [PodInfo.Port(name: "metrics", number: 9102)]) }
        let targets = pods.flatMap { rules.targets(for: $0).targets }.sorted { $0.key < $1.key }
        #expect(targets.count == 3)
        let selection = TargetSelection.removingDuplicates(targets)
        #expect(selection.targets.map(\.key.pod) == ["a"])
        #expect(selection.duplicates.map(\.pod) == ["b", "c"])
        #expect(selection.duplicates.allSatisfy { $0.kind == .duplicate && $0.reason.contains("shop/a") })
        let distinct = TargetSelection.removingDuplicates(
            pods.flatMap { PodTargetRules(cluster: "c").targets(for: $0).targets }
        )
        #expect(distinct.duplicates.isEmpty && distinct.targets.count == 3)
    }

    @Test("identityLabelsTouched names the identity labels a rule writes or removes")
    func identityTouched() {
        #expect(RelabelRule(targetLabel: "namespace").identityLabelsTouched == ["namespace"])
        #expect(RelabelRule(targetLabel: "team").identityLabelsTouched == [])
        #expect(RelabelRule(regex: "pod_.*", action: .labeldrop).identityLabelsTouched == ["pod_name"])
        #expect(
            RelabelRule(regex: "pod_name|team", action: .labelkeep).identityLabelsTouched == ["cluster", "namespace"]
        )
        #expect(RelabelRule(regex: "x", replacement: "cluster", action: .labelmap).identityLabelsTouched == ["cluster"])
        #expect(RelabelRule(sourceLabels: ["a"], regex: "x", action: .drop).identityLabelsTouched == [])
    }
}
