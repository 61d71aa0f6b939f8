import Foundation
import NIOCore
import NIOHTTP1

extension APIServer {
    /// `/api/v1/nodes/[SCHEME:]NAME[:PORT]/proxy[/PATH]`: forwards to the node's simulated kubelet, as the node
    /// registry's `ResourceLocation` does: the kubelet port (from `status.daemonEndpoints`) unless another port is
    /// asked for, the node's preferred address, and nothing but the kubelet is ever reached.
    func nodeProxy(
        _ request: HTTPRequest,
        info: RequestInfo,
        context: RequestContext,
        writer: ResponseWriter
    )
        async throws
    {
        // utilnet.SplitSchemeNamePort
        let id = info.name
        let pieces = id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var scheme = ""
        var name = ""
        var port = ""
        switch pieces.count {
        case 1: name = pieces[0]
        case 2: (name, port) = (pieces[0], pieces[1])
        case 3: (scheme, name, port) = (pieces[0], pieces[1], pieces[2])
        default: break
        }
        guard !name.isEmpty, ["", "http", "https"].contains(scheme) else {
            try await writer.status(.badRequest("invalid node request \"\(id)\""))
            return
        }
        guard let node = cluster.nodes.get(name) else {
            try await writer.status(.notFound(resource: "nodes", name: name))
            return
        }
        guard let address = node.preferredAddress else {
            // GetPreferredNodeAddress's NoMatchError: not an API status, so a 500 without reason.
            let known = node.addresses.map { "{\($0.type) \($0.address)}" }.joined(separator: " ")
            try await writer.status(
                KubeStatus(code: 500, reason: "", message: "no preferred addresses found; known addresses: [\(known)]")
            )
            return
        }
        let kubeletPort = String(node.kubeletPort)
        let targetPort = port.isEmpty ? kubeletPort : port
        let hostPort = address.contains(":") ? "[\(address)]:\(targetPort)" : "\(address):\(targetPort)"
        guard Int(targetPort).map({ $0 > 0 && $0 < 65536 }) == true else {
            try await writer.status(
                .serviceUnavailable("error trying to reach service: dial tcp: lookup tcp/\(targetPort): unknown port")
            )
            return
        }
        guard targetPort == kubeletPort else {
            // Another port on the node: nothing of the simulator listens there.
            try await writer.status(
                .serviceUnavailable("error trying to reach service: dial tcp \(hostPort): connect: connection refused")
            )
            return
        }

        // Segments: api, v1, nodes, ID, proxy, PATH...
        let proxyIndex = 4
        guard context.rawSegments.count > proxyIndex, context.rawSegments[proxyIndex] == "proxy" else {
            try await writer.status(.pathNotFound)
            return
        }
        var forwardedPath = "/" + context.rawSegments[(proxyIndex + 1)...].joined(separator: "/")
        let endsWithSlash = request.rawPath.hasSuffix("/")
        if proxyIndex + 1 == context.rawSegments.count {
            if !endsWithSlash, request.method == "GET" || request.method == "HEAD" {
                var headers = HTTPHeaders()
                headers.add(name: "Location", value: request.rawPath + "/" + (request.rawQuery.map { "?" + $0 } ?? ""))
                try await writer.respond(301, headers: headers, body: ByteBuffer())
                return
            }
            forwardedPath = "/"
        } else if endsWithSlash {
            forwardedPath += "/"
        }
        // The kubelet sees the path decoded once, as Go's server does.
        let kubeletPath = PercentDecoding.decode(Substring(forwardedPath)) ?? forwardedPath

        var forwarded: [(String, String)] = [("Host", hostPort)]
        for (headerName, value) in request.head.headers {
            let lower = headerName.lowercased()
            if lower == "authorization" || lower == "host" || APIServer.hopByHopHeaders.contains(lower) { continue }
            if lower.hasPrefix("x-forwarded-") || lower.hasPrefix("impersonate-") { continue }
            forwarded.append((headerName, value))
        }
        forwarded.append(("X-Forwarded-For", request.remoteAddress))
        let kubeletRequest = ExporterRequest(
            method: request.method,
            path: kubeletPath,
            query: request.rawQuery,
            headers: forwarded
        )
        let pods = cluster.pods
        let generation = pods.resourceVersion &* 31 &+ cluster.nodes.resourceVersion
        switch node.kubelet.respond(to: kubeletRequest, node: node, generation: generation, pods: { pods.all() }) {
        case .unreachable(let reason, let after):
            if after > .zero { try await Task.sleep(for: after) }
            try await writer.status(
                .serviceUnavailable("error trying to reach service: dial tcp \(hostPort): \(reason)")
            )
        case .response(let response):
            try await response.write(to: writer, method: request.method)
        }
    }
}
