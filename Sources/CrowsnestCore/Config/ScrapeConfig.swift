/// How the pods of one cluster are scraped: the resolved `scrape:` block of a cluster file.
///
/// Values come from the cluster file, else from the `scrape:` block of `crowsnest.yaml`, else these defaults:
///
/// | key | default | rule |
/// |---|---|---|
/// | `interval` | `30s` | Prometheus duration, > 0 |
/// | `timeout` | `10s`, but at most `interval` when not set | > 0, ≤ `interval` |
/// | `path` | `/metrics` | absolute; no `.`/`..` segments, `?`, `#`, `\`, `%`, `//` |
/// | `scheme` | `http` | `http` or `https` (the pod side of the proxy path) |
/// | `sample_limit` | `0` (none) | ≥ 0; over the limit the scrape fails |
/// | `body_size_limit` | `50MiB` | size, `0` = none; applies to the decompressed body |
/// | `label_limit` | `0` (none) | ≥ 0 |
/// | `label_name_length_limit` | `0` (none) | ≥ 0 |
/// | `label_value_length_limit` | `4096` | ≥ 0, `0` = none; over the limit the scrape fails (static labels: the file) |
/// | `honor_labels` | `false` | |
/// | `max_concurrent_scrapes` | `256` | 1–10000, per cluster: the ceiling of the adaptive limit (starts at 32) |
public struct ScrapeConfig: Sendable, Hashable {
    /// How often each target is scraped.
    public var interval: Duration
    /// How long one scrape may take (≤ `interval`).
    public var timeout: Duration
    /// The metrics path used when a pod does not say.
    public var path: String
    /// The pod-side scheme in the proxy path.
    public var scheme: Scheme
    /// Most samples one scrape may yield; 0 = no limit.
    public var sampleLimit: Int
    /// Largest (decompressed) body; `.zero` = no limit.
    public var bodySizeLimit: ByteCount
    /// Most labels one sample may have; 0 = no limit.
    public var labelLimit: Int
    /// Longest label name; 0 = no limit.
    public var labelNameLengthLimit: Int
    /// Longest label value; 0 = no limit.
    public var labelValueLengthLimit: Int
    /// Whether scraped labels win over target labels (else they become `exported_*`).
    public var honorLabels: Bool
    /// Most scrapes in flight at once for the cluster: the ceiling of the limit that adapts to its API server
    /// (starting at 32, growing while scrapes wait and latency holds, shrinking when the server queues or throttles).
    public var maxConcurrentScrapes: Int

    /// The pod-side scheme of a scrape.
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        /// Plain HTTP to the pod (the API server's proxy still speaks TLS to us).
        case http
        /// HTTPS to the pod (the API server does not verify the pod's certificate).
        case https
    }

    /// The default interval, `30s`.
    public static let defaultInterval: Duration = .seconds(30)
    /// The default timeout, `10s` (capped at the interval).
    public static let defaultTimeout: Duration = .seconds(10)
    /// The default body size limit, `50MiB`.
    public static let defaultBodySizeLimit: ByteCount = .mebibytes(50)
    /// The default longest label value, 4 KiB: Prometheus has no default, but a label value that long is almost
    /// always a mistake (a stack trace, a request body), and it would be held and served with every sample.
    public static let defaultLabelValueLengthLimit = 4096
    /// The default ceiling of the per-cluster concurrency limit, 256.
    public static let defaultMaxConcurrentScrapes = 256

    /// Creates a scrape configuration; every argument defaults to the documented default.
    public init(
        interval: Duration = ScrapeConfig.defaultInterval,
        timeout: Duration? = nil,
        path: String = "/metrics",
        scheme: Scheme = .http,
        sampleLimit: Int = 0,
        bodySizeLimit: ByteCount = ScrapeConfig.defaultBodySizeLimit,
        labelLimit: Int = 0,
        labelNameLengthLimit: Int = 0,
        labelValueLengthLimit: Int = ScrapeConfig.defaultLabelValueLengthLimit,
        honorLabels: Bool = false,
        maxConcurrentScrapes: Int = ScrapeConfig.defaultMaxConcurrentScrapes
    ) {
        self.interval = interval
        self.timeout = timeout ?? min(ScrapeConfig.defaultTimeout, interval)
        self.path = path
        self.scheme = scheme
        self.sampleLimit = sampleLimit
        self.bodySizeLimit = bodySizeLimit
        self.labelLimit = labelLimit
        self.labelNameLengthLimit = labelNameLengthLimit
        self.labelValueLengthLimit = labelValueLengthLimit
        self.honorLabels = honorLabels
        self.maxConcurrentScrapes = maxConcurrentScrapes
    }

    /// Why `path` cannot be a scrape path, or `nil` when it can.
    ///
    /// The rule of SPEC §4, applied after percent-decoding: absolute; no `.` or `..` segments; no encoded `/`,
    /// no `\`, `%` (after decoding), `?` or `#`; no scheme or host (`//host/…`); no control characters. Used for the
    /// configured default path here and reusable for annotation paths.
    public static func pathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must be an absolute path starting with /" }
        guard !path.hasPrefix("//") else { return "must not start with // (a host)" }
        var decoded: [UInt8] = []
        let raw = Array(path.utf8)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.count, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2])
                else { return "has an invalid percent-encoding" }
                let value = high << 4 | low
                if value == UInt8(ascii: "/") { return "must not contain an encoded /" }
                decoded.append(value)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        for byte in decoded {
            switch byte {
            case UInt8(ascii: "\\"): return "must not contain \\"
            case UInt8(ascii: "%"): return "must not contain an encoded %"
            case UInt8(ascii: "?"), UInt8(ascii: "#"): return "must not contain ? or #"
            case 0..<0x20, 0x7F: return "must not contain control characters"
            default: continue
            }
        }
        let text = String(decoding: decoded, as: UTF8.self)
        if text.hasPrefix("//") { return "must not start with // (a host)" }
        for segment in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            if segment == "." || segment == ".." { return "must not contain . or .. segments" }
        }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A `scrape:` block as written: every field optional.
///
/// The global `crowsnest.yaml` holds one (defaults for every
/// cluster); a cluster file's own block overrides it field by field.
public struct PartialScrapeConfig: Sendable, Hashable {
    /// `interval`.
    public var interval: Duration?
    /// `timeout`.
    public var timeout: Duration?
    /// `path`.
    public var path: String?
    /// `scheme`.
    public var scheme: ScrapeConfig.Scheme?
    /// `sample_limit`.
    public var sampleLimit: Int?
    /// `body_size_limit`.
    public var bodySizeLimit: ByteCount?
    /// `label_limit`.
    public var labelLimit: Int?
    /// `label_name_length_limit`.
    public var labelNameLengthLimit: Int?
    /// `label_value_length_limit`.
    public var labelValueLengthLimit: Int?
    /// `honor_labels`.
    public var honorLabels: Bool?
    /// `max_concurrent_scrapes`.
    public var maxConcurrentScrapes: Int?

    /// An empty block (everything defaulted).
    public init() {}

    /// This block's values, falling back to `defaults`' values field by field.
    public func overriding(_ defaults: PartialScrapeConfig) -> PartialScrapeConfig {
        var merged = self
        merged.interval = interval ?? defaults.interval
        merged.timeout = timeout ?? defaults.timeout
        merged.path = path ?? defaults.path
        merged.scheme = scheme ?? defaults.scheme
        merged.sampleLimit = sampleLimit ?? defaults.sampleLimit
        merged.bodySizeLimit = bodySizeLimit ?? defaults.bodySizeLimit
        merged.labelLimit = labelLimit ?? defaults.labelLimit
        merged.labelNameLengthLimit = labelNameLengthLimit ?? defaults.labelNameLengthLimit
        merged.labelValueLengthLimit = labelValueLengthLimit ?? defaults.labelValueLengthLimit
        merged.honorLabels = honorLabels ?? defaults.honorLabels
        merged.maxConcurrentScrapes = maxConcurrentScrapes ?? defaults.maxConcurrentScrapes
        return merged
    }

    /// The resolved configuration: unset fields take the built-in defaults (an unset timeout is
    /// `min(10s, interval)`, as in Prometheus).
    public var resolved: ScrapeConfig {
        ScrapeConfig(
            interval: interval ?? ScrapeConfig.defaultInterval,
            timeout: timeout,
            path: path ?? "/metrics",
            scheme: scheme ?? .http,
            sampleLimit: sampleLimit ?? 0,
            bodySizeLimit: bodySizeLimit ?? ScrapeConfig.defaultBodySizeLimit,
            labelLimit: labelLimit ?? 0,
            labelNameLengthLimit: labelNameLengthLimit ?? 0,
            labelValueLengthLimit: labelValueLengthLimit ?? ScrapeConfig.defaultLabelValueLengthLimit,
            honorLabels: honorLabels ?? false,
            maxConcurrentScrapes: maxConcurrentScrapes ?? ScrapeConfig.defaultMaxConcurrentScrapes
        )
    }
}
