import CrowsnestCore
import Foundation
import Testing
import Yams

/// `deploy/`: every overlay renders with the real `kubectl kustomize`, and the rendered objects are what an SRE
/// expects: the workload kind and replicas, probes on `/-/healthy` and `/-/ready`, the cluster Secret mounted
/// read-only with group-readable files, the restricted Pod Security profile, resources, and shards that agree with
/// the replica count.
///
/// kubectl's client-side dry run (`kubectl apply --dry-run=client`) needs an API server for the REST mapping even
/// then, and its typed checks of the spec happen server-side, so offline the objects are checked here instead.
@Suite("Deploy manifests (kubectl kustomize)", .timeLimit(.minutes(2)))
struct DeployManifestTests {
    static let deploy = Onboarding.repositoryRoot + "/deploy"

    /// The objects `kubectl kustomize deploy/PATH` renders.
    static func render(_ path: String) throws -> [[String: Any]] {
        let kubectl = try Onboarding.requirePeer("kubectl", package: "kubernetes-client")
        let result = try Onboarding.run(kubectl, ["kustomize", deploy + "/" + path], timeout: 60)
        guard result.status == 0 else {
            throw OnboardingFailure("kubectl kustomize deploy/\(path) failed: \(result.standardError)")
        }
        let documents = try Yams.load_all(yaml: result.standardOutput).map { $0 as? [String: Any] ?? [:] }
        return Array(documents)
    }

    static func object(_ objects: [[String: Any]], kind: String) throws -> [String: Any] {
        try #require(objects.first { $0["kind"] as? String == kind }, "no \(kind)")
    }

    static func path(_ object: Any?, _ keys: String...) -> Any? {
        var current = object
        for key in keys {
            if let index = Int(key) {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            } else {
                current = (current as? [String: Any])?[key]
            }
        }
        return current
    }

    @Test("the base holds what both workloads share; nothing in it is granted any access")
    func base() throws {
        let objects = try Self.render("base")
        #expect(Set(objects.compactMap { $0["kind"] as? String }) == ["Namespace", "ServiceAccount", "Service"])
        for object in objects where object["kind"] as? String != "Namespace" {
            #expect(Self.path(object, "metadata", "namespace") as? String == "crowsnest")
        }
        let account = try Self.object(objects, kind: "ServiceAccount")
        #expect(account["automountServiceAccountToken"] as? Bool == false)
        #expect(Self.path(try Self.object(objects, kind: "Service"), "spec", "ports", "0", "port") as? Int == 9464)
    }

    @Test(
        "single: one replica; sharded: a StatefulSet whose shard count is its replica count",
        arguments: [("overlays/single", "Deployment"), ("overlays/sharded", "StatefulSet")]
    )
    func workload(overlay: String, kind: String) throws {
        let objects = try Self.render(overlay)
        let kinds = objects.compactMap { $0["kind"] as? String }
        #expect(
            Set(kinds) == ["Namespace", "ServiceAccount", "Service", kind, "PodMonitor", "ServiceMonitor"],
            "\(kinds)"
        )
        #expect(kinds.count == 6)
        let workload = try Self.object(objects, kind: kind)
        #expect(Self.path(workload, "metadata", "namespace") as? String == "crowsnest")
        let spec = try #require(workload["spec"] as? [String: Any])
        let pod = try #require(Self.path(spec, "template", "spec") as? [String: Any])
        let container = try #require(Self.path(pod, "containers", "0") as? [String: Any])
        let args = container["args"] as? [String] ?? []
        #expect(args.first == "serve" && args.contains("--listen=0.0.0.0:9464"))
        #expect(args.contains("--config-dir=/etc/crowsnest/clusters.d"))
        #expect(container["image"] as? String == "crowsnest:\(BuildInfo.version)")

        // The labels the Service and the monitors select are on the pods.
        let labels = Self.path(spec, "template", "metadata", "labels") as? [String: String] ?? [:]
        let service = try Self.object(objects, kind: "Service")
        let selector = Self.path(service, "spec", "selector") as? [String: String] ?? [:]
        #expect(!selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value })
        #expect(Self.path(spec, "selector", "matchLabels") as? [String: String] == labels)
        for monitor in ["PodMonitor", "ServiceMonitor"] {
            let object = try Self.object(objects, kind: monitor)
            let wanted = Self.path(object, "spec", "selector", "matchLabels") as? [String: String] ?? [:]
            let source =
                monitor == "PodMonitor" ? labels : Self.path(service, "metadata", "labels") as? [String: String] ?? [:]
            #expect(!wanted.isEmpty && wanted.allSatisfy { source[$0.key] == $0.value }, "\(monitor)")
        }
        let federation = try Self.object(objects, kind: "ServiceMonitor")
        #expect(Self.path(federation, "spec", "endpoints", "0", "path") as? String == "/metrics")
        #expect(Self.path(federation, "spec", "endpoints", "0", "honorLabels") as? Bool == true)
        let own = try Self.object(objects, kind: "PodMonitor")
        #expect(Self.path(own, "spec", "podMetricsEndpoints", "0", "path") as? String == "/-/metrics")

        // Probes on the gateway's own endpoints, on the named port.
        #expect(Self.path(container, "livenessProbe", "httpGet", "path") as? String == "/-/healthy")
        #expect(Self.path(container, "readinessProbe", "httpGet", "path") as? String == "/-/ready")
        #expect(Self.path(container, "livenessProbe", "httpGet", "port") as? String == "http")
        #expect(Self.path(container, "ports", "0", "name") as? String == "http")
        #expect(Self.path(container, "ports", "0", "containerPort") as? Int == 9464)

        // Restricted Pod Security: non-root, no privilege escalation, no capabilities, seccomp, read-only root.
        #expect(Self.path(pod, "securityContext", "runAsNonRoot") as? Bool == true)
        #expect((Self.path(pod, "securityContext", "runAsUser") as? Int ?? 0) > 0)
        #expect(Self.path(pod, "securityContext", "seccompProfile", "type") as? String == "RuntimeDefault")
        #expect(Self.path(container, "securityContext", "allowPrivilegeEscalation") as? Bool == false)
        #expect(Self.path(container, "securityContext", "readOnlyRootFilesystem") as? Bool == true)
        #expect(Self.path(container, "securityContext", "capabilities", "drop") as? [String] == ["ALL"])
        #expect(pod["automountServiceAccountToken"] as? Bool == false)

        // clusters.d from the Secret: read-only, group-readable by the pod's fsGroup (no permission warning).
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        let clusters = try #require(mounts.first { $0["mountPath"] as? String == "/etc/crowsnest/clusters.d" })
        #expect(clusters["readOnly"] as? Bool == true)
        let volumes = pod["volumes"] as? [[String: Any]] ?? []
        let volume = try #require(volumes.first { $0["name"] as? String == clusters["name"] as? String })
        #expect(Self.path(volume, "secret", "secretName") as? String == "crowsnest-clusters")
        #expect(Self.path(volume, "secret", "defaultMode") as? Int == 0o440)
        #expect(
            Self.path(pod, "securityContext", "fsGroup") as? Int == Self.path(pod, "securityContext", "runAsGroup")
                as? Int
        )
        // Everything the process may write is an emptyDir (the root file system is read-only).
        for mount in mounts where mount["readOnly"] as? Bool != true {
            let backing = volumes.first { $0["name"] as? String == mount["name"] as? String }
            #expect(backing?["emptyDir"] != nil, "\(mount)")
        }

        // Resources: requests for scheduling, a memory limit, no CPU limit.
        #expect(Self.path(container, "resources", "requests", "cpu") != nil)
        #expect(Self.path(container, "resources", "requests", "memory") != nil)
        #expect(Self.path(container, "resources", "limits", "memory") != nil)
        #expect(Self.path(container, "resources", "limits", "cpu") == nil)

        let replicas = spec["replicas"] as? Int ?? 0
        if kind == "Deployment" {
            #expect(replicas == 1)
            #expect(!args.contains { $0.hasPrefix("--shard") })
        } else {
            #expect(replicas >= 2)
            #expect(args.contains("--shard=auto"))
            let environment = container["env"] as? [[String: Any]] ?? []
            let count = environment.first { $0["name"] as? String == ShardSpec.countVariable }?["value"] as? String
            #expect(count == String(replicas), "CROWSNEST_SHARD_COUNT \(count ?? "-") vs replicas \(replicas)")
            let podName = environment.first { $0["name"] as? String == "POD_NAME" }
            #expect(Self.path(podName, "valueFrom", "fieldRef", "fieldPath") as? String == "metadata.name")
            // The pods a StatefulSet names are accepted by `--shard auto` and cover every index once.
            let specs = try (0..<replicas).map {
                try ShardSpec(
                    podName: "\(Self.path(workload, "metadata", "name") as? String ?? "")-\($0)",
                    count: replicas
                )
            }
            #expect(specs.map(\.index) == Array(0..<replicas))
        }
    }
}
