public import AsyncHTTPClient
public import CrowsnestKube
public import NIOCore
public import NIOHTTP1

/// What the scraper needs from a cluster's API client: an authenticated GET through the API server's proxy.
///
/// The one seam between scraping and the Kubernetes client, kept because the scraper's tests drive it with scripted
/// answers. `CrowsnestKube`'s ``KubeClusterClient`` is the real one (credentials, per-cluster TLS, retry after 401).
public protocol ProxyClient: Sendable {
    /// Performs `GET {api_server}{path}?{query}` through a pod or node proxy with the cluster's credentials, by
    /// `deadline`. The real client throws ``KubeClientError``.
    func proxyGet(
        path: String,
        query: String?,
        headers: HTTPHeaders,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse
}

extension KubeClusterClient: ProxyClient {}
