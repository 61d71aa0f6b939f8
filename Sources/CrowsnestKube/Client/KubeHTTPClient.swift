public import AsyncHTTPClient
import NIOCore

/// The one `HTTPClient` all clusters share: per-request TLS (each cluster's settings make its own connection pool),
/// bounded pools, no redirects (a pod's redirect through the proxy is returned, not followed), no decompression
/// (the scraper decides), and no silent retrying of failed connection attempts: a TLS or connect failure fails the
/// request at once with its real cause ("certificate verify failed for cluster X") instead of after the connect
/// timeout, and discovery's backoff and the next scrape interval do the retrying. No tracing spans.
public enum KubeHTTPClient {
    /// The shared client's configuration.
    /// - Parameter connectionsPerCluster: the connection-pool bound per API server and TLS configuration: room for
    ///   the watches plus the default `max_concurrent_scrapes` ceiling (256).
    public static func configuration(connectionsPerCluster: Int = 272) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerCluster
        )
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        // No distributed tracing: the default (the global no-op tracer) still builds a span and parses the URL
        // again for its attributes on every request, a few per cent of a scrape's CPU.
        configuration.tracing.tracer = nil
        return configuration
    }

    /// Runs `body` with a shared client configured by ``configuration(connectionsPerCluster:)``, shutting it down
    /// afterwards.
    public static func withClient<Result: Sendable>(
        connectionsPerCluster: Int = 272,
        _ body: (HTTPClient) async throws -> Result
    ) async throws -> Result {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: configuration(connectionsPerCluster: connectionsPerCluster)
        )
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
