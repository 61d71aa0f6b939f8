import Foundation
import NIOCore
import NIOHTTP1

extension ExporterResponse {
    /// Writes the response on a connection: directly (an exporter on its own port) or through the pod proxy.
    ///
    /// - Parameters:
    ///   - rewriteLocation: applied to a `Location` header (the proxy points redirects back through itself).
    ///   - resetStatus: what to answer instead of resetting the connection (the API server turns a pod's reset
    ///     into a 503 Status); nil resets the connection.
    func write(
        to writer: ResponseWriter,
        method: String,
        rewriteLocation: (String) -> String = { $0 },
        resetStatus: KubeStatus? = nil
    ) async throws {
        if delay > .zero { try await Task.sleep(for: delay) }
        var headers = HTTPHeaders()
        for (name, value) in self.headers {
            headers.add(name: name, value: name.lowercased() == "location" ? rewriteLocation(value) : value)
        }
        headers.replaceOrAdd(name: "Date", value: APIServer.httpDate(Date()))
        switch body {
        case .bytes(let body):
            if !headers.contains(name: "Content-Length") {
                headers.add(name: "Content-Length", value: String(body.readableBytes))
            }
            try await writer.head(status, headers: headers, apiServerHeaders: false)
            if method != "HEAD" { try await writer.body(body) }
            try await writer.end()
        case .trickle(var body, let chunkBytes, let interval):
            try await writer.head(status, headers: headers, apiServerHeaders: false)
            while body.readableBytes > 0 {
                let piece = body.readSlice(length: min(chunkBytes, body.readableBytes))!
                try await writer.body(piece)
                if body.readableBytes > 0 { try await Task.sleep(for: interval) }
            }
            try await writer.end()
        case .hang:
            // Nothing is sent; the request ends when the client (or the shutdown) closes the connection.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                writer.channel.closeFuture.whenComplete { _ in continuation.resume() }
            }
        case .reset:
            if let resetStatus {
                try await writer.status(resetStatus)
            } else {
                HTTPListener.reset(writer.channel)
            }
        case .truncated(let part):
            try await writer.head(status, headers: headers, apiServerHeaders: false)
            try await writer.body(part)
            HTTPListener.reset(writer.channel)
        }
    }
}
