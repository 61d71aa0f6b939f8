import CrowsnestCore
import CrowsnestKube
import Foundation
import Hummingbird
import KubeSim
import Logging
import NIOCore
import PeerSupport
import Synchronization
import Testing

@testable import CrowsnestGateway

/// A remote-write receiver that answers as scripted (reject, throttle, hang, accept) and records what it got.
final class ScriptedReceiver: Sendable {
    enum Mode: Sendable {
        case accept
        case reject(status: Int)
        case unavailable(retryAfter: Int?)
        case hang
    }

    struct Received: Sendable {
        var at: ContinuousClock.Instant
        var headers: [String: String]
        /// Every series' labels in the body (the reference decoder proves the encoding elsewhere; here our own
        /// parse of the fragments is enough to attribute samples).
        var samples: Int
        var clusters: Set<String>
        /// `MetricMetadata` entries: family name → type number.
        var metadata: [String: Int]
    }

    private let state = Mutex<(mode: Mode, received: [Received])>((.accept, []))

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }
    var received: [Received] { state.withLock { $0.received } }

    private func respond(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let payload = try SnappyBlock.decompress(Array(body.readableBytesView))
        let (samples, clusters, metadata) = Self.summary(payload)
        let mode = state.withLock { state in
            state.received.append(
                Received(at: .now, headers: headers, samples: samples, clusters: clusters, metadata: metadata)
            )
            return state.mode
        }
        switch mode {
        case .accept:
            return Response(status: .noContent)
        case .reject(let status):
            return Response(
                status: HTTPResponse.Status(code: status),
                body: ResponseBody(byteBuffer: ByteBuffer(string: "out of bounds"))
            )
        case .unavailable(let retryAfter):
            var fields = HTTPFields()
            if let retryAfter { fields[.retryAfter] = "\(retryAfter)" }
            return Response(status: .serviceUnavailable, headers: fields)
        case .hang:
            try await Task.sleep(for: .seconds(30))
            return Response(status: .noContent)
        }
    }

    /// Samples in a `WriteRequest` and the `cluster` label values they carry (a minimal protobuf walk).
    static func summary(_ payload: [UInt8]) -> (Int, Set<String>, [String: Int]) {
        var samples = 0
        var clusters = Set<String>()
        var metadata: [String: Int] = [:]
        func fields(_ bytes: ArraySlice<UInt8>) -> [(Int, ArraySlice<UInt8>)] {
            var result: [(Int, ArraySlice<UInt8>)] = []
            var index = bytes.startIndex
            func varint() -> Int {
                var value = 0
                var shift = 0
                while index < bytes.endIndex {
                    let byte = bytes[index]
                    index += 1
                    value |= Int(byte & 0x7F) << shift
                    shift += 7
                    if byte < 0x80 { break }
                }
                return value
            }
            while index < bytes.endIndex {
                let tag = varint()
                switch tag & 7 {
                case 0: _ = varint()
                case 1: index += 8
                case 2:
                    let length = varint()
                    result.append((tag >> 3, bytes[index..<min(index + length, bytes.endIndex)]))
                    index += length
                default: return result
                }
            }
            return result
        }
        for (number, entry) in fields(payload[...]) where number == 3 {
            var name = ""
            var type = 0
            var index = entry.startIndex
            // type (field 1, varint) comes first when set; then the name (field 2).
            if index < entry.endIndex && entry[index] == 0x08 {
                type = Int(entry[index + 1])
                index += 2
            }
            if let (field, text) = fields(entry[index...]).first, field == 2 {
                name = String(decoding: text, as: UTF8.self)
            }
            metadata[name] = type
        }
        for (number, series) in fields(payload[...]) where number == 1 {
            for (field, content) in fields(series) {
                if field == 2 { samples += 1 }
                guard field == 1 else { continue }
                let label = fields(content)
                if label.first.map({ String(decoding: $0.1, as: UTF8.self) }) == "cluster", label.count == 2 {
                    clusters.insert(String(decoding: label[1].1, as: UTF8.self))
                }
            }
        }
        return (samples, clusters, metadata)
    }

    /// Serves on a free loopback port while `body` runs.
    func withRunning<Result: Sendable>(_ body: @Sendable (Int) async throws -> Result) async throws -> Result {
        let router = Router()
        router.post("api/v1/write") { [self] request, _ in try await respond(request) }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "scripted-receiver")
        logger.logLevel = .error
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "receiver"),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while port.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            guard let bound = port.withLock({ $0 }) else {
                group.cancelAll()
                throw HarnessError("scripted receiver did not start listening")
            }
            do {
                let result = try await body(bound)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
