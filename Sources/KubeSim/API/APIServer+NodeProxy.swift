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
        guard let (_, name, port) = Self.splitSchemeNamePort(info.name) else {
            try await writer.status(.badRequest("invalid node request \"\(info.name)\""))
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
        guard let forwardedPath = try await forwardedPath(request, context: context, proxyIndex: 4, writer: writer)
        else { return }
        // The kubelet sees the path decoded once, as Go's server does.
        let kubeletPath = PercentDecoding.decode(Substring(forwardedPath)) ?? forwardedPath

        let forwarded = [("Host", hostPort)] + Self.forwardedHeaders(request)
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
