/// Keys as a Prometheus user writes them (`scrape_interval`, `metrics_path`, `tls_config`, ...) mapped to where
/// Crowsnest keeps the same setting, for the "did you mean" of an unknown field.
///
/// Edit distance does not find these (`scrape_interval` is far from `interval`), and they are the most common
/// mistake of someone bringing a Prometheus scrape job over.
enum PrometheusSpelling {
    /// Per Prometheus key: the candidates, in order; the first whose first path component is a key of the mapping
    /// being read (relative to it) is suggested.
    static let candidates: [String: [String]] = [
        "scrape_interval": ["interval", "scrape.interval"],
        "scrape_timeout": ["timeout", "scrape.timeout"],
        "metrics_path": ["path", "scrape.path"],
        "tls_config": ["tls", "web.tls_cert_file"],
        "authorization": ["auth.bearer_token_file", "web.bearer_token_file"],
        "credentials_file": ["bearer_token_file"],
        "relabelings": ["relabel_configs"],
        "metric_relabelings": ["metric_relabel_configs"],
    ]

    /// The suggestion for `key` in a mapping that knows `known` keys and sits at `field` (`""` at the top), as a
    /// full field path, or nil.
    static func suggestion(for key: String, known: [String], field: String) -> String? {
        guard let options = candidates[key] else { return nil }
        for option in options {
            let head = option.split(separator: ".").first.map(String.init) ?? option
            guard known.contains(head), option != key else { continue }
            return field.isEmpty ? option : field + "." + option
        }
        return nil
    }
}
