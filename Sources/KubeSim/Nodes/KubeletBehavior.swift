/// How a simulated kubelet answers the node proxy: normally, or with one of the faults real nodes show.
public enum KubeletBehavior: Sendable, Equatable {
    /// Serves its endpoints.
    case normal
    /// Serves its endpoints after a delay (a loaded kubelet).
    case delay(Duration)
    /// Answers every request with this status and plain-text body, which the API server passes through verbatim
    /// (the kubelet's own 403 or 500, not a Status).
    case status(Int, body: String)
    /// Nothing listens on the kubelet port: the API server answers 503 `error trying to reach service: dial tcp
    /// IP:PORT: connect: connection refused`.
    case connectionRefused
    /// The node does not answer at all: after `after`, the API server answers 503 `error trying to reach service:
    /// dial tcp IP:PORT: i/o timeout`.
    case dialTimeout(after: Duration)

    /// The kubelet refusing the API server's client (its webhook authorizer said no), as a real kubelet words it.
    public static let forbidden = KubeletBehavior.status(
        403,
        body: "Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=metrics)"
    )

    /// A kubelet failing inside (500 with Go's plain-text error body).
    public static let internalError = KubeletBehavior.status(500, body: "Internal Server Error\n")
}
