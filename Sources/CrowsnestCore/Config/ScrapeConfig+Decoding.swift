extension PartialScrapeConfig {
    /// The keys of a `scrape:` block.
    static let keys = [
        "interval", "timeout", "path", "scheme", "sample_limit", "body_size_limit", "label_limit",
        "label_name_length_limit", "label_value_length_limit", "honor_labels", "max_concurrent_scrapes",
    ]

    /// The upper bound of `max_concurrent_scrapes`.
    static let maxConcurrencyBound = 10_000

    /// Decodes a `scrape:` block (field `field`), reporting every problem; invalid fields stay `nil`.
    ///
    /// Returns the block and the nodes of the fields it set (for positions of cross-field problems).
    static func decode(
        _ node: ConfigNode,
        field: String,
        decoder d: ConfigDecoder
    ) -> (PartialScrapeConfig, ConfigFields?) {
        var block = PartialScrapeConfig()
        guard let fields = d.mapping(node, field: field, known: keys) else { return (block, nil) }
        block.interval = d.duration(fields, "interval")
        block.timeout = d.duration(fields, "timeout")
        if let node = fields["path"], let path = d.string(node, fields.path("path")) {
            if let problem = ScrapeConfig.pathProblem(path) {
                d.error(.invalidValue, at: node, fields.path("path"), "\(ConfigText.quote(path)) \(problem)")
            } else {
                block.path = path
            }
        }
        if let node = fields["scheme"], let text = d.string(node, fields.path("scheme")) {
            if let scheme = ScrapeConfig.Scheme(rawValue: text) {
                block.scheme = scheme
            } else {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("scheme"),
                    "must be http or https, got \(ConfigText.quote(text))"
                )
            }
        }
        block.sampleLimit = d.int(fields, "sample_limit", in: 0...Int.max)
        block.bodySizeLimit = d.byteCount(fields, "body_size_limit")
        block.labelLimit = d.int(fields, "label_limit", in: 0...Int.max)
        block.labelNameLengthLimit = d.int(fields, "label_name_length_limit", in: 0...Int.max)
        block.labelValueLengthLimit = d.int(fields, "label_value_length_limit", in: 0...Int.max)
        block.honorLabels = d.bool(fields, "honor_labels")
        block.maxConcurrentScrapes = d.int(fields, "max_concurrent_scrapes", in: 1...maxConcurrencyBound)
        return (block, fields)
    }

    /// Checks `timeout ≤ interval` of the block resolved over `defaults`, pointing at the field this file set
    /// (timeout first, then interval).
    ///
    /// Nothing is reported when neither was set here: the defaults' own file is
    /// where that problem belongs.
    static func checkTimeout(
        _ block: PartialScrapeConfig,
        over defaults: PartialScrapeConfig,
        fields: ConfigFields?,
        decoder d: ConfigDecoder
    ) {
        let resolved = block.overriding(defaults).resolved
        guard resolved.timeout > resolved.interval, let fields else { return }
        let origin: (String) -> String = { key in fields.has(key) ? "" : " (from the global scrape block)" }
        let reason =
            "timeout \(resolved.timeout.prometheusDescription)\(origin("timeout")) must not exceed interval "
            + "\(resolved.interval.prometheusDescription)\(origin("interval"))"
        if fields.has("timeout") {
            d.error(.conflict, at: fields["timeout"], fields.path("timeout"), reason)
        } else if fields.has("interval") {
            d.error(.conflict, at: fields["interval"], fields.path("interval"), reason)
        }
    }
}
