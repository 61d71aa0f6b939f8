import CrowsnestCore
public import Hummingbird
import NIOCore

/// `GET /metrics` and `GET /federate`: every sample of every target, content-negotiated, gzip when asked, with
/// `?cluster=` and `match[]=` filters, streamed.
public struct FederationEndpoint: Sendable {
    /// Where snapshots live.
    public let store: SnapshotStore
    /// The size of the chunks the response is streamed in.
    public let chunkSize: Int
    /// The cluster names `?cluster=` may name (every cluster file's, running or not).
    public let knownClusters: @Sendable () -> [String]

    /// Creates the endpoint.
    public init(
        store: SnapshotStore,
        chunkSize: Int = 256 * 1024,
        knownClusters: @escaping @Sendable () -> [String] = { [] }
    ) {
        self.store = store
        self.chunkSize = chunkSize
        self.knownClusters = knownClusters
    }

    /// Registers the routes.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { request, _ in try respond(to: request) }
        router.get("/federate") { request, _ in try respond(to: request) }
    }

    /// Builds the streamed response for a request.
    public func respond(to request: Request) throws -> Response {
        let format = ContentNegotiation.negotiate(accept: request.headers[.accept])
        let parameters = QueryString(request.uri.query)
        var selectors: [SeriesSelector] = []
        for text in parameters.all("match[]") {
            do {
                selectors.append(try SeriesSelector(text))
            } catch {
                throw HTTPError(.badRequest, message: "invalid match[] selector: \(error)")
            }
        }
        let clusters = Set(parameters.all("cluster"))
        if !clusters.isEmpty {
            let known = Set(knownClusters())
            let unknown = clusters.subtracting(known).sorted()
            if !unknown.isEmpty {
                let names = known.isEmpty ? "none (no cluster file is loaded)" : known.sorted().joined(separator: ", ")
                throw HTTPError(
                    .badRequest,
                    message:
                        "unknown cluster \(unknown.joined(separator: ", ")) in ?cluster=; known clusters: \(names)\n"
                )
            }
        }
        let federationRequest = FederationRequest(format: format, clusters: clusters, selectors: selectors)
        let gzip = Self.acceptsGzip(request.headers[.acceptEncoding])
        var headers: HTTPFields = [.contentType: format.contentType]
        if gzip { headers[.contentEncoding] = "gzip" }
        if gzip && format == .text { store.noteGzipRequest() }
        let view = store.view()
        let writer = FederationWriter(chunkSize: chunkSize)
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { bodyWriter in
                if gzip && format == .text {
                    try await writer.writeGzip(view, request: federationRequest) { try await bodyWriter.write($0) }
                } else if gzip {
                    let stream = try GzipStream()
                    var pending: ByteBuffer?
                    try await writer.write(view, request: federationRequest) { chunk in
                        if let previous = pending {
                            try await bodyWriter.write(try stream.compress(previous, final: false))
                        }
                        pending = chunk
                    }
                    try await bodyWriter.write(try stream.compress(pending ?? ByteBuffer(), final: true))
                } else {
                    try await writer.write(view, request: federationRequest) { try await bodyWriter.write($0) }
                }
                try await bodyWriter.finish(nil)
            }
        )
    }

    /// Whether an `Accept-Encoding` header accepts gzip (with q > 0).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for part in header.lowercased().split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.filter { $0 != " " && $0 != "\t" } }
            guard pieces.first == "gzip" || pieces.first == "*" else { continue }
            if let quality = pieces.dropFirst().first(where: { $0.hasPrefix("q=") }), Double(quality.dropFirst(2)) == 0
            {
                return false
            }
            return true
        }
        return false
    }
}
