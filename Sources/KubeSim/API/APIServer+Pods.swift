import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

extension APIServer {
    /// `GET /api/v1/pods` and `GET /api/v1/namespaces/NS/pods`, with or without `watch`.
    func listOrWatch(
        _ request: HTTPRequest,
        info: RequestInfo,
        query: QueryParameters,
        writer: ResponseWriter
    ) async throws {
        guard let representation = ResponseRepresentation.negotiate(request.head.headers.first(name: "accept")) else {
            try await writer.status(.notAcceptable)
            return
        }
        let options: ListOptions
        switch ListOptions.parse(query, isWatch: info.verb == "watch") {
        case .success(let parsed): options = parsed
        case .failure(let status):
            try await writer.status(status)
            return
        }
        let filter = PodFilter(
            namespace: info.namespace.isEmpty ? nil : info.namespace,
            labels: options.labelSelector,
            fields: options.fieldSelector
        )
        let include = PodTable.IncludeObject(rawValue: query.first("includeObject") ?? "Metadata") ?? .metadata
        if info.verb == "watch" {
            try await watch(
                filter: filter,
                options: options,
                representation: representation,
                include: include,
                writer: writer
            )
            return
        }

        let page: PodListPage
        switch await readPage(filter: filter, options: options) {
        case .success(let read): page = read
        case .failure(let status):
            try await writer.status(status)
            return
        }
        let continueToken = page.continueAfterKey.map {
            ContinueToken(resourceVersion: page.resourceVersion, lastKey: $0).encoded
        }
        switch representation {
        case .object:
            try await writer.respond(
                200,
                headers: ["Content-Type": "application/json"],
                body: APIServer.podList(page, continueToken: continueToken)
            )
        case .table(let version):
            let table = PodTable.table(
                page.items,
                resourceVersion: page.resourceVersion,
                continueToken: continueToken,
                remainingItemCount: page.remainingItemCount,
                include: include,
                version: version
            )
            try await writer.json(200, table)
        case .partialMetadata(let version):
            var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(page.resourceVersion)))]
            if let continueToken { metadata.append(("continue", .string(continueToken))) }
            if let remaining = page.remainingItemCount { metadata.append(("remainingItemCount", .int(remaining))) }
            let items = page.items.map { stored in
                JSONValue.object([
                    ("kind", "PartialObjectMetadata"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                    ("metadata", stored.pod.metadataJSON(resourceVersion: stored.resourceVersion)),
                ])
            }
            try await writer.json(
                200,
                .object([
                    ("kind", "PartialObjectMetadataList"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                    ("metadata", .object(metadata)), ("items", .array(items)),
                ])
            )
        }
    }

    /// Reads one page with the resourceVersion semantics of a list.
    private func readPage(filter: PodFilter, options: ListOptions) async -> Result<PodListPage, KubeStatus> {
        let store = cluster.pods
        if let token = options.continueToken {
            let resourceVersion = token.resourceVersion == -1 ? store.resourceVersion : token.resourceVersion
            switch store.snapshot(at: resourceVersion) {
            case .success(let (keys, pods)):
                return .success(
                    PodStore.page(
                        keys: keys,
                        pods: pods,
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
        let snapshot: (keys: [String], pods: [String: StoredPod], resourceVersion: Int)
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
                case .success(let (keys, pods)): snapshot = (keys, pods, wanted)
                case .failure(.expired):
                    return .failure(.expired("The resourceVersion for the provided list is too old."))
                case .failure(.tooLarge(let current)):
                    return .failure(APIServer.tooLargeResourceVersion(wanted, current: current))
                }
            } else {
                // Not older than `wanted`: wait briefly for the store to catch up, as the watch cache does.
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
            PodStore.page(
                keys: snapshot.keys,
                pods: snapshot.pods,
                resourceVersion: snapshot.resourceVersion,
                filter: filter,
                startAfter: nil,
                limit: limit
            )
        )
    }

    static func tooLargeResourceVersion(_ wanted: Int, current: Int) -> KubeStatus {
        .timeout(
            "Too large resource version: \(wanted), current: \(current)",
            causes: [KubeStatus.Cause(reason: "ResourceVersionTooLarge", message: "Too large resource version")]
        )
    }

    /// The `PodList` body: cached item JSON spliced between the list envelope.
    static func podList(_ page: PodListPage, continueToken: String?) -> ByteBuffer {
        var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(page.resourceVersion)))]
        if let continueToken { metadata.append(("continue", .string(continueToken))) }
        if let remaining = page.remainingItemCount { metadata.append(("remainingItemCount", .int(remaining))) }
        var head = Array(#"{"kind":"PodList","apiVersion":"v1","metadata":"#.utf8)
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
        return buffer
    }

    /// `GET /api/v1/namespaces/NS/pods/NAME`.
    func getPod(_ request: HTTPRequest, info: RequestInfo, writer: ResponseWriter) async throws {
        guard !info.namespace.isEmpty else {
            try await writer.status(.pathNotFound)
            return
        }
        guard let representation = ResponseRepresentation.negotiate(request.head.headers.first(name: "accept")) else {
            try await writer.status(.notAcceptable)
            return
        }
        let found = cluster.pods.state.withLock { $0.pods[info.namespace + "/" + info.name] }
        guard let stored = found else {
            try await writer.status(.notFound(resource: "pods", name: info.name))
            return
        }
        switch representation {
        case .object:
            try await writer.respond(
                200,
                headers: ["Content-Type": "application/json"],
                body: ByteBuffer(bytes: stored.jsonWithTypeMeta)
            )
        case .table(let version):
            try await writer.json(
                200,
                PodTable.table(
                    [stored],
                    resourceVersion: stored.resourceVersion,
                    continueToken: nil,
                    remainingItemCount: nil,
                    include: .metadata,
                    version: version
                )
            )
        case .partialMetadata(let version):
            try await writer.json(
                200,
                .object([
                    ("kind", "PartialObjectMetadata"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                    ("metadata", stored.pod.metadataJSON(resourceVersion: stored.resourceVersion)),
                ])
            )
        }
    }

    private func namespaceJSON(_ name: String, typeMeta: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if typeMeta {
            members.append(("kind", "Namespace"))
            members.append(("apiVersion", "v1"))
        }
        members.append(
            (
                "metadata",
                .object([
                    ("name", .string(name)), ("uid", .string(SimulatedPod.stableUID("namespace/" + name))),
                    ("resourceVersion", "100"), ("creationTimestamp", "2024-01-01T00:00:00Z"),
                    ("labels", .object([("kubernetes.io/metadata.name", .string(name))])),
                ])
            )
        )
        members.append(("spec", .object([("finalizers", .array(["kubernetes"]))])))
        members.append(("status", .object([("phase", "Active")])))
        return .object(members)
    }

    /// `GET /api/v1/namespaces`.
    func listNamespaces(writer: ResponseWriter) async throws {
        let names = cluster.pods.namespaces()
        try await writer.json(
            200,
            .object([
                ("kind", "NamespaceList"), ("apiVersion", "v1"),
                ("metadata", .object([("resourceVersion", .string(String(cluster.pods.resourceVersion)))])),
                ("items", .array(names.map { namespaceJSON($0, typeMeta: false) })),
            ])
        )
    }

    /// `GET /api/v1/namespaces/NS`.
    func getNamespace(_ name: String, writer: ResponseWriter) async throws {
        guard cluster.pods.namespaces().contains(name) else {
            try await writer.status(.notFound(resource: "namespaces", name: name))
            return
        }
        try await writer.json(200, namespaceJSON(name, typeMeta: true))
    }
}
