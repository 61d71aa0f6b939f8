import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension APIServer {
    /// Hop-by-hop headers, never forwarded in either direction.
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
        "transfer-encoding", "upgrade",
    ]

    /// `/api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy[/PATH]`: forwards to the pod's backend.
    func proxy(_ request: HTTPRequest, info: RequestInfo, context: RequestContext, writer: ResponseWriter) async throws
    {
        guard let (scheme, name, requestedPort) = Self.splitSchemeNamePort(info.name) else {
            try await writer.status(.badRequest("invalid pod request \"\(info.name)\""))
            return
        }
        var port = requestedPort
        guard let pod = cluster.pods.get(namespace: info.namespace, name: name) else {
            try await writer.status(.notFound(resource: "pods", name: name))
            return
        }
        if port.isEmpty, let first = pod.defaultPort { port = String(first) }
        guard let podIP = pod.podIP, !podIP.isEmpty else {
            try await writer.status(.badRequest("address not allowed"))
            return
        }
        let effectiveScheme = scheme.isEmpty ? "http" : scheme

        // The part of the raw path after `.../proxy`, still encoded, and the query, verbatim.
        // Segments: api, v1, namespaces, NS, pods, ID, proxy, PATH...
        let proxyIndex = 6
        guard
            let forwardedPath = try await forwardedPath(
                request,
                context: context,
                proxyIndex: proxyIndex,
                writer: writer
            )
        else { return }

        let hostPort = port.isEmpty ? podIP : (podIP.contains(":") ? "[\(podIP)]:\(port)" : "\(podIP):\(port)")
        guard let portNumber = port.isEmpty ? (effectiveScheme == "https" ? 443 : 80) : Int(port) else {
            try await writer.status(
                .serviceUnavailable("error trying to reach service: dial tcp: lookup tcp/\(port): unknown port")
            )
            return
        }
        let dialError = "error trying to reach service: dial tcp \(hostPort): connect: connection refused"
        let backend = pod.backends[portNumber] ?? .refused

        // The request the pod sees: no Authorization, X-Forwarded-* added, everything else passed.
        var forwarded = Self.forwardedHeaders(request)
        forwarded.append(("X-Forwarded-Host", request.head.headers.first(name: "host") ?? ""))
        forwarded.append(("X-Forwarded-Proto", "https"))
        forwarded.append(("X-Forwarded-Uri", request.uri))
        let proxyPrefix = "/" + context.rawSegments[...proxyIndex].joined(separator: "/")

        switch backend {
        case .refused:
            try await writer.status(.serviceUnavailable(dialError))
        case .exporter(let exporter):
            let exporterRequest = ExporterRequest(
                method: request.method,
                path: forwardedPath,
                query: request.rawQuery,
                headers: [("Host", hostPort)] + forwarded
            )
            let response = exporter.respond(to: exporterRequest)
            try await response.write(
                to: writer,
                method: request.method,
                rewriteLocation: { APIServer.rewriteLocation($0, podAddresses: [hostPort], proxyPrefix: proxyPrefix) },
                resetStatus: .serviceUnavailable(
                    "error trying to reach service: read tcp \(hostPort): read: connection reset by peer"
                )
            )
        case .address(let host, let backendPort):
            let target =
                "\(effectiveScheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(backendPort)"
            var upstreamRequest = HTTPClientRequest(
                url: target + forwardedPath + (request.rawQuery.map { "?" + $0 } ?? "")
            )
            upstreamRequest.method = HTTPMethod(rawValue: request.method)
            for (headerName, value) in forwarded { upstreamRequest.headers.add(name: headerName, value: value) }
            if request.body.readableBytes > 0 { upstreamRequest.body = .bytes(request.body) }
            let response: HTTPClientResponse
            do {
                response = try await upstream.execute(upstreamRequest, timeout: .hours(24))
            } catch {
                try await writer.status(.serviceUnavailable(dialError))
                return
            }
            var headers = HTTPHeaders()
            for (headerName, value) in response.headers
            where !APIServer.hopByHopHeaders.contains(headerName.lowercased()) {
                if headerName.lowercased() == "location" {
                    headers.add(
                        name: headerName,
                        value: APIServer.rewriteLocation(
                            value,
                            podAddresses: [hostPort, "\(host):\(backendPort)"],
                            proxyPrefix: proxyPrefix
                        )
                    )
                } else {
                    headers.add(name: headerName, value: value)
                }
            }
            try await writer.head(Int(response.status.code), headers: headers, apiServerHeaders: false)
            do {
                for try await chunk in response.body {
                    try await writer.body(chunk)
                }
            } catch {
                // The pod broke off mid-body: the API server aborts the response too.
                HTTPListener.reset(writer.channel)
                return
            }
            try await writer.end()
        }
    }

    /// Rewrites a redirect that points at the pod itself (or is path-absolute) to go through the proxy.
    static func rewriteLocation(_ location: String, podAddresses: [String], proxyPrefix: String) -> String {
        if location.hasPrefix("/"), !location.hasPrefix("//") {
            return proxyPrefix + location
        }
        for scheme in ["http://", "https://"] where location.hasPrefix(scheme) {
            let rest = location.dropFirst(scheme.count)
            let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let host = String(rest[..<hostEnd])
            if podAddresses.contains(host) {
                let path = rest[hostEnd...]
                return proxyPrefix + (path.hasPrefix("/") ? String(path) : "/" + path)
            }
        }
        return location
    }

    /// An RFC 7231 date.
    static func httpDate(_ date: Date) -> String {
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let seconds = Int(date.timeIntervalSince1970)
        let day = days[(seconds / 86_400) % 7]
        let stamp = RFC3339.format(date)  // YYYY-MM-DDTHH:MM:SSZ
        let chars = Array(stamp)
        let month = months[(Int(String(chars[5..<7])) ?? 1) - 1]
        return "\(day), \(String(chars[8..<10])) \(month) \(String(chars[0..<4])) \(String(chars[11..<19])) GMT"
    }
}
