public import AsyncHTTPClient
public import CoreMetrics
public import CrowsnestCore
import Foundation
public import Logging
public import NIOCore
public import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The client for one cluster's API server, shared by discovery and scraping: one credential context (tokens,
/// client certificates, exec plugins), the cluster's TLS settings on every request of one shared `HTTPClient`,
/// one refresh-and-retry after a 401, a client-side rate limit for API calls (not for pod-proxy scrapes) and
/// `Retry-After` honoured on 429/5xx for API calls.
public final class KubeClusterClient: Sendable {
    /// The cluster name.
    public let name: String
    /// The configuration it was built from.
    public let config: ClusterConfig
    /// The shared client, or the one for this cluster's proxy (``ProxiedHTTPClients``).
    let httpClient: HTTPClient
    let logger: Logger
    /// The logger handed to the HTTP client for each request: `logger`, or one that discards everything when
    /// `logger` is above `debug` (the client logs only at `debug` and `trace`, and sets request metadata on every
    /// request, which a text log handler formats again each time).
    let requestLogger: Logger
    let credentials: ClusterCredentials
    let rateLimit: TokenBucket
    /// How many times an API call is retried on 429/5xx with `Retry-After` (client-go: 10).
    let maxRetryAfterRetries: Int
    /// Where request counts go (`crowsnest_kube_requests_total`); a no-op unless the caller passes one.
    public let metricsFactory: any MetricsFactory
    /// The last TLS failure's diagnosis, so a failing cluster's chain is fetched once, not on every request.
    let tlsDiagnoses = TLSDiagnosisCache()
    /// The request counters made so far, by kind and code (made once each, not per request).
    private let requestCounters = Mutex<[RequestCounterKey: Counter]>([:])

    /// Which `crowsnest_kube_requests_total` series a request counts in.
    private struct RequestCounterKey: Hashable {
        var isAPICall: Bool
        var code: String
    }

    /// Creates the client of `config`'s cluster on the shared `httpClient`.
    ///
    /// Never fails: a configuration that cannot be used (missing kubeconfig context, …) makes every request throw
    /// a `configuration` error and shows in ``credentialStatus``, so other clusters are unaffected.
    /// - Parameters:
    ///   - queriesPerSecond: the API-call rate limit (client-go's default 5).
    ///   - burst: the API-call burst (client-go's default 10).
    ///   - metricsFactory: receives `crowsnest_kube_requests_total{cluster,kind,code}` (swift-metrics).
    public convenience init(
        config: ClusterConfig,
        httpClient: HTTPClient,
        logger: Logger,
        queriesPerSecond: Double = 5,
        burst: Int = 10,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.init(
            config: config,
            httpClient: httpClient,
            logger: logger,
            queriesPerSecond: queriesPerSecond,
            burst: burst,
            credentialCheckInterval: .seconds(5),
            metricsFactory: metricsFactory
        )
    }

    init(
        config: ClusterConfig,
        httpClient: HTTPClient,
        logger: Logger,
        queriesPerSecond: Double,
        burst: Int,
        credentialCheckInterval: Duration,
        maxRetryAfterRetries: Int = 10,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.metricsFactory = metricsFactory
        self.name = config.name
        self.config = config
        var logger = logger
        logger[metadataKey: "crowsnest.cluster"] = .string(config.name)
        self.logger = logger
        self.requestLogger =
            logger.logLevel <= .debug
            ? logger : Logger(label: logger.label, factory: { _ in SwiftLogNoOpLogHandler() })
        self.credentials = ClusterCredentials(
            config: config,
            checkInterval: credentialCheckInterval,
            httpClient: httpClient,
            environment: environment
        )
        self.httpClient = credentials.setup?.proxy.map { ProxiedHTTPClients.shared.client(for: $0) } ?? httpClient
        self.rateLimit = TokenBucket(ratePerSecond: queriesPerSecond, burst: burst)
        self.maxRetryAfterRetries = maxRetryAfterRetries
        let status = credentials.status
        if status.insecureSkipVerify {
            logger.warning("TLS certificate verification is off for this cluster (insecure_skip_verify)")
        }
        var sendsCredentials = true
        if case .anonymous = config.auth { sendsCredentials = false }
        if config.tls.insecurePlainHTTP, sendsCredentials, let url = config.apiServer, !url.isTLS, !url.isLoopback {
            logger.warning(
                "credentials travel in clear to this cluster: api_server is plain http (tls.insecure_plain_http)"
            )
        }
        if let error = status.lastError {
            logger.info("cluster configuration unusable", metadata: ["crowsnest.error": "\(error)"])
        }
    }

    /// The credential's kind, expiry, the CA's expiry and the last error, for the health page.
    public var credentialStatus: CredentialStatus { credentials.status }

    /// What a request is, said by the caller (never read back from its path): it decides rate limiting and retries.
    public enum RequestKind: String, Sendable, Hashable {
        /// An API call (lists, watches, `/version`): rate limited (client-go's 5 QPS, burst 10) and retried on
        /// 429/5xx carrying `Retry-After`.
        case api
        /// A request through a pod or node proxy (a scrape): neither; the scheduler caps them, and a pod's own 5xx
        /// must come back as is.
        case proxy
    }

    /// GETs API path `path` (below the API server's base URL) with this cluster's credentials and TLS settings: an
    /// ``RequestKind/api`` call.
    ///
    /// On 401 the credential is refreshed (token file re-read, exec plugin re-run) and the request retried once.
    /// - Returns: the response, whatever its status (after the retries); the caller reads or drops the body.
    /// - Throws: ``KubeClientError`` (TLS, connection, timeout, credentials, configuration, cancelled).
    public func get(
        path: String,
        query: String? = nil,
        headers: HTTPHeaders = [:],
        deadline: NIODeadline
    )
        async throws(KubeClientError) -> HTTPClientResponse
    {
        try await request(.api, path: path, query: query, headers: headers, deadline: deadline)
    }

    /// GETs `path` through a pod or node proxy (a scrape): a ``RequestKind/proxy`` request, with the same
    /// credentials and the same one retry after a 401, but no rate limit and no `Retry-After` retries.
    public func proxyGet(
        path: String,
        query: String? = nil,
        headers: HTTPHeaders = [:],
        deadline: NIODeadline
    )
        async throws(KubeClientError) -> HTTPClientResponse
    {
        try await request(.proxy, path: path, query: query, headers: headers, deadline: deadline)
    }

    /// POSTs a JSON `body` to API path `path`: an ``RequestKind/api`` call (a `SelfSubjectAccessReview`), with the
    /// same credentials, refresh after a 401, rate limit and retries as ``get(path:query:headers:deadline:)``.
    public func post(
        path: String,
        json body: [UInt8],
        deadline: NIODeadline
    ) async throws(KubeClientError)
        -> HTTPClientResponse
    {
        try await request(
            .api,
            path: path,
            query: nil,
            headers: ["Content-Type": "application/json", "Accept": "application/json"],
            deadline: deadline,
            body: body
        )
    }

    func request(
        _ kind: RequestKind,
        path: String,
        query: String?,
        headers: HTTPHeaders,
        deadline: NIODeadline,
        body: [UInt8]? = nil
    )
        async throws(KubeClientError) -> HTTPClientResponse
    {
        let isAPICall = kind == .api
        var refreshedAfter401 = false
        var retries = 0
        while true {
            if isAPICall {
                do { try await rateLimit.acquire() } catch { throw cancelled() }
            }
            let response: HTTPClientResponse
            do {
                response = try await send(path: path, query: query, headers: headers, deadline: deadline, body: body)
            } catch {
                countRequest(isAPICall: isAPICall, code: error.code.description)
                throw error
            }
            countRequest(isAPICall: isAPICall, code: String(response.status.code))
            if response.status == .unauthorized && !refreshedAfter401 {
                refreshedAfter401 = true
                _ = try? await response.body.collect(upTo: 64 << 10)
                credentials.invalidate()
                logger.debug("401 from the API server; refreshing the credential and retrying once")
                continue
            }
            if isAPICall, retries < maxRetryAfterRetries,
                response.status.code == 429 || response.status.code >= 500,
                let retryAfter = Self.retryAfterSeconds(response.headers)
            {
                let wait = Duration.seconds(min(max(retryAfter, 0), 60))
                guard NIODeadline.after(wait) < deadline else {
                    return response
                }
                retries += 1
                _ = try? await response.body.collect(upTo: 64 << 10)
                logger.debug(
                    "API server asked to retry later",
                    metadata: ["crowsnest.retry_after_seconds": "\(retryAfter)"]
                )
                do { try await Task.sleep(for: wait) } catch { throw cancelled() }
                continue
            }
            return response
        }
    }

    /// Counts one request attempt by kind (`api` or `proxy`) and outcome (HTTP status, or the error's code).
    func countRequest(isAPICall: Bool, code: String) {
        let kind = isAPICall ? "api" : "proxy"
        let counter = requestCounters.withLock { counters in
            let key = RequestCounterKey(isAPICall: isAPICall, code: code)
            if let existing = counters[key] { return existing }
            let made = Counter(
                label: OwnMetric.kubeRequests.name,
                dimensions: [("cluster", name), ("kind", kind), ("code", code)],
                factory: metricsFactory
            )
            counters[key] = made
            return made
        }
        counter.increment()
    }

    /// One attempt.
    func send(
        path: String,
        query: String?,
        headers: HTTPHeaders,
        deadline: NIODeadline,
        body: [UInt8]? = nil
    ) async throws(KubeClientError)
        -> HTTPClientResponse
    {
        let material = try await credentials.current()
        var request = HTTPClientRequest(url: credentials.setup!.baseURL + path + (query.map { "?" + $0 } ?? ""))
        request.method = .GET
        if let body {
            request.method = .POST
            request.body = .bytes(body)
        }
        request.headers = headers
        if !request.headers.contains(name: "User-Agent") { request.headers.add(name: "User-Agent", value: "crowsnest") }
        if let authorization = material.authorization {
            request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        }
        request.tlsConfiguration = material.tls
        do {
            let response = try await httpClient.execute(request, deadline: deadline, logger: requestLogger)
            tlsDiagnoses.reset()
            return response
        } catch {
            throw await diagnosed(error, caPEM: material.caPEM, deadline: deadline)
        }
    }

    /// ``classify(_:)``, with a TLS failure (or a plain-http URL whose server does not speak HTTP) explained by
    /// fetching the presented chain once and comparing it with the CA (``TLSDiagnosis``). The probe runs at most
    /// once per kind of failure until a request succeeds or the CA material changes (``TLSDiagnosisCache``).
    func diagnosed(_ error: any Error, caPEM: String?, deadline: NIODeadline) async -> KubeClientError {
        let classified = classify(error)
        // Behind a proxy the server is not reachable directly, so its chain cannot be fetched to explain a failure.
        guard classified.code == .tls || classified.code == .connection, let setup = credentials.setup,
            setup.proxy == nil, let url = try? APIServerURL(parsing: setup.baseURL)
        else { return classified }
        let failure = TLSFailure(error)
        if url.isTLS ? failure == nil : Self.isConnectionRefused(error) { return classified }
        let key = TLSDiagnosisCache.Key(failure: failure, caPEM: caPEM, baseURL: setup.baseURL)
        let diagnosis: TLSDiagnosis?
        if let cached = tlsDiagnoses.lookup(key) {
            diagnosis = cached
        } else {
            diagnosis = await probe(url, failure: failure, caPEM: caPEM, setup: setup, deadline: deadline)
            tlsDiagnoses.store(key, diagnosis)
            if let diagnosis {
                logger.debug("TLS failure diagnosed", metadata: ["crowsnest.tls.diagnosis": "\(diagnosis.sentence)"])
            }
        }
        guard let diagnosis else { return classified }
        return KubeClientError(.tls, cluster: name, "cluster \(name): \(diagnosis.sentence)")
    }

    /// Fetches the chain the server presents (without verifying it, sending no credential) and compares it with
    /// the CA; for a plain-http URL, only whether the port speaks TLS.
    func probe(
        _ url: APIServerURL,
        failure: TLSFailure?,
        caPEM: String?,
        setup: ClusterSetup,
        deadline: NIODeadline
    ) async -> TLSDiagnosis? {
        let remaining = max(deadline - .now(), .seconds(1))
        let timeout = Duration.nanoseconds(min(remaining.nanoseconds, 5_000_000_000))
        let endpoint = CertificateFetcher.Endpoint(host: url.host, port: url.port)
        let chain: [PresentedCertificate]
        do {
            chain = try await CertificateFetcher.fetch(endpoint, serverName: setup.serverName, timeout: timeout)
        } catch {
            if url.isTLS, error.code == .plainHTTP { return .plainHTTPOnTLSURL(endpoint: endpoint.hostAndPort) }
            return nil
        }
        guard url.isTLS else { return .tlsOnPlainHTTPURL(endpoint: endpoint.hostAndPort) }
        guard !setup.insecureSkipVerify else { return nil }
        return TLSDiagnosis.diagnose(
            chain: chain,
            caPEM: caPEM,
            source: setup.caSource,
            host: setup.serverName ?? url.host,
            checksHostname: setup.serverName == nil,
            verificationFailed: failure == .handshake
        )
    }

    func cancelled() -> KubeClientError {
        KubeClientError(.cancelled, cluster: name, "request to cluster \(name) was cancelled")
    }

    /// Maps transport errors to codes and messages naming the cluster (never the request's headers).
    func classify(_ error: any Error) -> KubeClientError {
        if error is CancellationError { return cancelled() }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout:
                return KubeClientError(.timeout, cluster: name, "request to cluster \(name) timed out")
            case .cancelled:
                return cancelled()
            default: break
            }
            if let proxy = credentials.setup?.proxy, let problem = Self.proxyProblem(httpError) {
                return KubeClientError(.connection, cluster: name, "cluster \(name): proxy \(proxy) \(problem)")
            }
        }
        if let failure = TLSFailure(error) {
            if let diagnosis = tlsDiagnoses.latest {
                return KubeClientError(.tls, cluster: name, "cluster \(name): \(diagnosis.sentence)")
            }
            let source = credentials.setup?.caSource.description ?? "the configured CA"
            return switch failure {
            case .hostname:
                KubeClientError(.tls, cluster: name, "the certificate of cluster \(name) is not for its host name")
            case .handshake:
                KubeClientError(.tls, cluster: name, "TLS handshake with cluster \(name) failed (trusting \(source))")
            }
        }
        if Self.isConnectionRefused(error) {
            if let proxy = credentials.setup?.proxy {
                return KubeClientError(
                    .connection,
                    cluster: name,
                    "cluster \(name): connection to proxy \(proxy) refused"
                )
            }
            return KubeClientError(.connection, cluster: name, "connection to cluster \(name) refused")
        }
        return KubeClientError(.connection, cluster: name, "connection to cluster \(name) failed")
    }

    /// What a proxy's failure means, in words; nil for errors that are not the proxy's.
    static func proxyProblem(_ error: HTTPClientError) -> String? {
        switch error {
        case .invalidProxyResponse:
            "refused to open a tunnel (CONNECT) to the API server: check that it allows CONNECT to the server's "
                + "port and, if it wants a password, the user:password@ in the proxy URL"
        case .proxyAuthenticationRequired:
            "asks for authentication (407): put user:password@ in the proxy URL"
        case .httpProxyHandshakeTimeout, .socksHandshakeTimeout:
            "did not answer the tunnel request in time"
        default:
            nil
        }
    }

    /// Whether the connection was refused (nothing listens on the port).
    static func isConnectionRefused(_ error: any Error) -> Bool {
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return true }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
        }
        // AHC may wrap the connect error in types that only print it.
        let text = String(describing: error)
        return text.contains("connectionRefused") || text.contains("Connection refused")
    }

    static func retryAfterSeconds(_ headers: HTTPHeaders) -> Int? {
        headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}
