/// The metrics endpoints a simulated kubelet serves.
public enum KubeletMetricsPath: String, Sendable, CaseIterable {
    /// `/metrics`: the kubelet's own metrics.
    case kubelet = "/metrics"
    /// `/metrics/cadvisor`: cAdvisor's container metrics for the pods on the node.
    case cadvisor = "/metrics/cadvisor"
    /// `/metrics/resource`: the resource metrics (CPU and memory per node, pod and container).
    case resource = "/metrics/resource"
    /// `/metrics/probes`: probe results per container.
    case probes = "/metrics/probes"
}
