/// Which serving certificate a simulated API server presents.
public enum ServingCertificateKind: Sendable, Equatable {
    /// Valid now, for `127.0.0.1`, `::1` and `localhost`.
    case valid
    /// Expired yesterday (for TLS-failure tests).
    case expired
    /// Valid, but only for `wrong-host.invalid` (hostname verification fails).
    case wrongHost
    /// Valid itself, but issued by a cluster CA that expired yesterday.
    case expiredAuthority
}

/// The settings of one simulated cluster.
public struct ClusterConfiguration: Sendable {
    /// The cluster name (also the kubeconfig context and the CA's common name).
    public var name: String
    /// The listen address (a loopback address).
    public var host: String
    /// The port; 0 picks a free one (read it back from ``SimulatedCluster/port``).
    public var port: Int
    /// `/version`'s `gitVersion`. kubectl on this machine picks its own minor version from it, so keep it in
    /// 1.27–1.33.
    public var gitVersion: String
    /// `/version`'s `platform`.
    public var platform: String
    /// The serving certificate variant.
    public var servingCertificate: ServingCertificateKind
    /// Whether client certificates signed by the cluster CA authenticate (CN = user, O = groups).
    public var acceptsClientCertificates: Bool
    /// EKS token authentication, when the cluster plays an EKS cluster.
    public var eks: EKSAuthentication?
    /// How often an open watch that asked for bookmarks gets one.
    public var bookmarkInterval: Duration
    /// How long a watch without `timeoutSeconds` lasts.
    public var defaultWatchTimeout: Duration
    /// How many changes the pod history keeps before older resourceVersions expire.
    public var historyLimit: Int
    /// How many requests the request log keeps.
    public var requestLogCapacity: Int
    /// Static labels describing the cluster (written into its cluster file).
    public var labels: [String: String]

    /// Creates a configuration with realistic defaults.
    public init(
        name: String,
        host: String = "127.0.0.1",
        port: Int = 0,
        gitVersion: String = "v1.31.4",
        platform: String = "linux/amd64",
        servingCertificate: ServingCertificateKind = .valid,
        acceptsClientCertificates: Bool = true,
        eks: EKSAuthentication? = nil,
        bookmarkInterval: Duration = .seconds(60),
        defaultWatchTimeout: Duration = .seconds(1800),
        historyLimit: Int = 5000,
        requestLogCapacity: Int = 10_000,
        labels: [String: String] = [:]
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.gitVersion = gitVersion
        self.platform = platform
        self.servingCertificate = servingCertificate
        self.acceptsClientCertificates = acceptsClientCertificates
        self.eks = eks
        self.bookmarkInterval = bookmarkInterval
        self.defaultWatchTimeout = defaultWatchTimeout
        self.historyLimit = historyLimit
        self.requestLogCapacity = requestLogCapacity
        self.labels = labels
    }

    /// `major` and `minor` as `/version` reports them (`"1"`, `"31"`, or `"31+"` for vendor builds).
    var versionParts: (major: String, minor: String) {
        let trimmed = gitVersion.hasPrefix("v") ? gitVersion.dropFirst() : Substring(gitVersion)
        let numbers = trimmed.split(separator: ".")
        let major = numbers.first.map(String.init) ?? "1"
        var minor = numbers.count > 1 ? String(numbers[1]) : "0"
        if gitVersion.contains("-") { minor += "+" }
        return (major, minor)
    }
}
