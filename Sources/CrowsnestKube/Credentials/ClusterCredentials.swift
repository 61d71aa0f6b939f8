import AsyncHTTPClient
import CrowsnestCore
import Foundation
import NIOSSL
import Synchronization

/// What a request needs from the credential context: the `Authorization` header value and the TLS configuration.
struct RequestCredentials: Sendable {
    var authorization: String?
    var tls: TLSConfiguration?
    /// The trusted CA certificates (PEM) in `tls`, `nil` for the system trust store: what a TLS failure is
    /// diagnosed against.
    var caPEM: String?
}

/// One cluster's credential context, shared by discovery and scraping: tokens (static, file, exec), client
/// certificates (files, kubeconfig data, exec output), the CA, and the TLS configuration built from them.
///
/// Files are re-read when they change (checked at most every ``checkInterval``; a token file at least every
/// minute, as client-go) and at once after a 401; exec credentials are cached until their expiry minus a margin
/// and re-fetched after a 401. Concurrent callers share one exec run.
final class ClusterCredentials: Sendable {
    struct CachedFile: Sendable {
        var text: String
        var stamp: FileStamp?
        var readAt: ContinuousClock.Instant
        var checkedAt: ContinuousClock.Instant
    }

    struct State: Sendable {
        var files: [String: CachedFile] = [:]
        var exec: ExecCredential?
        var execFetchedAt: ContinuousClock.Instant?
        var execRunning = false
        var execWaiters: [CheckedContinuation<Result<ExecCredential, KubeClientError>, Never>] = []
        /// Why the last refresh of a still-valid plugin or cloud credential failed (it is used until it expires).
        var refreshError: String?
        /// The error of the last fetch when it failed (for callers that decided to wait while it was finishing).
        var lastFetchError: KubeClientError?
        /// When that refresh failed: another is tried at most every ``retryInterval`` while the credential is valid.
        var refreshFailedAt: Date?
        var tlsMaterial: ClusterTLSMaterial?
        var tls: TLSConfiguration?
        /// NotAfter of the CA bundle and the client certificate of `tlsMaterial` (parsed once per change).
        var caExpiry: Date?
        var certificateExpiry: Date?
        /// The last bearer token seen and its JWT `exp` (parsed once per change).
        var tokenExpiry: (tokenHash: Int, expiry: Date?)?
        var status: CredentialStatus
        var forceReload = false
        /// The last credentials built without an exec plugin, reused for requests within ``checkInterval`` (the
        /// files would not be looked at again sooner anyway).
        var recent: (credentials: RequestCredentials, builtAt: ContinuousClock.Instant)?
    }

    let setup: ClusterSetup?
    let setupError: KubeClientError?
    /// The built-in cloud credential (`auth.aws`, `auth.gcp`), when the cluster uses one.
    let cloud: (any CloudTokenProvider)?
    let cluster: String
    let state: Mutex<State>
    /// How often changed files are noticed.
    let checkInterval: Duration
    /// The longest a token file's content is used without re-reading (client-go: 1 minute).
    let tokenFileMaxAge: Duration

    /// Creates the credential context of `config`'s cluster.
    ///
    /// - Parameters:
    ///   - httpClient: the client the built-in cloud credentials call their token endpoints with.
    ///   - environment: where the cloud credentials read their standard variables (`AWS_*`, `GCE_METADATA_HOST`, …).
    convenience init(
        config: ClusterConfig,
        checkInterval: Duration = .seconds(5),
        tokenFileMaxAge: Duration = .seconds(60),
        httpClient: HTTPClient? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.init(
            config: config,
            checkInterval: checkInterval,
            tokenFileMaxAge: tokenFileMaxAge,
            cloud: httpClient.flatMap {
                CloudTokenProviders.make(for: config.auth, http: CloudHTTP(client: $0, environment: environment))
            },
            environment: environment
        )
    }

    /// Creates the credential context with an explicit cloud token provider.
    ///
    /// - Parameters:
    ///   - cloud: the token provider of a built-in cloud kind (required for those kinds).
    ///   - environment: where `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read (``ProxyEnvironment``).
    init(
        config: ClusterConfig,
        checkInterval: Duration = .seconds(5),
        tokenFileMaxAge: Duration = .seconds(60),
        cloud: (any CloudTokenProvider)?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        cluster = config.name
        self.cloud = cloud
        self.checkInterval = checkInterval
        self.tokenFileMaxAge = tokenFileMaxAge
        var status = CredentialStatus(kind: config.auth.kind, insecureSkipVerify: config.tls.insecureSkipVerify)
        do throws(KubeClientError) {
            let setup = try ClusterSetup.resolve(config, environment: environment)
            if cloud == nil && CloudTokenProviders.isCloud(config.auth) {
                throw KubeClientError(
                    .configuration,
                    cluster: config.name,
                    "cluster \(config.name): \(config.auth.kind) credentials need an HTTP client"
                )
            }
            self.setup = setup
            self.setupError = nil
            status.insecureSkipVerify = setup.insecureSkipVerify
        } catch {
            self.setup = nil
            self.setupError = error
            status.lastError = error.message
        }
        state = Mutex(State(status: status))
    }

    var status: CredentialStatus { state.withLock { $0.status } }

    /// Drops cached tokens and exec output (after a 401), so the next ``current()`` reloads them.
    func invalidate() {
        state.withLock { state in
            state.forceReload = true
            state.exec = nil
        }
    }

    /// The credentials for the next request.
    func current() async throws(KubeClientError) -> RequestCredentials {
        guard let setup else { throw setupError! }
        do {
            let now = ContinuousClock.now
            let (force, recent) = state.withLock { state in
                defer { state.forceReload = false }
                return (state.forceReload, state.recent)
            }
            let usesPlugin = setup.exec != nil || cloud != nil
            if !force, !usesPlugin, let recent, now - recent.builtAt < checkInterval { return recent.credentials }
            var material = ClusterTLSMaterial(
                serverName: setup.serverName,
                insecureSkipVerify: setup.insecureSkipVerify
            )
            var expiries: [Date] = []
            var caExpiry: Date?
            if !setup.insecureSkipVerify, let ca = setup.certificateAuthority {
                switch ca {
                case .pem(let pem): material.caPEM = pem
                case .file(let path):
                    material.caPEM = try file(path, what: "CA file", now: now, force: force, maxAge: nil)
                }
            }
            var authorization: String?
            switch setup.bearer {
            case .token(let token)?:
                authorization = "Bearer " + token.revealed
            case .file(let path)?:
                let token = try file(path, what: "token file", now: now, force: force, maxAge: tokenFileMaxAge)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard !token.isEmpty else {
                    throw KubeClientError(
                        .credentials,
                        cluster: cluster,
                        "cluster \(cluster): token file \(path) is empty"
                    )
                }
                authorization = "Bearer " + token
            case nil: break
            }
            if let (certificate, key) = setup.clientCertificate {
                material.certificatePEM = try pem(certificate, what: "client certificate file", now: now, force: force)
                material.keyPEM = try pem(key, what: "client key file", now: now, force: force)
            }
            var identity: String?
            if let cloud {
                let credential = try await pluginCredential { () async throws(KubeClientError) -> ExecCredential in
                    try await Self.cloudCredential(cloud, cluster: self.cluster)
                }
                if let token = credential.token { authorization = "Bearer " + token.revealed }
                if let expiry = credential.expiry { expiries.append(expiry) }
                identity = credential.identity
            }
            if let exec = setup.exec {
                let cluster = self.cluster
                let credential = try await pluginCredential { () async throws(KubeClientError) -> ExecCredential in
                    try await ExecPlugin(config: exec, cluster: cluster).run()
                }
                if let token = credential.token { authorization = "Bearer " + token.revealed }
                if let certificate = credential.clientCertificatePEM, let key = credential.clientKeyPEM {
                    material.certificatePEM = certificate.revealed
                    material.keyPEM = key.revealed
                }
                if let expiry = credential.expiry { expiries.append(expiry) }
            }
            let tls = try tlsConfiguration(for: material)
            let derived = state.withLock { state in (state.caExpiry, state.certificateExpiry) }
            caExpiry = derived.0
            if let certificateExpiry = derived.1 { expiries.append(certificateExpiry) }
            if !usesPlugin, let authorization, let tokenExpiry = jwtExpiry(String(authorization.dropFirst(7))) {
                expiries.append(tokenExpiry)
            }
            state.withLock { state in
                if state.status.lastError != nil || state.status.lastRefresh == nil || force {
                    state.status.lastRefresh = Date()
                }
                state.status.lastError = usesPlugin ? state.refreshError : nil
                state.status.identity = identity
                state.status.expiry = expiries.min()
                state.status.certificateAuthorityExpiry = caExpiry
            }
            let credentials = RequestCredentials(authorization: authorization, tls: tls, caPEM: material.caPEM)
            if !usesPlugin { state.withLock { $0.recent = (credentials, now) } }
            return credentials
        } catch let error as KubeClientError {
            state.withLock {
                $0.status.lastError = error.message
                $0.recent = nil
            }
            throw error
        } catch {
            throw KubeClientError(.credentials, cluster: cluster, "cluster \(cluster): cannot load credentials")
        }
    }

    /// The TLS configuration for `material`, rebuilt (and its certificates' NotAfter read) only when the material
    /// changed, so AHC keeps its pool and requests parse no PEM.
    private func tlsConfiguration(for material: ClusterTLSMaterial) throws(KubeClientError) -> TLSConfiguration {
        if let cached = state.withLock({ $0.tlsMaterial == material ? $0.tls : nil }) { return cached }
        let tls = try material.makeConfiguration(cluster: cluster)
        let caExpiry = material.caPEM.flatMap(CredentialExpiry.earliestNotAfter(pem:))
        let certificateExpiry = material.certificatePEM.flatMap(CredentialExpiry.earliestNotAfter(pem:))
        state.withLock { state in
            state.tlsMaterial = material
            state.tls = tls
            state.caExpiry = caExpiry
            state.certificateExpiry = certificateExpiry
        }
        return tls
    }

    /// A bearer token's JWT `exp`, decoded once per distinct token.
    private func jwtExpiry(_ token: String) -> Date? {
        if let cached = state.withLock({ $0.tokenExpiry }), cached.tokenHash == token.hashValue { return cached.expiry }
        let expiry = CredentialExpiry.jwtExpiry(token)
        state.withLock { $0.tokenExpiry = (token.hashValue, expiry) }
        return expiry
    }

    private func pem(
        _ source: PEMSource,
        what: String,
        now: ContinuousClock.Instant,
        force: Bool
    ) throws(KubeClientError)
        -> String
    {
        switch source {
        case .data(let secret): return secret.revealed
        case .file(let path): return try file(path, what: what, now: now, force: force, maxAge: nil)
        }
    }

    /// A file's content, re-read when forced, older than `maxAge`, or changed (checked every `checkInterval`).
    private func file(
        _ path: String,
        what: String,
        now: ContinuousClock.Instant,
        force: Bool,
        maxAge: Duration?
    )
        throws(KubeClientError) -> String
    {
        let cached = state.withLock { $0.files[path] }
        if let cached, !force {
            let fresh = maxAge.map { now - cached.readAt < $0 } ?? true
            if fresh && now - cached.checkedAt < checkInterval { return cached.text }
            if fresh, let stamp = FileStamp.of(path), stamp == cached.stamp {
                state.withLock { $0.files[path]?.checkedAt = now }
                return cached.text
            }
        }
        let stamp = FileStamp.of(path)
        switch CredentialFiles.read(path, what: what) {
        case .success(let text):
            state.withLock { $0.files[path] = CachedFile(text: text, stamp: stamp, readAt: now, checkedAt: now) }
            return text
        case .failure(let failure):
            let message = failure.message
            let code: KubeClientError.Code = what == "CA file" ? .tls : .credentials
            throw KubeClientError(code, cluster: cluster, "cluster \(cluster): \(message)")
        }
    }

    /// A token from the built-in cloud credential, as an ``ExecCredential`` (cached and refreshed the same way).
    static func cloudCredential(
        _ cloud: any CloudTokenProvider,
        cluster: String
    ) async throws(KubeClientError)
        -> ExecCredential
    {
        do throws(CloudCredentialError) {
            let token = try await cloud.token()
            return ExecCredential(
                token: token.token,
                expiry: token.expiry,
                refreshMargin: token.refreshMargin,
                identity: token.identity
            )
        } catch {
            if Task.isCancelled { throw KubeClientError(.cancelled, cluster: cluster, "cluster \(cluster): cancelled") }
            throw KubeClientError(.credentials, cluster: cluster, "cluster \(cluster): \(error.description)")
        }
    }

    /// The cached exec or cloud credential, or a fresh one from `fetch` (one fetch shared by concurrent callers).
    ///
    /// When a refresh fails while the cached credential has not expired yet, that one is used and the failure is
    /// kept for the health page.
    private func pluginCredential(
        _ fetch: @Sendable () async throws(KubeClientError) -> ExecCredential
    ) async throws(KubeClientError) -> ExecCredential {
        enum Decision {
            case cached(ExecCredential)
            case run, wait
        }
        let now = Date()
        let decision: Decision = state.withLock { state in
            if let credential = state.exec, Self.isUsable(credential, now: now) { return .cached(credential) }
            if let credential = state.exec, let expiry = credential.expiry, expiry > now,
                let failedAt = state.refreshFailedAt, now.timeIntervalSince(failedAt) < Self.retryInterval
            {
                return .cached(credential)
            }
            if state.execRunning { return .wait }
            state.execRunning = true
            return .run
        }
        switch decision {
        case .cached(let credential): return credential
        case .wait:
            let result = await withCheckedContinuation { continuation in
                // The run may have finished between the decision and here: take its outcome instead of waiting for
                // a resume that already happened.
                let resumeWith: Result<ExecCredential, KubeClientError>? = state.withLock { state in
                    if !state.execRunning {
                        if let credential = state.exec { return .success(credential) }
                        // Nothing to wait for any more (a failed fetch, or the credential dropped after a 401).
                        return .failure(
                            state.lastFetchError
                                ?? KubeClientError(
                                    .credentials,
                                    cluster: cluster,
                                    "cluster \(cluster): the credential was reset while this request waited for it"
                                )
                        )
                    }
                    state.execWaiters.append(continuation)
                    return nil
                }
                if let resumeWith { continuation.resume(returning: resumeWith) }
            }
            return try result.get()
        case .run:
            let result: Result<ExecCredential, KubeClientError>
            do throws(KubeClientError) {
                result = .success(try await fetch())
            } catch {
                result = .failure(error)
            }
            let (waiters, stillValid):
                ([CheckedContinuation<Result<ExecCredential, KubeClientError>, Never>], ExecCredential?) =
                    state.withLock { state in
                        state.execRunning = false
                        var stillValid: ExecCredential?
                        switch result {
                        case .success(let credential):
                            state.exec = credential
                            state.lastFetchError = nil
                            state.refreshError = nil
                            state.refreshFailedAt = nil
                        case .failure(let error):
                            state.lastFetchError = error
                            if error.code != .cancelled, let old = state.exec, let expiry = old.expiry, expiry > Date()
                            {
                                state.refreshError = error.message + " (using the previous credential until it expires)"
                                stillValid = old
                                state.refreshFailedAt = Date()
                            }
                        }
                        defer { state.execWaiters = [] }
                        return (state.execWaiters, stillValid)
                    }
            let outcome = stillValid.map { Result<ExecCredential, KubeClientError>.success($0) } ?? result
            for waiter in waiters { waiter.resume(returning: outcome) }
            return try outcome.get()
        }
    }

    /// How often a failing refresh is retried while the previous credential is still valid.
    static let retryInterval: TimeInterval = 10

    /// Whether an exec credential may still be used: no expiry, or expiry minus a margin (a fifth of the remaining
    /// lifetime at fetch, at most 30 s) not reached.
    static func isUsable(_ credential: ExecCredential, now: Date) -> Bool {
        guard let expiry = credential.expiry else { return true }
        let lifetime = max(0, expiry.timeIntervalSince(credential.fetchedAt))
        let margin = credential.refreshMargin ?? min(30, lifetime / 5)
        return expiry.timeIntervalSince(now) > margin
    }
}
