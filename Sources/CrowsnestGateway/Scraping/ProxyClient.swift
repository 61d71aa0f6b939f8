public import AsyncHTTPClient
public import NIOCore
public import NIOHTTP1

/// What the scraper needs from a cluster's API client: an authenticated GET on the API server.
///
/// `CrowsnestKube`'s cluster client implements it (credentials, per-cluster TLS, retry after 401); tests can
/// use any implementation.
public protocol ProxyClient: Sendable {
    /// Performs `GET {api_server}{path}?{query}` with the cluster's credentials, by `deadline`.
    func get(path: String, query: String?, headers: HTTPHeaders, deadline: NIODeadline) async throws -> HTTPClientResponse
}
