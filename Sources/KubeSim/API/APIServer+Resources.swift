import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

extension APIServer {
    /// Serves the collection and object paths of a ``ResourceStore`` resource (nodes, services, endpointslices):
    /// list (with selectors, `limit`/`continue`, resourceVersion semantics), watch (bookmarks, 410), get, and the
    /// Table and PartialObjectMetadata representations — the same behaviour as pods.
    func serveResource<Object>(
        _ store: ResourceStore<Object>,
        request: HTTPRequest,
        info: RequestInfo,
        query: QueryParameters,
        writer: ResponseWriter
    ) async throws {
        let kind = store.kind
        guard info.subresource.isEmpty else {
            try await writer.status(.pathNotFound)
            return
        }
        if !kind.namespaced, !info.namespace.isEmpty {
            try await writer.status(.pathNotFound)
            return
        }
        switch info.verb {
        case "list", "watch":
            try await listOrWatchResource(store, request: request, info: info, query: query, writer: writer)
        case "get":
            try await getResource(store, request: request, info: info, writer: writer)
        default:
            try await writer.status(.methodNotAllowed(resource: kind.resource, verb: request.method))
        }
    }

    private func listOrWatchResource<Object>(
        _ store: ResourceStore<Object>,
        request: HTTPRequest,
        info: RequestInfo,
        query: QueryParameters,
        writer: ResponseWriter
    ) async throws {
        let kind = store.kind
        guard let representation = ResponseRepresentation.negotiate(request.head.headers.first(name: "accept")) else {
            try await writer.status(.notAcceptable)
            return
        }
        let options: ListOptions
        switch ListOptions.parse(query, isWatch: info.verb == "watch", fieldLabels: kind.fieldLabels) {
        case .success(let parsed): options = parsed
        case .failure(let status):
            try await writer.status(status)
            return
        }
        let filter = ResourceFilter(
            namespace: info.namespace.isEmpty ? nil : info.namespace,
            labels: options.labelSelector,
            fields: options.fieldSelector
        )
        let include = PodTable.IncludeObject(rawValue: query.first("includeObject") ?? "Metadata") ?? .metadata
        let encoder = ResourceEventEncoder(kind: kind, representation: representation, include: include)
        if info.verb == "watch" {
            try await watchResource(store, filter: filter, options: options, encoder: encoder, writer: writer)
            return
        }
        let page: ResourceListPage<Object>
        switch await readResourcePage(store, filter: filter, options: options) {
        case .success(let read): page = read
        case .failure(let status):
            try await writer.status(status)
            return
        }
        let continueToken = page.continueAfterKey.map {
            ContinueToken(resourceVersion: page.resourceVersion, lastKey: $0).encoded
        }
        var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(page.resourceVersion)))]
        if let continueToken { metadata.append(("continue", .string(continueToken))) }
        if let remaining = page.remainingItemCount { metadata.append(("remainingItemCount", .int(remaining))) }
        switch representation {
        case .object:
            var head = Array(#"{"kind":""#.utf8)
            head.append(contentsOf: kind.listKind.utf8)
            head.append(contentsOf: #"","apiVersion":""#.utf8)
            head.append(contentsOf: kind.apiVersion.utf8)
            head.append(contentsOf: #"","metadata":"#.utf8)
            JSONValue.object(metadata).encode(into: &head)
            head.append(contentsOf: #","items":["#.utf8)
            let size = page.items.reduce(head.count + 4) { $0 + $1.json.count + 1 }
            var buffer = ByteBufferAllocator().buffer(capacity: size)
            buffer.writeBytes(head)
            for (index, item) in page.items.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeBytes(item.json)
            }
            buffer.writeStaticString("]}")
            try await writer.respond(200, headers: ["Content-Type": "application/json"], body: buffer)
        case .table(let version):
            try await writer.json(200, encoder.table(page.items, metadata: metadata, version: version))
        case .partialMetadata(let version):
            try await writer.json(
                200,
                .object([
                    ("kind", "PartialObjectMetadataList"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                    ("metadata", .object(metadata)),
                    ("items", .array(page.items.map { encoder.partialMetadata($0, version: version) })),
                ])
            )
        }
    }

    /// Reads one page with the resourceVersion semantics of a list (as ``PodStore`` lists do).
    private func readResourcePage<Object>(
        _ store: ResourceStore<Object>,
        filter: ResourceFilter,
        options: ListOptions
    ) async -> Result<ResourceListPage<Object>, KubeStatus> {
        if let token = options.continueToken {
            let resourceVersion = token.resourceVersion == -1 ? store.resourceVersion : token.resourceVersion
            switch store.snapshot(at: resourceVersion) {
            case .success(let (keys, objects)):
                return .success(
                    store.page(
                        keys: keys,
                        objects: objects,
                        resourceVersion: resourceVersion,
                        filter: filter,
                        startAfter: token.lastKey,
                        limit: options.limit
                    )
                )
            case .failure:
                let inconsistent = ContinueToken(resourceVersion: -1, lastKey: token.lastKey).encoded
                return .failure(
                    .expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                        continueToken: inconsistent
                    )
                )
            }
        }
        var limit = options.limit
        let snapshot: (keys: [String], objects: [String: StoredResource<Object>], resourceVersion: Int)
        switch options.resourceVersion {
        case nil:
            snapshot = store.currentSnapshot()
        case "0":
            // Served from the watch cache, which ignores `limit`.
            limit = 0
            snapshot = store.currentSnapshot()
        case let text?:
            let wanted = Int(text) ?? 0
            if options.resourceVersionMatch == "Exact" {
                switch store.snapshot(at: wanted) {
                case .success(let (keys, objects)): snapshot = (keys, objects, wanted)
                case .failure(.expired):
                    return .failure(.expired("The resourceVersion for the provided list is too old."))
                case .failure(.tooLarge(let current)):
                    return .failure(APIServer.tooLargeResourceVersion(wanted, current: current))
                }
            } else {
                var current = store.resourceVersion
                var waited = 0
                while current < wanted, waited < 30 {
                    try? await Task.sleep(for: .milliseconds(100))
                    waited += 1
                    current = store.resourceVersion
                }
                if current < wanted { return .failure(APIServer.tooLargeResourceVersion(wanted, current: current)) }
                snapshot = store.currentSnapshot()
            }
        }
        return .success(
            store.page(
                keys: snapshot.keys,
                objects: snapshot.objects,
                resourceVersion: snapshot.resourceVersion,
                filter: filter,
                startAfter: nil,
                limit: limit
            )
        )
    }

    /// `GET …/RESOURCE/NAME`.
    private func getResource<Object>(
        _ store: ResourceStore<Object>,
        request: HTTPRequest,
        info: RequestInfo,
        writer: ResponseWriter
    ) async throws {
        let kind = store.kind
        if kind.namespaced, info.namespace.isEmpty {
            try await writer.status(.pathNotFound)
            return
        }
        guard let representation = ResponseRepresentation.negotiate(request.head.headers.first(name: "accept")) else {
            try await writer.status(.notAcceptable)
            return
        }
        let key = ResourceStore<Object>.key(info.namespace, info.name)
        guard let stored = store.state.withLock({ $0.objects[key] }) else {
            try await writer.status(.notFound(resource: kind.resource, group: info.apiGroup, name: info.name))
            return
        }
        let encoder = ResourceEventEncoder(kind: kind, representation: representation, include: .metadata)
        switch representation {
        case .object:
            try await writer.respond(
                200,
                headers: ["Content-Type": "application/json"],
                body: ByteBuffer(bytes: stored.jsonWithTypeMeta(kind))
            )
        case .table(let version):
            try await writer.json(
                200,
                encoder.table(
                    [stored],
                    metadata: [("resourceVersion", .string(String(stored.resourceVersion)))],
                    version: version
                )
            )
        case .partialMetadata(let version):
            try await writer.json(200, encoder.partialMetadata(stored, version: version))
        }
    }

    /// A watch of a resource store: HTTP 200 with a chunked stream of newline-terminated JSON events, chunk
    /// boundaries deliberately not at event boundaries (as ``watch(filter:options:representation:include:writer:)``).
    private func watchResource<Object>(
        _ store: ResourceStore<Object>,
        filter: ResourceFilter,
        options: ListOptions,
        encoder: ResourceEventEncoder<Object>,
        writer: ResponseWriter
    ) async throws {
        let requested = options.resourceVersion.flatMap { Int($0) }
        let start: WatchStart
        switch options.sendInitialEvents {
        case true?: start = .currentState
        case false?: start = .after(requested ?? store.resourceVersion)
        case nil: start = (requested == nil || requested == 0) ? .currentState : .after(requested!)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")

        if cluster.takeWatchExpiry() {
            try await writer.head(200, headers: headers)
            try await writeResourceExpired(
                requested: requested ?? store.resourceVersion,
                oldest: store.resourceVersion,
                writer: writer
            )
            return
        }
        let subscription: ResourceSubscription<Object>
        switch store.subscribe(filter: filter, start: start) {
        case .success(let subscribed): subscription = subscribed
        case .failure(.expired(let oldest)):
            try await writer.head(200, headers: headers)
            try await writeResourceExpired(requested: requested ?? 0, oldest: oldest, writer: writer)
            return
        case .failure(.tooLarge):
            try await writer.status(.internalError("unexpected resourceVersion state"))
            return
        }
        defer { store.unsubscribe(subscription.id) }

        try await writer.head(200, headers: headers)
        var burst: [UInt8] = []
        for (type, object) in subscription.initialEvents { burst += encoder.event(type, object) }
        if options.sendInitialEvents == true {
            burst += encoder.bookmark(resourceVersion: subscription.resourceVersion, initialEventsEnd: true)
        }
        try await WatchEventEncoder.writeMisaligned(burst, to: writer)

        let continuation = subscription.continuation
        writer.channel.closeFuture.whenComplete { _ in continuation.yield(.clientClosed) }
        let timeout: Duration =
            (options.timeoutSeconds ?? 0) > 0
            ? .seconds(options.timeoutSeconds!) : cluster.configuration.defaultWatchTimeout
        let bookmarkInterval = cluster.configuration.bookmarkInterval
        let faults = cluster.faults
        let id = subscription.id

        var reset = false
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                continuation.yield(.deadline)
            }
            if options.allowWatchBookmarks {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: bookmarkInterval)
                        if Task.isCancelled { break }
                        store.sendBookmark(to: id)
                    }
                }
                let lead = min(Duration.seconds(2), timeout / 2)
                group.addTask {
                    try? await Task.sleep(for: timeout - lead)
                    if !Task.isCancelled { store.sendBookmark(to: id) }
                }
            }
            if let dropAfter = faults.dropWatchesAfter {
                let mode = faults.dropMode
                group.addTask {
                    try? await Task.sleep(for: dropAfter)
                    if !Task.isCancelled { continuation.yield(.drop(mode)) }
                }
            }
            defer { group.cancelAll() }
            signals: for await signal in subscription.signals {
                switch signal {
                case .event(let type, let object):
                    try await WatchEventEncoder.writeSplit(encoder.event(type, object), to: writer)
                case .bookmark(let resourceVersion, let end):
                    if options.allowWatchBookmarks {
                        try await WatchEventEncoder.writeSplit(
                            encoder.bookmark(resourceVersion: resourceVersion, initialEventsEnd: end),
                            to: writer
                        )
                    }
                case .deadline, .drop(.endStream):
                    break signals
                case .drop(.resetConnection), .clientClosed:
                    reset = true
                    break signals
                }
            }
        }
        if reset {
            HTTPListener.reset(writer.channel)
        } else if writer.channel.isActive {
            try await writer.end()
        }
    }

    private func writeResourceExpired(requested: Int, oldest: Int, writer: ResponseWriter) async throws {
        let status = KubeStatus.expired("too old resource version: \(requested) (\(oldest))")
        var bytes = Array(#"{"type":"ERROR","object":"#.utf8)
        status.json.encode(into: &bytes)
        bytes.append(contentsOf: "}\n".utf8)
        try await WatchEventEncoder.writeSplit(bytes, to: writer)
        try await writer.end()
    }
}
