import Foundation

/// The demo world of `crowsnest demo` (and the gateway's end-to-end tests): three clusters —
/// `aws-eu-west-1` (EKS-style: also accepts `aws eks get-token` tokens), `azure-eastus` and `onprem-lab` —
/// with a few namespaces, 10–30 pods each carrying `prometheus.io/*` annotations and/or `metrics` ports served
/// by simulated exporters, one crash-looping pod per cluster, and a `restricted` namespace the gateway's
/// ServiceAccount is denied. Each cluster has the three nodes its pods run on (kubelets with cAdvisor behind the
/// node proxy) and two `prometheus.io`-annotated Services with their EndpointSlices (`shop/web`, whose pods are
/// annotated too, and `payments/ledger`, whose pods are not); the gateway may read nodes, `nodes/proxy`,
/// Services and EndpointSlices.
public struct DemoTopology: Sendable {
    /// One cluster of the demo and its credentials.
    public struct Member: Sendable {
        /// The cluster.
        public var cluster: SimulatedCluster
        /// The token of the gateway's ServiceAccount (what its cluster file uses).
        public var gatewayToken: String
        /// A `system:masters` token.
        public var adminToken: String
        /// The cluster's static labels (written into its cluster file).
        public var labels: [String: String]
    }

    /// The identity the gateway scrapes with in every demo cluster.
    public static let gatewayIdentity = Identity.serviceAccount(namespace: "monitoring", name: "crowsnest")
    /// The namespace the gateway may not list, watch or proxy into.
    public static let deniedNamespace = "restricted"
    /// The test IAM principal the EKS-style cluster accepts `aws eks get-token` tokens from.
    public static let eksCredential = EKSAuthentication.Credential(
        accessKeyID: "AKIAKUBESIMDEMO00001",
        secretAccessKey: "kubesimDemoSecretKey/NotARealAWSKey0000001",
        identity: Identity(user: "arn:aws:iam::000000000000:user/crowsnest-demo", groups: ["system:masters"])
    )
    /// The AWS region of the EKS-style cluster.
    public static let eksRegion = "eu-west-1"

    /// The clusters with their credentials.
    public let members: [Member]

    /// The clusters.
    public var clusters: [SimulatedCluster] { members.map(\.cluster) }

    /// Builds the three clusters and their pods (not yet listening).
    public init(seriesPerPod: Int = 200, bookmarkInterval: Duration = .seconds(60)) throws(KubeSimError) {
        let plans: [(String, String, [String: String], Bool)] = [
            ("aws-eu-west-1", "v1.31.4-eks-2d5f260", ["provider": "aws", "region": "eu-west-1"], true),
            ("azure-eastus", "v1.30.7", ["provider": "azure", "region": "eastus"], false),
            ("onprem-lab", "v1.29.12", ["provider": "onprem", "site": "lab"], false),
        ]
        var members: [Member] = []
        for (index, (name, version, labels, eks)) in plans.enumerated() {
            let cluster = try SimulatedCluster(
                ClusterConfiguration(
                    name: name,
                    gitVersion: version,
                    eks: eks ? EKSAuthentication(clusterName: name, credentials: [DemoTopology.eksCredential]) : nil,
                    bookmarkInterval: bookmarkInterval,
                    labels: labels
                )
            )
            let gateway = DemoTopology.gatewayIdentity
            cluster.policy.allowScraping(.user(gateway.user))
            cluster.policy.allowNodeScraping(.user(gateway.user))
            cluster.policy.allowServiceDiscovery(.user(gateway.user))
            cluster.policy.allow(.user(gateway.user), verbs: ["get", "list"], resources: ["namespaces"])
            cluster.policy.deny(.user(gateway.user), namespaces: [DemoTopology.deniedNamespace])
            let gatewayToken = cluster.issueToken(for: gateway)
            let adminToken = cluster.issueToken(for: .admin())
            try DemoTopology.populate(cluster, clusterIndex: index, seriesPerPod: seriesPerPod)
            members.append(Member(cluster: cluster, gatewayToken: gatewayToken, adminToken: adminToken, labels: labels))
        }
        self.members = members
    }

    /// Writes, for running clusters, `DIR/clusters.d/*.yaml`, `DIR/ca/*.crt`, `DIR/tokens/*` and
    /// `DIR/kubeconfig` (contexts named after the clusters use the gateway's token; `NAME-admin` contexts use
    /// an admin token; `aws-eu-west-1-iam` authenticates with `aws eks get-token`).
    public func writeFiles(to directory: String) throws(KubeSimError) -> DemoFiles {
        var sets: [ClusterFileSet] = []
        var contexts: [KubeconfigContext] = []
        for member in members {
            let set = try ClusterFiles.write(
                cluster: member.cluster,
                token: member.gatewayToken,
                labels: member.labels,
                // The gateway scrapes the nodes' kubelets (cAdvisor: container CPU and memory) and the annotated
                // Services' pods too.
                extra: "nodes:\n  kubelet: true\n  cadvisor: true\nservices: true\n",
                into: directory
            )
            sets.append(set)
            let server = member.cluster.apiServerURL!
            contexts.append(
                KubeconfigContext(
                    name: member.cluster.name,
                    server: server,
                    caFile: set.caFile,
                    credential: .token(member.gatewayToken)
                )
            )
            contexts.append(
                KubeconfigContext(
                    name: member.cluster.name + "-admin",
                    server: server,
                    caFile: set.caFile,
                    credential: .token(member.adminToken)
                )
            )
            if member.cluster.configuration.eks != nil {
                contexts.append(
                    KubeconfigContext(
                        name: member.cluster.name + "-iam",
                        server: server,
                        caFile: set.caFile,
                        credential: .exec(
                            command: "aws",
                            args: ["eks", "get-token", "--cluster-name", member.cluster.name],
                            env: [
                                ("AWS_ACCESS_KEY_ID", DemoTopology.eksCredential.accessKeyID),
                                ("AWS_SECRET_ACCESS_KEY", DemoTopology.eksCredential.secretAccessKey),
                                ("AWS_DEFAULT_REGION", DemoTopology.eksRegion),
                                ("AWS_CONFIG_FILE", "/dev/null"), ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                                ("AWS_EC2_METADATA_DISABLED", "true"),
                            ]
                        )
                    )
                )
            }
        }
        let kubeconfig = URL(fileURLWithPath: directory).standardizedFileURL.appendingPathComponent("kubeconfig").path
        try ClusterFiles.writeFile(
            kubeconfig,
            ClusterFiles.kubeconfigYAML(contexts, currentContext: members.first?.cluster.name),
            permissions: 0o600
        )
        return DemoFiles(
            directory: URL(fileURLWithPath: directory).standardizedFileURL.path,
            clusters: sets,
            kubeconfig: kubeconfig
        )
    }

    /// Keeps the demo moving until cancelled: the crash-looping pods restart again every `interval`
    /// (MODIFIED events with a growing restart count).
    public func churn(every interval: Duration = .seconds(30)) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            for member in members {
                for pod in member.cluster.pods.all() where pod.containers.first?.restartCount ?? 0 > 0 && !pod.ready {
                    _ = try? member.cluster.pods.update(namespace: pod.namespace, name: pod.name) { pod in
                        pod.crashLoop(restarts: (pod.containers.first?.restartCount ?? 0) + 1)
                    }
                }
            }
        }
    }

    // MARK: - Pods

    private struct Workload {
        var namespace: String
        var name: String
        var replicas: Int
        var kind: String  // Deployment (ReplicaSet pods), StatefulSet, DaemonSet
        var labels: [String: String]
        var port: SimulatedPod.ContainerPort?
        var annotated: Bool
        var optOut = false
    }

    private static func populate(_ cluster: SimulatedCluster, clusterIndex: Int, seriesPerPod: Int) throws(KubeSimError)
    {
        var random = SplitMix64(seed: 0xC0FFEE &+ UInt64(clusterIndex))
        let extra = Int(random.next() % 4)
        let workloads: [Workload] = [
            Workload(
                namespace: "shop",
                name: "web",
                replicas: 3 + extra,
                kind: "Deployment",
                labels: ["app": "web", "tier": "frontend", "service": "shop", "type": "web"],
                port: .init(name: "http", containerPort: 8080),
                annotated: true
            ),
            Workload(
                namespace: "shop",
                name: "cart",
                replicas: 2 + extra / 2,
                kind: "Deployment",
                labels: ["app": "cart", "tier": "backend", "service": "shop", "type": "api"],
                port: .init(name: "metrics", containerPort: 9102),
                annotated: false
            ),
            Workload(
                namespace: "payments",
                name: "api",
                replicas: 3,
                kind: "Deployment",
                labels: ["app": "payments-api", "tier": "backend", "service": "payments", "type": "api"],
                port: .init(name: "metrics", containerPort: 9102),
                annotated: true
            ),
            Workload(
                namespace: "payments",
                name: "ledger",
                replicas: 2,
                kind: "StatefulSet",
                labels: ["app": "ledger", "tier": "data", "service": "payments", "type": "db"],
                port: .init(name: "db-metrics", containerPort: 9187),
                annotated: false
            ),
            Workload(
                namespace: "monitoring",
                name: "node-exporter",
                replicas: 3,
                kind: "DaemonSet",
                labels: ["app": "node-exporter", "tier": "infra", "type": "exporter"],
                port: .init(name: "metrics", containerPort: 9100),
                annotated: true
            ),
            Workload(
                namespace: "monitoring",
                name: "debug-tools",
                replicas: 1,
                kind: "Deployment",
                labels: ["app": "debug-tools", "tier": "infra"],
                port: .init(name: "metrics", containerPort: 9102),
                annotated: true,
                optOut: true
            ),
            Workload(
                namespace: DemoTopology.deniedNamespace,
                name: "billing",
                replicas: 2,
                kind: "Deployment",
                labels: ["app": "billing", "tier": "backend", "service": "billing", "type": "api"],
                port: .init(name: "metrics", containerPort: 9102),
                annotated: true
            ),
        ]
        let startedAt = Date().addingTimeInterval(-3600)
        var pods: [SimulatedPod] = []
        for workload in workloads {
            let hash = String(StableHash.fnv1a(cluster.name + workload.name), radix: 36).suffix(9)
            for replica in 0..<workload.replicas {
                let name: String
                let owner: SimulatedPod.Owner
                switch workload.kind {
                case "StatefulSet":
                    name = "\(workload.name)-\(replica)"
                    owner = .init(kind: "StatefulSet", name: workload.name)
                case "DaemonSet":
                    name =
                        "\(workload.name)-\(String(StableHash.fnv1a(cluster.name + workload.name + "\(replica)"), radix: 36).suffix(5))"
                    owner = .init(kind: "DaemonSet", name: workload.name)
                default:
                    name =
                        "\(workload.name)-\(hash)-\(String(StableHash.fnv1a("\(replica)" + cluster.name + workload.name), radix: 36).suffix(5))"
                    owner = .init(kind: "ReplicaSet", name: "\(workload.name)-\(hash)")
                }
                var annotations: [String: String] = [:]
                if workload.annotated, let port = workload.port {
                    annotations["prometheus.io/scrape"] = workload.optOut ? "false" : "true"
                    annotations["prometheus.io/port"] = String(port.containerPort)
                    annotations["prometheus.io/path"] = "/metrics"
                }
                var backends: [Int: PodBackend] = [:]
                if let port = workload.port {
                    let exporter = SimulatedExporter(
                        series: seriesPerPod,
                        seed: StableHash.fnv1a(cluster.name + "/" + name),
                        startedAt: startedAt
                    )
                    backends[port.containerPort] = .exporter(exporter)
                }
                pods.append(
                    SimulatedPod(
                        namespace: workload.namespace,
                        name: name,
                        labels: workload.labels.merging(
                            workload.kind == "Deployment" ? ["pod-template-hash": String(hash)] : [:]
                        ) { $1 },
                        annotations: annotations,
                        creationTimestamp: startedAt.addingTimeInterval(Double(random.next() % 3000)),
                        owner: owner,
                        nodeName: "node-\(replica % 3 + 1)",
                        containers: [
                            .init(
                                name: workload.name,
                                image: "registry.example/\(workload.name):1.\(replica % 3)",
                                ports: workload.port.map { [$0] } ?? []
                            )
                        ],
                        podIP: cluster.pods.allocatePodIP(),
                        hostIP: "10.0.0.\(replica % 3 + 10)",
                        backends: backends
                    )
                )
            }
        }
        // One crash-looping pod per cluster, in a different namespace each time.
        var crashing = SimulatedPod(
            namespace: ["payments", "shop", "monitoring"][clusterIndex % 3],
            name: "worker-7c9d5b8f4-x2k9p",
            labels: ["app": "worker", "tier": "backend", "type": "worker"],
            annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"],
            creationTimestamp: startedAt,
            owner: .init(kind: "ReplicaSet", name: "worker-7c9d5b8f4"),
            containers: [
                .init(
                    name: "worker",
                    image: "registry.example/worker:2.3",
                    ports: [.init(name: "metrics", containerPort: 9102)]
                )
            ],
            podIP: cluster.pods.allocatePodIP()
        )
        crashing.crashLoop(restarts: 4 + clusterIndex)
        pods.append(crashing)
        // One pod still Pending (scheduled, no IP yet).
        pods.append(
            SimulatedPod(
                namespace: "batch",
                name: "report-28871220-q7v4m",
                labels: ["app": "report", "type": "job"],
                annotations: ["prometheus.io/scrape": "true", "prometheus.io/port": "9102"],
                owner: .init(kind: "Job", name: "report-28871220", apiVersion: "batch/v1"),
                containers: [
                    .init(
                        name: "report",
                        image: "registry.example/report:1.0",
                        ports: [.init(name: "metrics", containerPort: 9102)]
                    )
                ],
                restartPolicy: "Never",
                phase: .pending
            )
        )
        try cluster.pods.add(contentsOf: pods)
        try populateNodesAndServices(cluster, clusterIndex: clusterIndex, startedAt: startedAt)
    }

    /// The nodes the pods run on (`node-1` … `node-3`, each with its simulated kubelet) and two annotated
    /// Services: `shop/web`, whose pods are annotated too (a target both roles find), and `payments/ledger`,
    /// whose pods are not (a target only the Service finds).
    private static func populateNodesAndServices(
        _ cluster: SimulatedCluster,
        clusterIndex: Int,
        startedAt: Date
    ) throws(KubeSimError) {
        let zones = ["eu-west-1a", "eastus-1", "lab-rack-1"]
        let nodes = try cluster.addNodes(
            count: 3,
            labels: ["topology.kubernetes.io/zone": zones[clusterIndex % zones.count]],
            startedAt: startedAt.addingTimeInterval(-86_400)
        )
        if let first = nodes.first {
            try cluster.nodes.update(first.name) { $0.labels["node-role.kubernetes.io/control-plane"] = "" }
        }
        try cluster.addService(
            namespace: "shop",
            name: "web",
            selector: ["app": "web"],
            ports: [.init(name: "http", port: 80, targetPort: "http")],
            scrapePort: 8080,
            scrapePath: "/metrics"
        )
        try cluster.addService(
            namespace: "payments",
            name: "ledger",
            selector: ["app": "ledger"],
            ports: [.init(name: "db-metrics", port: 9187, targetPort: "db-metrics")],
            scrapePort: 9187,
            scrapePath: "/metrics"
        )
    }
}

/// What ``DemoTopology/writeFiles(to:)`` wrote.
public struct DemoFiles: Sendable {
    /// The folder.
    public var directory: String
    /// The per-cluster files.
    public var clusters: [ClusterFileSet]
    /// The kubeconfig.
    public var kubeconfig: String
}
