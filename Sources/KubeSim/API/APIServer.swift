import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The request handling of one simulated API server: authentication, injected faults, authorization and
/// routing, per connection.
struct APIServer: Sendable {
    let cluster: SimulatedCluster
    /// The client the pod proxy uses for backends on real ports.
    let upstream: HTTPClient

    /// The largest request body accepted.
    static let maxRequestBody = 3 * 1024 * 1024

    /// Runs `body` with an HTTP client for proxying to real ports, shut down afterwards.
    static func withUpstreamClient(_ body: (HTTPClient) async throws -> Void) async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        configuration.httpVersion = .http1Only
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        configuration.tlsConfiguration = tls
        let client = HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            configuration: configuration
        )
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Serves the requests of one connection, one after another, until it closes.
    func serve(_ connection: HTTPConnectionChannel) async {
        let channel = connection.channel
        let remoteAddress = channel.remoteAddress?.ipAddress ?? "127.0.0.1"
        var certificateIdentity: Identity?
        var certificateChecked = false
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                        tooLarge = false
                    case .body(var chunk):
                        if body.readableBytes + chunk.readableBytes > APIServer.maxRequestBody {
                            tooLarge = true
                        } else {
                            body.writeBuffer(&chunk)
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        if !certificateChecked, cluster.configuration.acceptsClientCertificates {
                            certificateChecked = true
                            certificateIdentity = await APIServer.peerIdentity(channel)
                        }
                        let request = HTTPRequest(
                            head: requestHead,
                            body: body,
                            remoteAddress: remoteAddress,
                            certificateIdentity: certificateIdentity
                        )
                        let keepAlive = try await handle(
                            request,
                            tooLarge: tooLarge,
                            outbound: outbound,
                            channel: channel
                        )
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            // The client went away or the connection was reset: nothing to answer.
        }
    }

    /// The identity of the verified client certificate, if the client sent one.
    static func peerIdentity(_ channel: any Channel) async -> Identity? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let der = try? certificate.toDERBytes()
        else { return nil }
        return ClientCertificateIdentity.identity(fromDER: der)
    }

    /// Handles one request; returns whether the connection stays open.
    private func handle(
        _ request: HTTPRequest,
        tooLarge: Bool,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel
    ) async throws -> Bool {
        let context = RequestContext(request: request)
        let writer = ResponseWriter(
            outbound: outbound,
            channel: channel,
            keepAlive: request.keepAlive,
            auditID: UUID().uuidString.lowercased()
        ) { status in
            cluster.requestLog.append(context.logEntry(status: status))
        }
        try await respond(to: request, context: context, tooLarge: tooLarge, writer: writer)
        if writer.status == nil {
            // Reset without a response.
            cluster.requestLog.append(context.logEntry(status: 0))
            return false
        }
        return writer.keepAlive && channel.isActive
    }

    private func respond(
        to request: HTTPRequest,
        context: RequestContext,
        tooLarge: Bool,
        writer: ResponseWriter
    ) async throws {
        guard let path = context.decodedPath, request.rawPath.hasPrefix("/") else {
            try await writer.status(.badRequest("invalid request path \(request.rawPath)"))
            return
        }
        let query = QueryParameters(request.rawQuery)
        let info = RequestInfo(method: request.method, path: path, segments: context.segments, query: query)
        context.kind = APIServer.kind(of: info)

        let faults = cluster.faults
        let delay = context.kind == .proxy ? faults.proxyLatency : faults.latency
        if delay > .zero { try await Task.sleep(for: delay) }

        // Authentication.
        guard let identity = authenticate(request, path: path) else {
            try await writer.status(.unauthorized)
            return
        }
        context.identity = identity

        if tooLarge {
            try await writer.status(.requestEntityTooLarge("limit is \(APIServer.maxRequestBody)"))
            return
        }

        // Priority and fairness / overload faults come after authentication, before authorization.
        if let failure = cluster.takeFailure(for: context.kind) {
            try await answer(failure, writer: writer)
            return
        }

        // Authorization.
        guard cluster.policy.isAllowed(identity, info) else {
            try await writer.status(AccessPolicy.forbiddenStatus(identity, info))
            return
        }

        try await route(request, info: info, query: query, context: context, writer: writer)
    }

    private func answer(_ failure: InjectedFailure.Kind, writer: ResponseWriter) async throws {
        switch failure {
        case .tooManyRequests(let seconds):
            try await writer.status(
                .tooManyRequests(message: "Too many requests, please try again later.", retryAfterSeconds: seconds)
            )
        case .priorityAndFairness(let seconds):
            var headers = HTTPHeaders()
            headers.add(name: "Retry-After", value: String(seconds))
            try await writer.text(429, "Too many requests, please try again later.\n", extraHeaders: headers)
        case .internalError:
            try await writer.status(.internalError("injected failure"))
        case .serviceUnavailable:
            try await writer.status(.serviceUnavailable("the server is currently unable to handle the request"))
        case .timeout:
            try await writer.status(.timeout("request did not complete within the allotted timeout"))
        case .resetConnection:
            HTTPListener.reset(writer.channel)
        }
    }

    /// The identity of the request, or nil for 401.
    private func authenticate(_ request: HTTPRequest, path: String) -> Identity? {
        if let identity = request.certificateIdentity { return identity }
        if let token = request.bearerToken {
            if let identity = cluster.tokens.identity(for: token) { return identity }
            if let eks = cluster.configuration.eks, case .success(let identity) = eks.verify(token) { return identity }
            return nil
        }
        if ["/version", "/healthz", "/livez", "/readyz"].contains(path) {
            return Identity(user: "system:anonymous", groups: ["system:unauthenticated"])
        }
        return nil
    }

    private static func kind(of info: RequestInfo) -> RequestKinds {
        guard info.isResourceRequest else {
            if AccessPolicy.discoveryPaths.contains(where: { info.path == $0 || info.path.hasPrefix($0 + "/") }) {
                return .discovery
            }
            return .other
        }
        if info.subresource == "proxy" { return .proxy }
        if info.resource == "selfsubjectaccessreviews" { return .authorization }
        switch info.verb {
        case "list": return .list
        case "watch": return .watch
        case "get": return .get
        default: return .other
        }
    }

    private func route(
        _ request: HTTPRequest,
        info: RequestInfo,
        query: QueryParameters,
        context: RequestContext,
        writer: ResponseWriter
    ) async throws {
        if !info.isResourceRequest {
            try await serveNonResource(path: info.path, request: request, writer: writer)
            return
        }
        switch (info.apiGroup, info.apiVersion, info.resource) {
        case ("", "v1", "pods") where info.verb == "proxy":
            try await writer.status(.pathNotFound)
        case ("", "v1", "pods") where info.subresource == "proxy":
            try await proxy(request, info: info, context: context, writer: writer)
        case ("", "v1", "pods") where !info.subresource.isEmpty:
            try await writer.status(.pathNotFound)
        case ("", "v1", "pods"):
            switch info.verb {
            case "list", "watch":
                try await listOrWatch(request, info: info, query: query, writer: writer)
            case "get":
                try await getPod(request, info: info, writer: writer)
            default:
                try await writer.status(.methodNotAllowed(resource: "pods", verb: request.method))
            }
        case ("", "v1", "nodes") where info.subresource == "proxy":
            try await nodeProxy(request, info: info, context: context, writer: writer)
        case ("", "v1", "nodes") where info.verb == "proxy":
            try await writer.status(.pathNotFound)
        case ("", "v1", "nodes"):
            try await serveResource(cluster.nodes, request: request, info: info, query: query, writer: writer)
        case ("", "v1", "services"):
            try await serveResource(cluster.services, request: request, info: info, query: query, writer: writer)
        case ("discovery.k8s.io", "v1", "endpointslices"):
            try await serveResource(cluster.endpointSlices, request: request, info: info, query: query, writer: writer)
        case ("", "v1", "namespaces") where info.subresource.isEmpty:
            switch info.verb {
            case "list": try await listNamespaces(writer: writer)
            case "get": try await getNamespace(info.name, writer: writer)
            default: try await writer.status(.methodNotAllowed(resource: "namespaces", verb: request.method))
            }
        case ("authorization.k8s.io", "v1", "selfsubjectaccessreviews") where info.verb == "create":
            try await selfSubjectAccessReview(request, context: context, writer: writer)
        default:
            try await writer.status(.pathNotFound)
        }
    }
}

/// Per-request facts gathered while handling, for the request log.
final class RequestContext: Sendable {
    let request: HTTPRequest
    let segments: [String]
    let rawSegments: [String]
    let decodedPath: String?
    private let facts = Mutex<(identity: Identity?, kind: RequestKinds)>((nil, .other))

    init(request: HTTPRequest) {
        self.request = request
        let raw = request.rawPath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        rawSegments = raw
        var decoded: [String] = []
        var valid = true
        for segment in raw {
            guard let value = PercentDecoding.decode(Substring(segment)) else {
                valid = false
                break
            }
            decoded.append(value)
        }
        segments = valid ? decoded : []
        decodedPath = valid ? "/" + decoded.joined(separator: "/") : nil
    }

    /// The authenticated identity.
    var identity: Identity? {
        get { facts.withLock { $0.identity } }
        set { facts.withLock { $0.identity = newValue } }
    }

    /// The kind of request.
    var kind: RequestKinds {
        get { facts.withLock { $0.kind } }
        set { facts.withLock { $0.kind = newValue } }
    }

    func logEntry(status: Int) -> RequestLogEntry {
        let (identity, kind) = facts.withLock { ($0.identity, $0.kind) }
        return RequestLogEntry(
            time: Date(),
            method: request.method,
            path: request.rawPath,
            query: request.rawQuery,
            user: identity?.user,
            groups: identity?.effectiveGroups ?? [],
            status: status,
            kind: kind,
            userAgent: request.head.headers.first(name: "user-agent"),
            headers: request.head.headers.map { name, value in
                (name, name.lowercased() == "authorization" ? "<redacted>" : value)
            }
        )
    }
}
