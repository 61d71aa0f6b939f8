import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One accepted HTTP/1.1 connection.
typealias HTTPConnectionChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

/// A loopback HTTP(S) listener that can be stopped and started again on the same port while its `run()` is
/// active, and that closes every connection it accepted when stopped or cancelled.
final class HTTPListener: Sendable {
    private enum Phase {
        case idle
        case listening(port: Int, channel: any Channel)
        case stopped(port: Int)
        case finished
    }

    private struct State {
        var phase: Phase = .idle
        var requestedPort: Int
        var connections: [ObjectIdentifier: any Channel] = [:]
        var waiters: [CheckedContinuation<Int, any Error>] = []
        var stopRequested = false
        /// Set by ``shutDown()``: the run ends once the accepted connections are drained.
        var shutdownRequested = false
        /// Wakes the current run when it waits, stopped, for ``resume()`` (or ``shutDown()``); one per run, so
        /// that a signal left over from one run never restarts the next.
        var resumeSignal: AsyncStream<Void>.Continuation?
        /// The port of the first bind, kept after shutdown.
        var boundPort: Int?
    }

    let host: String
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup
    private let state: Mutex<State>

    init(
        host: String,
        port: Int,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.tlsContext = tlsContext
        self.group = group
        self.state = Mutex(State(requestedPort: port))
    }

    /// The bound port, once bound (kept while stopped, so a restart reuses it, and after shutdown).
    var port: Int? { state.withLock { $0.boundPort } }

    /// Whether the listener accepts connections now.
    var isListening: Bool {
        state.withLock { if case .listening = $0.phase { return true } else { return false } }
    }

    /// How many connections are open.
    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Accepts connections, handing each to `handler` in its own child task, until cancelled. Between a
    /// ``stop()`` and a ``resume()`` nothing listens on the port.
    func run(_ handler: @escaping @Sendable (HTTPConnectionChannel) async -> Void) async throws {
        let (resumeSignals, resumeSignal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let startable = state.withLock { state -> Bool in
            switch state.phase {
            case .idle, .finished:
                state.phase = .idle
                state.stopRequested = false
                state.shutdownRequested = false
                state.resumeSignal = resumeSignal
                return true
            case .listening, .stopped:
                return false
            }
        }
        guard startable else { throw KubeSimError(.invalid, "the listener on \(host) is already running") }
        defer { finish() }
        try await withThrowingDiscardingTaskGroup { group in
            var resumes = resumeSignals.makeAsyncIterator()
            do {
                while !Task.isCancelled {
                    let server = try await bind()
                    let bound = server.channel.localAddress?.port ?? 0
                    markListening(port: bound, channel: server.channel)
                    do {
                        try await withTaskCancellationHandler {
                            try await server.executeThenClose { inbound in
                                for try await connection in inbound {
                                    let channel = connection.channel
                                    guard register(channel) else {
                                        // Accepted while stopping: closed through the async channel, so that
                                        // its writer is finished (NIO traps on one dropped unfinished).
                                        try? await connection.executeThenClose { _, _ in }
                                        continue
                                    }
                                    group.addTask {
                                        await handler(connection)
                                        self.unregister(channel)
                                    }
                                }
                            }
                        } onCancel: {
                            server.channel.close(promise: nil)
                        }
                    } catch {
                        if !Task.isCancelled, !state.withLock({ $0.stopRequested }) { throw error }
                    }
                    markStopped()
                    closeAllConnections()
                    if Task.isCancelled || state.withLock({ $0.shutdownRequested }) { break }
                    guard await resumes.next() != nil else { break }
                    if state.withLock({ $0.shutdownRequested }) { break }
                }
            } catch {
                closeAllConnections()
                throw error
            }
            closeAllConnections()
        }
    }

    /// Resets a finished listener so that a ``waitUntilListening()`` issued before the next ``run(_:)`` starts
    /// waits for that run instead of failing at once.
    func prepareForRun() {
        state.withLock { state in
            if case .finished = state.phase { state.phase = .idle }
        }
    }

    /// Waits until the listener is bound and returns its port.
    func waitUntilListening() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { state in
                switch state.phase {
                case .listening(let port, _): continuation.resume(returning: port)
                case .finished: continuation.resume(throwing: KubeSimError(.notRunning, "the listener has finished"))
                case .idle, .stopped: state.waiters.append(continuation)
                }
            }
        }
    }

    /// Closes the listening socket and every open connection (clients then see connection refused).
    func stop() {
        let (listener, connections) = state.withLock { state -> ((any Channel)?, [any Channel]) in
            state.stopRequested = true
            var listener: (any Channel)?
            if case .listening(let port, let channel) = state.phase {
                listener = channel
                state.phase = .stopped(port: port)
            }
            let connections = Array(state.connections.values)
            return (listener, connections)
        }
        listener?.close(promise: nil)
        for connection in connections { HTTPListener.reset(connection) }
    }

    /// Ends ``run(_:)`` gracefully: stops listening, lets the accept loop drain the connections already accepted
    /// (each closed properly), closes every open connection, and returns from `run` once their handlers are done.
    /// Unlike cancelling `run`, no accepted connection is dropped mid-flight.
    func shutDown() {
        state.withLock { $0.shutdownRequested = true }
        stop()
        state.withLock { $0.resumeSignal }?.yield(())  // wakes a run waiting, stopped, for a resume
    }

    /// Listens again on the same port after ``stop()``; returns the port.
    func resume() async throws -> Int {
        state.withLock { $0.resumeSignal }?.yield(())
        return try await waitUntilListening()
    }

    /// Closes every open connection abruptly (RST), leaving the listener up.
    func resetAllConnections() {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { HTTPListener.reset(connection) }
    }

    /// Closes `channel` with SO_LINGER 0, so the peer sees a reset rather than a clean close.
    static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: - Private

    private func bind() async throws -> NIOAsyncChannel<HTTPConnectionChannel, Never> {
        let port = state.withLock { state -> Int in
            switch state.phase {
            case .stopped(let port): return port
            default: return state.requestedPort
            }
        }
        let tlsContext = self.tlsContext
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 512)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try HTTPConnectionChannel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw KubeSimError(.io, "cannot listen on \(host):\(port): \(error)")
        }
    }

    private func markListening(port: Int, channel: any Channel) {
        let waiters = state.withLock { state in
            state.phase = .listening(port: port, channel: channel)
            state.requestedPort = port
            state.boundPort = port
            state.stopRequested = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func markStopped() {
        state.withLock { state in
            if case .listening(let port, _) = state.phase { state.phase = .stopped(port: port) }
        }
    }

    private func finish() {
        let waiters = state.withLock { state in
            state.phase = .finished
            state.resumeSignal?.finish()
            state.resumeSignal = nil
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: KubeSimError(.notRunning, "the listener has finished")) }
    }

    private func register(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard case .listening = state.phase, !state.stopRequested else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private func unregister(_ channel: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    private func closeAllConnections() {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { connection.close(promise: nil) }
    }
}
