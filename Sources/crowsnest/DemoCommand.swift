import ArgumentParser
import CrowsnestCore
import CrowsnestGateway
import Foundation
import KubeSim
import Logging
import ServiceLifecycle

/// `crowsnest demo [--dir DIR] [--listen HOST:PORT]`: three simulated Kubernetes clusters (TLS, tokens,
/// realistic pods with changing metrics) running until Ctrl-C, with their cluster files, CAs, tokens and a
/// kubeconfig written to DIR. The gateway joins the demo when it lands; `--listen` is reserved for it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start three simulated Kubernetes clusters and the gateway on them.",
        discussion: """
            Writes DIR/clusters.d/*.yaml, DIR/ca/*.crt, DIR/tokens/* and DIR/kubeconfig (one context per cluster, \
            named after it) and prints how to point kubectl at them. DIR defaults to a new temporary folder.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Folder for the cluster files, CAs, tokens and kubeconfig (default: a new temporary folder).")
    var dir: String?

    @Option(help: "Where the gateway listens (HOST:PORT).")
    var listen: String = "127.0.0.1:9464"

    @Option(help: "Series each simulated pod exports.")
    var seriesPerPod: Int = 200

    func validate() throws {
        guard (1...100_000).contains(seriesPerPod) else {
            throw ValidationError("--series-per-pod must be between 1 and 100000")
        }
        let parts = listen.split(separator: ":")
        guard parts.count >= 2, let port = Int(parts.last!), (0...65_535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, not \(listen)")
        }
    }

    func run() async throws {
        global.bootstrapLogging()
        let logger = global.makeLogger("crowsnest.demo")
        let directory = try dir ?? DemoCommand.makeTemporaryDirectory()
        let topology = try DemoTopology(seriesPerPod: seriesPerPod)
        let service = DemoClustersService(topology: topology, directory: directory, listen: listen, logger: logger)
        // The service ends when the gateway stops on the signal, which may be before this group hears it.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                logger: logger
            )
        )
        // Ctrl-C / SIGTERM trigger a graceful shutdown. (ServiceGroup's own `gracefulShutdownSignals` needs the
        // UnixSignals module, which this target does not depend on yet.)
        let signals = ShutdownSignals([SIGINT, SIGTERM])
        let received = signals.stream
        // Waits for the group itself: the signal task returns as soon as it has triggered the shutdown, and
        // cancelling the group then (instead of letting it drain) made the gateway log errors on a clean stop.
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask {
                for await _ in received {
                    await group.triggerGracefulShutdown()
                    break
                }
                return false
            }
            while let groupEnded = try await tasks.next(), !groupEnded {}
            tasks.cancelAll()
        }
        withExtendedLifetime(signals) {}
    }

    static func makeTemporaryDirectory() throws -> String {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        let url = base.appendingPathComponent("crowsnest-demo-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

/// Runs the demo clusters until graceful shutdown.
struct DemoClustersService: Service {
    let topology: DemoTopology
    let directory: String
    let listen: String
    let logger: Logger

    func run() async throws {
        try await SimulatedCluster.withRunning(topology.clusters) { _ in
            let files = try topology.writeFiles(to: directory)
            FileHandle.standardOutput.write(Data(instructions(files).utf8))
            let address = try ListenAddress(parsing: listen)
            let options = GatewayOptions(listen: address, configDirectory: files.directory + "/clusters.d")
            // The demo lasts as long as the gateway: it stops gracefully on SIGTERM/SIGINT by itself (its own
            // service group traps them), and a gateway that cannot start (--listen taken) ends the demo with its
            // error. Cancelling the gateway instead of letting it drain made Hummingbird log errors on every stop.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await topology.churn()
                    return false
                }
                group.addTask {
                    try await ServeCommand.runGateway(options: options, logger: logger) { port in
                        let base = "http://\(address.host):\(port)"
                        FileHandle.standardOutput.write(
                            Data(
                                "Gateway: \(base)/metrics   health page: \(base)/   clusters: \(base)/api/v1/clusters\n"
                                    .utf8
                            )
                        )
                    }
                    return true
                }
                while let gatewayEnded = try await group.next(), !gatewayEnded {}
                group.cancelAll()
            }
        }
        FileHandle.standardOutput.write(Data("Simulated clusters stopped. Files are left in \(directory).\n".utf8))
    }

    func instructions(_ files: DemoFiles) -> String {
        var text = "Crowsnest demo: \(topology.members.count) simulated Kubernetes clusters are running.\n\n"
        let width = topology.clusters.map(\.name.count).max() ?? 0
        for member in topology.members {
            let cluster = member.cluster
            let padding = String(repeating: " ", count: width - cluster.name.count)
            var line = "  \(cluster.name)\(padding)  \(cluster.apiServerURL ?? "-")  \(cluster.pods.count) pods"
            if cluster.configuration.eks != nil { line += "  (EKS-style: also accepts `aws eks get-token` tokens)" }
            text += line + "\n"
        }
        let example = topology.clusters[0].pods.all().first {
            $0.namespace == "shop" && $0.annotations["prometheus.io/port"] != nil
        }
        text += """

            Files in \(files.directory):
              clusters.d/   one cluster file per cluster (for `crowsnest serve --config-dir \(files.directory)/clusters.d`)
              ca/           the clusters' CA certificates
              tokens/       the gateway ServiceAccount's tokens (system:serviceaccount:monitoring:crowsnest)
              kubeconfig    contexts NAME (the gateway's identity), NAME-admin, and aws-eu-west-1-iam (aws eks get-token)

            Try:
              export KUBECONFIG=\(files.kubeconfig)
              kubectl --context azure-eastus get pods -A
              kubectl --context onprem-lab get pods -n \(DemoTopology.deniedNamespace)    # Forbidden for the gateway's identity
              kubectl --context aws-eu-west-1-iam get pods -n payments

            """
        if let example, let port = example.annotations["prometheus.io/port"] {
            text +=
                "  kubectl --context aws-eu-west-1 get --raw /api/v1/namespaces/shop/pods/\(example.name):\(port)/proxy/metrics | head\n"
        }
        text += "\nThe gateway (listening on \(listen)) joins the demo once it lands. Press Ctrl-C to stop.\n"
        return text
    }
}

/// Delivers process signals as an async sequence (Dispatch signal sources; the default action is disabled).
final class ShutdownSignals {
    let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
