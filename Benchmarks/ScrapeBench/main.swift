// Scrape-cost and scale benchmark support: simulated clusters that out-of-process scrapers (crowsnest serve,
// vmagent, Prometheus) scrape through each API server's TLS pod proxy.
//
//   ScrapeBench sim --clusters N --pods P --series S --interval 5s --dir DIR [--max-seconds 3600]
//   ScrapeBench sim --clusters N --nodes K --pods-per-node P --interval 5s --dir DIR [--max-seconds 3600]
//   … [--proxy-latency-ms L]   every pod- and node-proxy request waits L ms first (a busy or distant API server)
//
// Runs N KubeSim clusters of P exporter pods (S changing series each, gzip on request) and, with --nodes, K nodes
// whose simulated kubelets serve cAdvisor for --pods-per-node plain pods each (scraped through
// /api/v1/nodes/{node}/proxy/metrics/cadvisor; --pods 0 leaves out the exporter pods), and writes into DIR:
//   clusters.d/*.yaml, ca/*.crt, tokens/*  the gateway's cluster files (crowsnest serve --config-dir DIR/clusters.d)
//   crowsnest.yaml                          the global scrape interval (crowsnest serve --config DIR/crowsnest.yaml)
//   vmagent.yaml                            kubernetes_sd_configs per cluster + the article's proxy relabeling
//   prometheus.yml, file_sd/*.json          the same proxy paths as file_sd targets (bearer token + CA)
//   kubeconfig                              one context per cluster
//   ready                                   written last: the API servers listen and every file is in place
// then serves until SIGTERM/SIGINT (the default action ends the process) or --max-seconds pass.
import Foundation
import KubeSim

/// The command line of `ScrapeBench sim`.
struct SimOptions {
    var clusters = 1
    var pods = 100
    var series = 1000
    var interval = 5
    var directory = ""
    var maxSeconds = 3600
    /// Nodes per cluster; 0 = the pod case.
    var nodes = 0
    var podsPerNode = 110
    /// Milliseconds added to every proxied request.
    var proxyLatencyMilliseconds = 0

    /// The namespace every benchmark pod lives in.
    static let namespace = "bench"

    static let usage =
        "usage: ScrapeBench sim --clusters N (--pods P --series S | --nodes K --pods-per-node P) --interval SECONDS "
        + "--dir DIR [--max-seconds T] [--proxy-latency-ms L]"

    init(arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            func number(allowZero: Bool = false) throws(UsageError) -> Int {
                let digits = value.hasSuffix("s") ? String(value.dropLast()) : value
                guard let parsed = Int(digits), parsed > 0 || (allowZero && parsed == 0) else {
                    throw UsageError("\(flag): not a positive number: \(value)")
                }
                return parsed
            }
            switch flag {
            case "--clusters": clusters = try number()
            case "--pods": pods = try number(allowZero: true)
            case "--series": series = try number()
            case "--interval": interval = try number()
            case "--max-seconds": maxSeconds = try number()
            case "--nodes": nodes = try number(allowZero: true)
            case "--pods-per-node": podsPerNode = try number()
            case "--proxy-latency-ms": proxyLatencyMilliseconds = try number(allowZero: true)
            case "--dir": directory = value
            default: throw UsageError("unknown option \(flag)")
            }
        }
        guard !directory.isEmpty else { throw UsageError("--dir is required") }
    }
}

/// A command-line mistake.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `--pods-per-node` plain Running pods on each node (two containers each, as a typical app with a sidecar), for
/// the kubelets' cAdvisor bodies: the pods themselves are not scraped.
func nodePods(_ options: SimOptions) -> [SimulatedPod] {
    var pods: [SimulatedPod] = []
    for node in 1...options.nodes {
        for index in 0..<options.podsPerNode {
            pods.append(
                SimulatedPod(
                    namespace: "ns-\(index % 10)",
                    name: "app-\(node)-\(index)",
                    labels: ["app": "app-\(index % 10)"],
                    owner: .init(kind: "ReplicaSet", name: "app-\(index % 10)-5d8f7c9b6"),
                    nodeName: "node-\(node)",
                    containers: [.init(name: "app"), .init(name: "sidecar")],
                    podIP: "10.\(100 + node / 250).\(node % 250).\(index + 2)"
                )
            )
        }
    }
    return pods
}

func runSimulation(_ options: SimOptions) async throws {
    let root = URL(fileURLWithPath: options.directory).standardizedFileURL.path
    let scraper = Identity.serviceAccount(namespace: "monitoring", name: "scraper")
    var members: [(cluster: SimulatedCluster, token: String)] = []
    for index in 0..<options.clusters {
        let cluster = try SimulatedCluster(
            ClusterConfiguration(name: "bench-\(index)", requestLogCapacity: 1000, labels: ["bench": "scrape"])
        )
        cluster.policy.allowScraping(.user(scraper.user))
        if options.proxyLatencyMilliseconds > 0 {
            let latency = Duration.milliseconds(options.proxyLatencyMilliseconds)
            cluster.updateFaults { $0.proxyLatency = latency }
        }
        let token = cluster.issueToken(for: scraper)
        if options.nodes > 0 {
            cluster.policy.allowNodeScraping(.user(scraper.user))
            try cluster.addNodes(count: options.nodes)
            try cluster.pods.add(contentsOf: nodePods(options))
        }
        if options.pods > 0 {
            try cluster.addExporterPods(
                namespace: SimOptions.namespace,
                count: options.pods,
                seriesPerPod: options.series,
                namePrefix: "app",
                labels: ["service": "shop", "tier": "backend", "type": "api"]
            )
        }
        members.append((cluster, token))
    }
    let started = ContinuousClock.now
    try await SimulatedCluster.withRunning(members.map(\.cluster)) { clusters in
        var written: [PeerConfigs.Cluster] = []
        var contexts: [KubeconfigContext] = []
        for (cluster, token) in members {
            // With nodes, their kubelets' cAdvisor through the node proxy (the plain pods are not annotated).
            let files = try ClusterFiles.write(
                cluster: cluster,
                token: token,
                labels: ["bench": "scrape"],
                extra: options.nodes > 0 ? "nodes:\n  cadvisor: true\n" : "",
                into: root
            )
            let server = cluster.apiServerURL!
            written.append(
                PeerConfigs.Cluster(
                    name: cluster.name,
                    apiServer: server,
                    hostPort: "127.0.0.1:\(cluster.port!)",
                    caFile: files.caFile,
                    tokenFile: files.tokenFile,
                    podNames: (0..<options.pods).map { "app-\($0)" },
                    nodeNames: (0..<options.nodes).map { "node-\($0 + 1)" }
                )
            )
            contexts.append(
                KubeconfigContext(name: cluster.name, server: server, caFile: files.caFile, credential: .token(token))
            )
        }
        try PeerConfigs.write(
            clusters: written,
            namespace: SimOptions.namespace,
            port: 9102,
            interval: options.interval,
            kubeconfig: ClusterFiles.kubeconfigYAML(contexts, currentContext: contexts.first?.name),
            into: root
        )
        try Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)
            .write(to: URL(fileURLWithPath: root + "/ready"), options: .atomic)
        print(
            "ScrapeBench sim: \(clusters.count) clusters × \(options.pods) pods × \(options.series) series, files in \(root)"
        )
        // Serve until a signal ends the process, bounded by --max-seconds.
        let end = started + .seconds(options.maxSeconds)
        while ContinuousClock.now < end {
            try await Task.sleep(for: .seconds(1))
        }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "sim" else {
    FileHandle.standardError.write(Data((SimOptions.usage + "\n").utf8))
    exit(2)
}
do {
    let options = try SimOptions(arguments: Array(arguments.dropFirst()))
    try await runSimulation(options)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("ScrapeBench: \(error)\n\(SimOptions.usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("ScrapeBench: \(error)\n".utf8))
    exit(1)
}
