import ArgumentParser
import AsyncHTTPClient
import CrowsnestCore
import CrowsnestGateway
import CrowsnestKube
import Foundation
import HummingbirdCore
import Logging
import ServiceLifecycle
import UnixSignals

/// `crowsnest serve`: the gateway.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: discover and scrape pods of every cluster in the config directory, serve /metrics."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The cluster directory (one YAML file per cluster).")
    var configDir: String = "clusters.d"

    @Option(help: "Address to listen on, HOST:PORT (default 127.0.0.1:9464, or `listen` in --config).")
    var listen: String?

    @Option(help: "Optional crowsnest.yaml with global defaults.")
    var config: String?

    @Option(
        help: """
            Keep only this replica's share of targets: INDEX/COUNT (e.g. 0/2), or auto (the index from the \
            StatefulSet pod name's ordinal: POD_NAME or HOSTNAME). Default: CROWSNEST_SHARD.
            """
    )
    var shard: String?

    @Option(help: "The shard count for --shard auto (the StatefulSet's replicas). Default: CROWSNEST_SHARD_COUNT.")
    var shardCount: Int?

    func run() async throws {
        global.bootstrapLogging()
        let logger = global.makeLogger("crowsnest")
        var globalConfig = GlobalConfig()
        if let config {
            let report = GlobalConfigFile.load(
                path: config,
                fileSystem: LocalConfigFileSystem(),
                validateReferencedFiles: true
            )
            for problem in report.problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            guard let loaded = report.config else { throw ExitStatus.usageOrConfigError }
            globalConfig = loaded
        }
        var options = GatewayOptions(configDirectory: configDir, globalConfig: globalConfig)
        options.globalConfigFile = config
        if let listen {
            do { options.listen = try ListenAddress(parsing: listen) } catch {
                throw ValidationError("--listen: \(error)")
            }
        } else if let configured = globalConfig.listen {
            options.listen = configured
        }
        if let spec = try Self.resolveShard(shard, count: shardCount) {
            options.shard = (spec.index, spec.count)
            logger.info("keeping this replica's share of the targets", metadata: ["shard": "\(spec)"])
        }
        Self.warnAboutPermissions(configDirectory: configDir, globalConfig: globalConfig, logger: logger)
        try await Self.runGateway(options: options, logger: logger)
    }

    /// Warns when a cluster file or a file holding a secret (token, key, kubeconfig) is readable by others.
    static func warnAboutPermissions(configDirectory: String, globalConfig: GlobalConfig, logger: Logger) {
        let scan = ClusterDirectory(path: configDirectory, globalConfig: globalConfig).scan(
            validateReferencedFiles: false
        )
        var paths = scan.files.map(\.path)
        paths += scan.files.flatMap(\.fileReferences).filter(\.kind.holdsSecret).map(\.path)
        for warning in FilePermissionCheck.warnings(for: paths) {
            logger.warning("\(warning)")
        }
    }

    /// `--shard`/`--shard-count` (or their environment variables) as a spec; nil without sharding.
    static func resolveShard(_ text: String?, count: Int?) throws -> ShardSpec? {
        do {
            return try ShardSpec.resolve(
                argument: text,
                count: count,
                environment: ProcessInfo.processInfo.environment,
                hostName: ProcessInfo.processInfo.hostName
            )
        } catch {
            throw ValidationError("--shard: \(error)")
        }
    }

    /// Runs the gateway until SIGTERM/SIGINT; SIGHUP re-reads the config directory.
    static func runGateway(
        options: GatewayOptions,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        MemoryTuning.applyForGateway()
        try await KubeHTTPClient.withClient { httpClient in
            let metrics = GatewayMetrics()
            let server: HTTPServerBuilder
            do {
                server = try WebListener.serverBuilder(for: options.globalConfig.web)
            } catch {
                logger.error("cannot serve HTTPS", metadata: ["error": "\(error)"])
                throw ExitStatus.usageOrConfigError
            }
            let gateway = buildGateway(
                options: options,
                httpClient: httpClient,
                metrics: metrics,
                server: server,
                logger: logger,
                onServerRunning: { port in
                    let scheme = options.globalConfig.web.servesTLS ? "https" : "http"
                    logger.info(
                        "gateway listening",
                        metadata: ["address": "\(scheme)://\(options.listen.host):\(port)"]
                    )
                    let health = options.listen.localURL(
                        port: port,
                        tls: options.globalConfig.web.servesTLS,
                        path: "/-/healthy"
                    )
                    if let failure = HealthCheckCommand.record(health) { logger.warning("\(failure)") }
                    await onServerRunning(port)
                }
            )
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [
                        .init(service: gateway.application),
                        .init(service: ReloadOnHangup(directory: gateway.directory)),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            do {
                try await group.run()
            } catch {
                guard let reason = ListenFailure.reason(error) else { throw error }
                let host = options.listen.host.contains(":") ? "[\(options.listen.host)]" : options.listen.host
                logger.error("cannot listen on \(host):\(options.listen.port): \(reason)")
                throw ExitStatus.runtimeFailure
            }
        }
    }
}

/// Re-reads the config directory on SIGHUP.
struct ReloadOnHangup: Service {
    let directory: ClusterSupervisor

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() { directory.reload() }
    }
}
