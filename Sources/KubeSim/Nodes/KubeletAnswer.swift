/// What the API server gets when it proxies to a kubelet.
enum KubeletAnswer: Sendable {
    /// An HTTP response, passed through.
    case response(ExporterResponse)
    /// The dial failed with `reason` (after `after`): the API server answers 503.
    case unreachable(String, after: Duration)
}
