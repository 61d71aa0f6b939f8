/// How a cluster file's `relabel_configs` combine with the built-in target selection (`relabel_mode:`).
///
/// Two modes because users arrive with two expectations. Most add a rule or two to what the gateway already does
/// ("leave out this namespace", "copy this pod label"): they must not lose the annotation rules, the opt-out or the
/// identity labels by doing so. Users who bring a Prometheus `kubernetes_sd_configs` `role: pod` job want it to
/// behave exactly as it does in Prometheus. In both modes every target carries `cluster`, `namespace` and
/// `pod_name`, and targets whose final label sets are equal are scraped once.
public enum RelabelMode: String, Sendable, Hashable, CaseIterable {
    /// `crowsnest` (the default): the built-in selection (annotations, named ports, opt-out) picks the targets
    /// first; the rules then see each chosen target with Prometheus' `role: pod` meta labels and may drop it, add
    /// labels, or change `__metrics_path__`, `__scheme__` and `__param_*`. `cluster`, `namespace` and `pod_name`
    /// are always the pod's own.
    case crowsnest
    /// `prometheus`: Prometheus' `role: pod` semantics: one candidate per declared container port, and the rules
    /// alone decide which become targets and with which labels. `namespace` and `pod_name` are added when the
    /// rules leave them unset.
    case prometheus
}
