public import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// One simulated Kubernetes API server: HTTPS on a loopback port with its own CA, bearer tokens (and optional
/// client certificates and EKS tokens), a small RBAC model, pods you mutate from the test, list/watch, the pod
/// proxy, discovery, fault injection and a request log.
///
/// Serve it with ``run()`` inside a task group, or scoped with ``withRunning(_:)``:
///
/// ```swift
/// let cluster = try SimulatedCluster(ClusterConfiguration(name: "dev"))
/// let token = cluster.issueToken(for: .admin())
/// try await cluster.withRunning { cluster in
///     print(cluster.apiServerURL!)   // https://127.0.0.1:PORT, trust cluster.caCertificatePEM
/// }
/// ```
public final class SimulatedCluster: Sendable {
    /// The configuration it was made with.
    public let configuration: ClusterConfiguration
    /// The cluster CA (signs the serving certificate and client certificates).
    public let certificateAuthority: CertificateAuthority
    /// The serving certificate and key.
    public let servingCertificate: IssuedCertificate
    /// The pods.
    public let pods: PodStore
    /// The nodes (each with its simulated kubelet behind the node proxy).
    public let nodes: ResourceStore<SimulatedNode>
    /// The Services.
    public let services: ResourceStore<SimulatedService>
    /// The EndpointSlices: those of Services with a selector are kept consistent with the pods by a simulated
    /// EndpointSlice controller after every pod or Service change; others (hand-made) are left as put.
    public let endpointSlices: ResourceStore<SimulatedEndpointSlice>
    let endpointSliceController: EndpointSliceController
    /// The accepted bearer tokens.
    public let tokens: BearerTokens
    /// The authorization model.
    public let policy: AccessPolicy
    /// Every request served.
    public let requestLog: RequestLog

    let listener: HTTPListener
    private let faultState = Mutex(ClusterFaults())

    /// Creates a cluster (generating its CA and serving certificate); it does not listen until ``run()``.
    public init(_ configuration: ClusterConfiguration) throws(KubeSimError) {
        guard PodBackend.isLoopback(configuration.host) else {
            throw KubeSimError(.invalid, "the simulator only listens on loopback addresses, not \(configuration.host)")
        }
        self.configuration = configuration
        let now = Date()
        let authority = try CertificateAuthority(
            commonName: "\(configuration.name)-ca",
            now: now,
            notValidAfter: configuration.servingCertificate == .expiredAuthority ? now.addingTimeInterval(-86_400) : nil
        )
        let serving: IssuedCertificate
        switch configuration.servingCertificate {
        case .valid, .expiredAuthority:
            serving = try authority.issueServerCertificate(
                commonName: "kube-apiserver",
                dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
                ipAddresses: ["127.0.0.1", "::1"],
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(365 * 86_400)
            )
        case .expired:
            serving = try authority.issueServerCertificate(
                commonName: "kube-apiserver",
                dnsNames: ["localhost"],
                ipAddresses: ["127.0.0.1", "::1"],
                notValidBefore: now.addingTimeInterval(-30 * 86_400),
                notValidAfter: now.addingTimeInterval(-86_400)
            )
        case .wrongHost:
            serving = try authority.issueServerCertificate(
                commonName: "wrong-host.invalid",
                dnsNames: ["wrong-host.invalid"],
                ipAddresses: [],
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(365 * 86_400)
            )
        }
        self.certificateAuthority = authority
        self.servingCertificate = serving
        self.pods = PodStore(historyLimit: configuration.historyLimit)
        self.nodes = ResourceStore(
            kind: SimulatedNode.resourceKind,
            initialResourceVersion: 1000,
            historyLimit: configuration.historyLimit
        )
        self.services = ResourceStore(
            kind: SimulatedService.resourceKind,
            initialResourceVersion: 1000,
            historyLimit: configuration.historyLimit
        )
        self.endpointSlices = ResourceStore(
            kind: SimulatedEndpointSlice.resourceKind,
            initialResourceVersion: 1000,
            historyLimit: configuration.historyLimit
        )
        let controller = EndpointSliceController(
            pods: pods,
            nodes: nodes,
            services: services,
            slices: endpointSlices
        )
        self.endpointSliceController = controller
        pods.observe { [weak controller] in controller?.reconcile() }
        services.observe { [weak controller] in controller?.reconcile() }
        nodes.observe { [weak controller] in controller?.reconcile() }  // endpoint zones come from node labels
        self.tokens = BearerTokens()
        self.policy = AccessPolicy()
        self.requestLog = RequestLog(capacity: configuration.requestLogCapacity)
        let context: NIOSSLContext
        do {
            let certificate = try NIOSSLCertificate(bytes: Array(serving.certificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(certificate)],
                privateKey: .privateKey(key)
            )
            tls.minimumTLSVersion = .tlsv12
            tls.applicationProtocols = ["http/1.1"]
            if configuration.acceptsClientCertificates {
                tls.certificateVerification = .optionalVerification
                tls.trustRoots = .certificates([
                    try NIOSSLCertificate(bytes: Array(authority.certificatePEM.utf8), format: .pem)
                ])
            }
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw KubeSimError(.tls, "cannot build the TLS context of \(configuration.name): \(error)")
        }
        self.listener = HTTPListener(host: configuration.host, port: configuration.port, tlsContext: context)
    }

    /// The cluster name.
    public var name: String { configuration.name }

    /// The CA certificate clients must trust, PEM.
    public var caCertificatePEM: String { certificateAuthority.certificatePEM }

    /// The bound port (nil before the first bind).
    public var port: Int? { listener.port }

    /// `https://127.0.0.1:PORT` (nil before the first bind).
    public var apiServerURL: String? {
        port.map { port in
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            return "https://\(host):\(port)"
        }
    }

    /// Whether the API server accepts connections now.
    public var isListening: Bool { listener.isListening }

    /// Registers a fresh random bearer token for `identity` and returns it.
    public func issueToken(for identity: Identity, expiresAt: Date? = nil) -> String {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let token = String((0..<40).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        tokens.add(token, for: identity, expiresAt: expiresAt)
        return token
    }

    // MARK: - Faults

    /// The faults in force.
    public var faults: ClusterFaults { faultState.withLock { $0 } }

    /// Changes the faults in force.
    public func updateFaults(_ change: (inout ClusterFaults) -> Void) {
        faultState.withLock { change(&$0) }
    }

    /// Ends every open watch now.
    public func dropWatches(_ mode: WatchDropMode = .endStream) {
        pods.dropAllWatches(mode)
        nodes.dropAllWatches(mode)
        services.dropAllWatches(mode)
        endpointSlices.dropAllWatches(mode)
    }

    /// Resets every open connection (watches, proxies, idle keep-alive connections).
    public func resetConnections() {
        listener.resetAllConnections()
    }

    /// Stops listening and closes every connection: clients get connection refused until
    /// ``resumeListening()``.
    public func stopListening() {
        listener.stop()
    }

    /// Listens again on the same port after ``stopListening()``.
    @discardableResult
    public func resumeListening() async throws -> Int {
        try await listener.resume()
    }

    func takeFailure(for kind: RequestKinds) -> InjectedFailure.Kind? {
        faultState.withLock { $0.takeFailure(for: kind) }
    }

    func takeWatchExpiry() -> Bool {
        faultState.withLock { $0.takeWatchExpiry() }
    }

    // MARK: - Lifecycle

    /// Serves until the task is cancelled; then closes the listener, every connection and watch.
    public func run() async throws {
        try await APIServer.withUpstreamClient { upstream in
            let server = APIServer(cluster: self, upstream: upstream)
            try await listener.run { connection in
                await server.serve(connection)
            }
        }
    }

    /// Waits until the API server listens and returns its port.
    @discardableResult
    public func waitUntilListening() async throws -> Int {
        try await listener.waitUntilListening()
    }

    /// Ends the run in `group` (its only task so far) gracefully: the listener stops accepting, drains what it
    /// accepted and closes every connection; only when that takes longer than a few seconds (a handler stuck on
    /// an upstream pod) is the run cancelled. Errors from winding down are not the caller's.
    private func shutDown(running group: inout ThrowingTaskGroup<Void, any Error>) async {
        listener.shutDown()
        group.addTask { try await Task.sleep(for: .seconds(5)) }
        _ = try? await group.next()  // the run ended, or the grace period did
        group.cancelAll()
        try? await group.waitForAll()
    }

    /// Runs the cluster for the duration of `body`, then shuts it down cleanly.
    public func withRunning<Result: Sendable>(
        _ body: (SimulatedCluster) async throws -> Result
    ) async throws -> Result {
        listener.prepareForRun()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                try await waitUntilListening()
                let result = try await body(self)
                await shutDown(running: &group)
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
