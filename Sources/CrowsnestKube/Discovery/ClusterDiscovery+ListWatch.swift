import AsyncHTTPClient
import CoreMetrics
import CrowsnestCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

extension ClusterDiscovery {
    /// One scope's list+watch loop, until cancelled: the requests of ``DiscoveryScope/StateMachine``, whose
    /// decisions (what next, how long to wait, what to show) this only carries out.
    func runScope(_ scope: DiscoveryScopeID) async {
        var machine = DiscoveryScope.StateMachine(
            backoff: Backoff(initial: options.initialBackoff, maximum: options.maximumBackoff)
        )
        while !Task.isCancelled {
            do throws(KubeClientError) {
                switch machine.next {
                case .list(let condition):
                    if let condition { setCondition(scope, condition) }
                    machine.listed(resourceVersion: try await list(scope))
                case .watch(let resourceVersion):
                    let end = try await watch(scope, from: resourceVersion)
                    countWatchRestart(end.restartReason)
                    if end == .expired {
                        logger.debug("watch expired (410); relisting", metadata: ["crowsnest.scope": "\(scope)"])
                    }
                    try await carryOut(machine.watchEnded(end, latest: latestResourceVersion(scope)), scope: scope)
                }
            } catch {
                if error.code == .cancelled || Task.isCancelled { return }
                countWatchRestart(error.code.description)
                logger.debug("discovery failed; backing off", metadata: ["crowsnest.error": "\(error.message)"])
                do throws(KubeClientError) {
                    try await carryOut(machine.failed(error, latest: latestResourceVersion(scope)), scope: scope)
                } catch {
                    return
                }
            }
        }
    }

    /// The newest resourceVersion the scope's events carried.
    func latestResourceVersion(_ scope: DiscoveryScopeID) -> String? {
        store.withLock { $0.scopes[scope]?.resourceVersion }
    }

    /// Counts a relist, shows the condition, waits.
    func carryOut(
        _ reaction: DiscoveryScope.StateMachine.Reaction,
        scope: DiscoveryScopeID
    ) async throws(KubeClientError) {
        if reaction.relist {
            mutate { store in
                store.relists += 1
                return true
            }
        }
        if let condition = reaction.condition { setCondition(scope, condition) }
        if let wait = reaction.wait { try await sleep(wait) }
    }

    /// Counts one end of a list or watch that the loop follows with a new one.
    func countWatchRestart(_ reason: String) {
        Counter(
            label: OwnMetric.watchRestarts.name,
            dimensions: [("cluster", cluster), ("reason", reason)],
            factory: client.metricsFactory
        ).increment()
    }

    func sleep(_ duration: Duration) async throws(KubeClientError) {
        do { try await Task.sleep(for: duration) } catch {
            throw KubeClientError(.cancelled, cluster: cluster, "discovery of cluster \(cluster) was cancelled")
        }
    }

    /// The selectors sent with a scope's lists and watches: the pod selectors of `discovery:` for pods,
    /// `nodes.label_selector` for nodes, none for Services and EndpointSlices.
    func selectorQuery(_ resource: DiscoveredResource) -> [String] {
        var items: [String] = []
        let discovery = client.config.discovery
        switch resource {
        case .pods: break
        case .nodes:
            let selector = client.config.nodes.labelSelector
            if !selector.isEmpty { items.append("labelSelector=" + ProxyPath.encode(selector.text)) }
            return items
        case .services, .endpointSlices: return items
        }
        if !discovery.labelSelector.isEmpty {
            items.append("labelSelector=" + ProxyPath.encode(discovery.labelSelector.text))
        }
        if !discovery.fieldSelector.text.isEmpty {
            items.append("fieldSelector=" + ProxyPath.encode(discovery.fieldSelector.text))
        }
        return items
    }

    /// A paged list; replaces the scope's objects at once when the last page arrived. Returns the list's
    /// resourceVersion.
    func list(_ scope: DiscoveryScopeID) async throws(KubeClientError) -> String {
        var objects: [String: DiscoveredObject] = [:]
        var continueToken: String?
        var resourceVersion = ""
        var pages = 0
        let decoder = JSONDecoder()
        repeat {
            var query = ["limit=\(options.pageSize)"] + selectorQuery(scope.resource)
            if let continueToken { query.append("continue=" + ProxyPath.encode(continueToken)) }
            let path = scope.resource.path(namespace: scope.namespace)
            let body = try await fetch(path, query: query.joined(separator: "&"))
            let page: Page
            do {
                page = try decodePage(scope.resource, Data(body.readableBytesView), decoder: decoder)
            } catch {
                throw KubeClientError(
                    .badResponse,
                    cluster: cluster,
                    "cluster \(cluster) answered a list of \(scope.resource.noun) with JSON that is not such a list"
                )
            }
            for (key, object) in page.objects { objects[key] = object }
            resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
            continueToken = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
            pages += 1
        } while continueToken != nil && pages < 100_000
        let version = resourceVersion
        mutate { store in
            store.scopes[scope]?.objects = objects
            store.scopes[scope]?.resourceVersion = version
            store.scopes[scope]?.listed = true
            store.lastEventTime = Date()
            return true
        }
        return resourceVersion
    }

    /// GETs a JSON response's body; a non-200 status becomes a `KubeClientError` from its `Status`.
    func fetch(_ path: String, query: String) async throws(KubeClientError) -> ByteBuffer {
        let deadline = NIODeadline.after(options.listTimeout)
        let response = try await client.get(
            path: path,
            query: query,
            headers: ["Accept": "application/json"],
            deadline: deadline
        )
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 512 << 20)
        } catch {
            throw client.classify(error)
        }
        guard response.status == .ok else { throw statusError(response.status, body: body, headers: response.headers) }
        return body
    }

    func statusError(_ status: HTTPResponseStatus, body: ByteBuffer, headers: HTTPHeaders) -> KubeClientError {
        let decoded = try? JSONDecoder().decode(StatusJSON.self, from: Data(body.readableBytesView))
        let retryAfter = KubeClusterClient.retryAfterSeconds(headers) ?? decoded?.details?.retryAfterSeconds
        let code: KubeClientError.Code =
            switch status.code {
            case 401: .unauthorized
            case 403: .forbidden
            case 404: .notFound
            case 410: .expired
            case 429: .tooManyRequests
            case 500...599: .serverError
            default: .badResponse
            }
        let detail = decoded?.message.map { ": " + String($0.prefix(300)) } ?? ""
        return KubeClientError(
            code,
            cluster: cluster,
            "cluster \(cluster) answered \(status.code)\(detail)",
            status: Int(status.code),
            retryAfterSeconds: retryAfter
        )
    }

    /// One watch from `resourceVersion`, applying events as they come, until the server ends it.
    func watch(
        _ scope: DiscoveryScopeID,
        from resourceVersion: String
    ) async throws(KubeClientError) -> DiscoveryScope.StateMachine.WatchEnd {
        let timeout = Int.random(in: options.watchTimeoutSeconds)
        let query =
            [
                "watch=1", "resourceVersion=" + ProxyPath.encode(resourceVersion), "allowWatchBookmarks=true",
                "timeoutSeconds=\(timeout)",
            ] + selectorQuery(scope.resource)
        let started = ContinuousClock.now
        let deadline = NIODeadline.now() + .seconds(Int64(timeout) + 30)
        let response = try await client.get(
            path: scope.resource.path(namespace: scope.namespace),
            query: query.joined(separator: "&"),
            headers: ["Accept": "application/json"],
            deadline: deadline
        )
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            throw statusError(response.status, body: body, headers: response.headers)
        }
        // Watching once the server accepted the watch, not before: a retry whose watch is refused stays failing.
        setCondition(scope, .watching)
        var splitter = LineSplitter()
        var events = 0
        let decoder = JSONDecoder()
        do {
            for try await chunk in response.body {
                for line in try splitter.append(chunk) {
                    events += 1
                    if try apply(line, scope: scope, decoder: decoder) { return .expired }
                }
            }
            if let last = splitter.finish() {
                events += 1
                if try apply(last, scope: scope, decoder: decoder) { return .expired }
            }
        } catch let error as KubeClientError {
            throw error
        } catch {
            // A cut stream: resume from the last resourceVersion seen (no relist needed).
            if Task.isCancelled {
                throw KubeClientError(.cancelled, cluster: cluster, "discovery of cluster \(cluster) was cancelled")
            }
            if events > 0 { return .closed(events: events, duration: ContinuousClock.now - started) }
            throw client.classify(error)
        }
        return .closed(events: events, duration: ContinuousClock.now - started)
    }

    /// Applies one watch event; returns true for 410 Gone.
    func apply(_ line: [UInt8], scope: DiscoveryScopeID, decoder: JSONDecoder) throws(KubeClientError) -> Bool {
        let data = Data(line)
        if Self.isErrorEvent(line) {
            let event = try? decoder.decode(StatusWatchEvent.self, from: data)
            if event?.object.code == 410 || event?.object.reason == "Expired" || event?.object.reason == "Gone" {
                return true
            }
            let message = event?.object.message.map { String($0.prefix(300)) } ?? "an unreadable error"
            throw KubeClientError(
                .badResponse,
                cluster: cluster,
                "watch on cluster \(cluster) failed: \(message)",
                status: event?.object.code
            )
        }
        let event: Event
        do {
            event = try decodeEvent(scope.resource, data, decoder: decoder)
        } catch {
            throw KubeClientError(
                .badResponse,
                cluster: cluster,
                "cluster \(cluster) sent a watch event that is not JSON"
            )
        }
        let version = event.resourceVersion
        let now = Date()
        let podsAlone = podsAlone
        switch event.type {
        case "BOOKMARK":
            mutate { store in
                if let version { store.scopes[scope]?.resourceVersion = version }
                store.lastEventTime = now
                return false
            }
        case "ADDED", "MODIFIED", "DELETED":
            guard let (key, object) = event.object else { return false }
            let result = event.type == "DELETED" ? nil : object
            mutate { store in
                if let version { store.scopes[scope]?.resourceVersion = version }
                store.lastEventTime = now
                let old = store.scopes[scope]?.objects[key]
                store.scopes[scope]?.objects[key] = result
                // Only a change that can change targets or refusals (or an object appearing or going) is worth an
                // update.
                return DiscoveredObject.changesTargets(from: old, to: result, podsAlone: podsAlone)
            }
        default:
            break
        }
        return false
    }

    static func isErrorEvent(_ line: [UInt8]) -> Bool {
        // `"type":"ERROR"` near the start (the API server writes `type` first); a cheap test before decoding.
        let needle = Array(#""ERROR""#.utf8)
        let prefix = line.prefix(64)
        guard prefix.count >= needle.count else { return false }
        for start in 0...(prefix.count - needle.count)
        where prefix[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
