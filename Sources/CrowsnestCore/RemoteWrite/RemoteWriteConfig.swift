/// One `remote_write:` entry of `crowsnest.yaml`: where the gateway sends every sample it serves, with Prometheus'
/// `remote_write` field names.
///
/// ```yaml
/// remote_write:
///   - url: http://vminsert:8480/insert/0/prometheus/api/v1/write
///     name: central                     # default: the URL's host and path, hashed (as Prometheus does)
///     protocol: v1                      # remote-write 1.0
///     remote_timeout: 30s
///     headers: { X-Scope-OrgID: "{{cluster}}" }   # `{{cluster}}`: the sample's cluster (per-cluster tenants)
///     authorization: { type: Bearer, credentials_file: /etc/crowsnest/rw.token }   # or basic_auth
///     tls_config: { ca_file: ..., insecure_skip_verify: false }
///     write_relabel_configs: []
///     queue_config: { capacity: 10000, max_shards: 8, max_samples_per_send: 2000, batch_send_deadline: 5s,
///                     min_backoff: 30ms, max_backoff: 5s }
///     buffer: { dir: /var/lib/crowsnest/wal/central, max_size: 1GiB, max_age: 2h }
///     flush_deadline: 1m                # how long a shutdown keeps sending what waits
/// ```
public struct RemoteWriteConfig: Sendable, Hashable {
    /// The receiver's write endpoint (`http` or `https`).
    public var url: String
    /// The destination's name in metrics, logs and the health page; unique among the entries.
    public var name: String
    /// The wire protocol.
    public var protocolVersion: RemoteWriteProtocol
    /// How long one request may take.
    public var remoteTimeout: Duration
    /// Extra request headers; a value may contain `{{cluster}}`.
    public var headers: [String: String]
    /// How requests authenticate.
    public var authentication: RemoteWriteAuthentication?
    /// TLS towards an `https` receiver.
    public var tls: RemoteWriteTLS
    /// `write_relabel_configs`: applied to every sample (its final labels, as `/metrics` shows them) before sending.
    public var writeRelabelRules: [RelabelRule]
    /// Queue and sending settings.
    public var queue: RemoteWriteQueueConfig
    /// The on-disk buffer; `nil` keeps unsent samples in memory only (bounded by the queue capacity).
    public var buffer: RemoteWriteBufferConfig?
    /// How long a graceful shutdown keeps sending what waits.
    ///
    /// Prometheus' `--storage.remote.flush-deadline`, per entry here. With a buffer the flush also ends at the
    /// first failed send: the next start delivers the rest.
    public var flushDeadline: Duration

    /// Creates an entry with Prometheus' defaults.
    public init(
        url: String,
        name: String,
        protocolVersion: RemoteWriteProtocol = .v1,
        remoteTimeout: Duration = .seconds(30),
        headers: [String: String] = [:],
        authentication: RemoteWriteAuthentication? = nil,
        tls: RemoteWriteTLS = RemoteWriteTLS(),
        writeRelabelRules: [RelabelRule] = [],
        queue: RemoteWriteQueueConfig = RemoteWriteQueueConfig(),
        buffer: RemoteWriteBufferConfig? = nil,
        flushDeadline: Duration = .seconds(60)
    ) {
        self.url = url
        self.name = name
        self.protocolVersion = protocolVersion
        self.remoteTimeout = remoteTimeout
        self.headers = headers
        self.authentication = authentication
        self.tls = tls
        self.writeRelabelRules = writeRelabelRules
        self.queue = queue
        self.buffer = buffer
        self.flushDeadline = flushDeadline
    }

    /// The placeholder a header value may hold for the sample's cluster.
    public static let clusterPlaceholder = "{{cluster}}"

    /// Whether some header value depends on the sample's cluster: then each cluster's samples travel in requests of
    /// their own.
    public var headersDependOnCluster: Bool { headers.values.contains { $0.contains(Self.clusterPlaceholder) } }

    /// The header values for samples of `cluster`.
    public func headers(cluster: String) -> [(String, String)] {
        headers.sorted { $0.key < $1.key }.map { name, value in
            (name, value.replacing(Self.clusterPlaceholder, with: cluster))
        }
    }
}

/// The remote-write protocol version (`protocol:`).
public enum RemoteWriteProtocol: String, Sendable, Hashable, CaseIterable {
    /// Remote-write 1.0: `prometheus.WriteRequest`, snappy, `X-Prometheus-Remote-Write-Version: 0.1.0`.
    case v1
}

/// How remote-write requests authenticate (`authorization:` or `basic_auth:`), secrets read from files.
public enum RemoteWriteAuthentication: Sendable, Hashable {
    /// `Authorization: <type> <credentials>`, the credentials read from `credentials_file` before each request.
    case authorization(type: String, credentialsFile: String)
    /// HTTP basic authentication, the password read from `password_file`.
    case basic(username: String, passwordFile: String)
}

/// `tls_config:` of a remote-write entry.
public struct RemoteWriteTLS: Sendable, Hashable {
    /// PEM CA certificates that verify the receiver; `nil` uses the system's.
    public var caFile: String?
    /// A client certificate (PEM), with ``keyFile``.
    public var certFile: String?
    /// The client certificate's key (PEM).
    public var keyFile: String?
    /// The name to verify instead of the URL's host.
    public var serverName: String?
    /// Skip verification (warned about).
    public var insecureSkipVerify: Bool

    /// Creates TLS settings; by default the system's trust store.
    public init(
        caFile: String? = nil,
        certFile: String? = nil,
        keyFile: String? = nil,
        serverName: String? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// `queue_config:` of a remote-write entry, Prometheus' names and defaults.
public struct RemoteWriteQueueConfig: Sendable, Hashable {
    /// Samples each shard holds in memory before the oldest are dropped (without a buffer) or written to disk.
    public var capacity: Int
    /// Shards: requests in flight at once; a series always goes through the same shard, so its samples arrive in
    /// timestamp order.
    public var maxShards: Int
    /// Samples per request at most.
    public var maxSamplesPerSend: Int
    /// How long a shard waits for a full request before sending a partial one.
    public var batchSendDeadline: Duration
    /// The first retry's delay.
    public var minBackoff: Duration
    /// The longest delay between retries (doubling from ``minBackoff``).
    public var maxBackoff: Duration
    /// Whether 429 is retried (Prometheus' `retry_on_http_429`, on by default here as in Prometheus 2.40+).
    public var retryOnHTTP429: Bool

    /// Creates queue settings.
    public init(
        capacity: Int = 10_000,
        maxShards: Int = 8,
        maxSamplesPerSend: Int = 2_000,
        batchSendDeadline: Duration = .seconds(5),
        minBackoff: Duration = .milliseconds(30),
        maxBackoff: Duration = .seconds(5),
        retryOnHTTP429: Bool = true
    ) {
        self.capacity = capacity
        self.maxShards = maxShards
        self.maxSamplesPerSend = maxSamplesPerSend
        self.batchSendDeadline = batchSendDeadline
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
        self.retryOnHTTP429 = retryOnHTTP429
    }
}

/// `buffer:` of a remote-write entry: unacknowledged samples kept on disk across receiver outages and restarts.
public struct RemoteWriteBufferConfig: Sendable, Hashable {
    /// The folder (one per destination; created when missing).
    public var directory: String
    /// The most bytes kept; past it the oldest segments are dropped (and their samples counted as dropped).
    public var maxSize: ByteCount
    /// Samples older than this are dropped unsent.
    public var maxAge: Duration
    /// Bytes per segment file before the next one starts.
    public var segmentSize: ByteCount

    /// Creates buffer settings.
    public init(
        directory: String,
        maxSize: ByteCount = .gibibytes(1),
        maxAge: Duration = .seconds(2 * 3600),
        segmentSize: ByteCount = .mebibytes(8)
    ) {
        self.directory = directory
        self.maxSize = maxSize
        self.maxAge = maxAge
        self.segmentSize = segmentSize
    }
}
