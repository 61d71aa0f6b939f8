import AsyncHTTPClient
import CrowsnestCore
import Synchronization

/// The HTTP clients of clusters behind a proxy (``ProxyURL``).
///
/// AsyncHTTPClient sets its proxy per client, not per request, so each distinct proxy gets one client, configured
/// like the shared one (``KubeHTTPClient/configuration(connectionsPerCluster:)``) and shared by every cluster
/// behind that proxy. Like `HTTPClient.shared` they live as long as the process and are never shut down: a cluster
/// file that comes and goes must not close connections another cluster still uses, and idle connections close
/// after the pool's idle timeout anyway.
final class ProxiedHTTPClients: Sendable {
    /// The process's clients.
    static let shared = ProxiedHTTPClients()

    private let clients = Mutex<[ProxyURL: HTTPClient]>([:])

    /// The client that reaches servers through `proxy` (created on first use; creating one does no I/O).
    func client(for proxy: ProxyURL) -> HTTPClient {
        clients.withLock { clients in
            if let existing = clients[proxy] { return existing }
            var configuration = KubeHTTPClient.configuration()
            switch proxy.kind {
            case .http:
                let authorization = proxy.username.map {
                    HTTPClient.Authorization.basic(username: $0, password: proxy.password?.revealed ?? "")
                }
                configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
            case .socks5:
                configuration.proxy = .socksServer(host: proxy.host, port: proxy.port)
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[proxy] = client
            return client
        }
    }
}
