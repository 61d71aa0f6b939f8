/// How to render a scrape.
public struct ScrapeRenderOptions: Sendable {
    /// Labels every sample gets (`cluster`, `namespace`, `pod_name`, static labels, relabeling results), unique
    /// names.
    ///
    /// A label with an empty value removes that label from samples (a scraped value moves to
    /// `exported_<name>` under `honor_labels: false`, as in Prometheus).
    public var targetLabels: [Label]
    /// Prometheus' `honor_labels`: when false, a scraped label colliding with a target label is kept as
    /// `exported_<name>`; when true the scraped label wins.
    public var honorLabels: Bool
    /// The scrape time in milliseconds, appended to samples without their own timestamp; `nil` for none.
    public var timestampMilliseconds: Int64?
    /// Limits applied after label injection and relabeling (as Prometheus applies them).
    public var limits: ExpositionLimits
    /// `metric_relabel_configs`, applied per sample after label injection; returns false to drop the sample.
    public var metricRelabeling: (@Sendable (inout LabelSet) -> Bool)?
    /// Labels `metricRelabeling` cannot change or remove: after the rules run, each has again the value it had
    /// before them (the gateway's `cluster`, `namespace`, `pod_name`, so series of different targets never merge).
    public var fixedLabelNames: [String] = []
    /// A scraped label also written under a second name (node targets: `pod` → `pod_name`), before relabeling.
    public var labelCopy: LabelCopy?
    /// Room to leave free at the end of ``RenderedScrape/bytes`` for lines the caller appends (the gateway's
    /// synthetic series), so that appending them needs no second buffer.
    public var spareCapacity = 0

    /// Creates options.
    public init(
        targetLabels: [Label],
        honorLabels: Bool = false,
        timestampMilliseconds: Int64? = nil,
        limits: ExpositionLimits = .none,
        metricRelabeling: (@Sendable (inout LabelSet) -> Bool)? = nil
    ) {
        self.targetLabels = targetLabels
        self.honorLabels = honorLabels
        self.timestampMilliseconds = timestampMilliseconds
        self.limits = limits
        self.metricRelabeling = metricRelabeling
    }
}
