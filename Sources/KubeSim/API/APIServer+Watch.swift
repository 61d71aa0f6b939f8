import Foundation
import NIOCore
import NIOHTTP1

extension APIServer {
    /// A watch: HTTP 200 with a chunked stream of newline-terminated JSON events.
    ///
    /// Chunk boundaries are deliberately not event boundaries: the initial burst is cut into odd-sized chunks
    /// and each later event is split in two chunks, so clients must buffer and split on newlines.
    func watch(
        filter: PodFilter,
        options: ListOptions,
        representation: ResponseRepresentation,
        include: PodTable.IncludeObject,
        writer: ResponseWriter
    ) async throws {
        let store = cluster.pods
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
            try await writeExpired(
                requested: requested ?? store.resourceVersion,
                oldest: store.resourceVersion,
                writer: writer
            )
            return
        }
        let subscription: WatchSubscription
        switch store.subscribe(filter: filter, start: start) {
        case .success(let subscribed): subscription = subscribed
        case .failure(.expired(let oldest)):
            try await writer.head(200, headers: headers)
            try await writeExpired(requested: requested ?? 0, oldest: oldest, writer: writer)
            return
        case .failure(.tooLarge):
            try await writer.status(.internalError("unexpected resourceVersion state"))
            return
        }
        defer { store.unsubscribe(subscription.id) }

        try await writer.head(200, headers: headers)
        let encoder = WatchEventEncoder(representation: representation, include: include)

        // The initial burst, cut into chunks that straddle event boundaries.
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
                case .deadline:
                    break signals
                case .drop(.endStream):
                    break signals
                case .drop(.resetConnection):
                    reset = true
                    break signals
                case .clientClosed:
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

    private func writeExpired(requested: Int, oldest: Int, writer: ResponseWriter) async throws {
        let status = KubeStatus.expired("too old resource version: \(requested) (\(oldest))")
        var bytes = Array(#"{"type":"ERROR","object":"#.utf8)
        status.json.encode(into: &bytes)
        bytes.append(contentsOf: "}\n".utf8)
        try await WatchEventEncoder.writeSplit(bytes, to: writer)
        try await writer.end()
    }
}

/// Renders watch events for one watch's representation.
struct WatchEventEncoder {
    var representation: ResponseRepresentation
    var include: PodTable.IncludeObject

    /// `{"type":"ADDED","object":{…}}\n`
    func event(_ type: WatchEventType, _ object: StoredPod) -> [UInt8] {
        var bytes = Array(#"{"type":""#.utf8)
        bytes.append(contentsOf: type.rawValue.utf8)
        bytes.append(contentsOf: #"","object":"#.utf8)
        switch representation {
        case .object:
            bytes.append(contentsOf: object.jsonWithTypeMeta)
        case .table(let version):
            PodTable.table(
                [object],
                resourceVersion: object.resourceVersion,
                continueToken: nil,
                remainingItemCount: nil,
                include: include,
                version: version
            )
            .encode(into: &bytes)
        case .partialMetadata(let version):
            JSONValue.object([
                ("kind", "PartialObjectMetadata"), ("apiVersion", .string("meta.k8s.io/\(version)")),
                ("metadata", object.pod.metadataJSON(resourceVersion: object.resourceVersion)),
            ]).encode(into: &bytes)
        }
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    /// `{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"…"}}}\n`
    func bookmark(resourceVersion: Int, initialEventsEnd: Bool) -> [UInt8] {
        var metadata: [(String, JSONValue)] = [("resourceVersion", .string(String(resourceVersion)))]
        if initialEventsEnd { metadata.append(("annotations", .object([("k8s.io/initial-events-end", "true")]))) }
        var bytes = Array(#"{"type":"BOOKMARK","object":"#.utf8)
        JSONValue.object([("kind", "Pod"), ("apiVersion", "v1"), ("metadata", .object(metadata))]).encode(into: &bytes)
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    /// Writes `bytes` in chunks of varying odd sizes (never aligned to events).
    static func writeMisaligned(_ bytes: [UInt8], to writer: ResponseWriter) async throws {
        guard !bytes.isEmpty else { return }
        let sizes = [997, 61, 4093, 1531, 7]
        var parts: [ByteBuffer] = []
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let size = min(sizes[index % sizes.count], bytes.count - offset)
            parts.append(ByteBuffer(bytes: bytes[offset..<offset + size]))
            offset += size
            index += 1
        }
        for part in parts { try await writer.body(part) }
    }

    /// Writes one event as two chunks, split inside the JSON.
    static func writeSplit(_ bytes: [UInt8], to writer: ResponseWriter) async throws {
        guard bytes.count > 2 else {
            try await writer.body(ByteBuffer(bytes: bytes))
            return
        }
        let cut = max(1, bytes.count / 3)
        try await writer.body(ByteBuffer(bytes: bytes[0..<cut]))
        try await writer.body(ByteBuffer(bytes: bytes[cut...]))
    }
}
