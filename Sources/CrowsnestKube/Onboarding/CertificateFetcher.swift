import Crypto
public import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftASN1
import Synchronization
import X509

/// One certificate a TLS server presented, parsed for people: subject, issuer, validity, SHA-256 fingerprint, PEM.
public struct PresentedCertificate: Sendable, Hashable {
    /// The DER bytes, as presented.
    public var derBytes: [UInt8]
    /// The subject, RFC 4514 style (`CN=kube-apiserver`).
    public var subject: String
    /// The issuer, RFC 4514 style.
    public var issuer: String
    /// Valid from.
    public var notValidBefore: Date
    /// Valid until.
    public var notValidAfter: Date
    /// Whether it is a CA certificate (basic constraints `CA:TRUE`).
    public var isCertificateAuthority: Bool
    /// Whether it is self-signed (issuer = subject and its own key verifies its signature): a root.
    public var isSelfSigned: Bool
    /// The subject alternative names as `DNS:name` / `IP:address` / other, in certificate order.
    public var subjectAlternativeNames: [String]

    /// Parses a DER certificate.
    public init(derBytes: [UInt8]) throws(CertificateFetchError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: derBytes)
        } catch {
            throw CertificateFetchError(.invalidCertificate, "the server presented a certificate that does not parse")
        }
        self.derBytes = derBytes
        self.subject = certificate.subject.description
        self.issuer = certificate.issuer.description
        self.notValidBefore = certificate.notValidBefore
        self.notValidAfter = certificate.notValidAfter
        var isCA = false
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { isCA = true }
        self.isCertificateAuthority = isCA
        self.isSelfSigned =
            certificate.subject == certificate.issuer
            && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        var names: [String] = []
        if let sans = try? certificate.extensions.subjectAlternativeNames {
            for name in sans {
                switch name {
                case .dnsName(let dns): names.append("DNS:\(dns)")
                case .ipAddress(let octets): names.append("IP:\(Self.ipText(Array(octets.bytes)))")
                case .uniformResourceIdentifier(let uri): names.append("URI:\(uri)")
                case .rfc822Name(let mail): names.append("email:\(mail)")
                default: names.append(String(describing: name))
                }
            }
        }
        self.subjectAlternativeNames = names
    }

    /// The certificate, parsed again (for signature and name checks).
    var parsed: Certificate? { try? Certificate(derEncoded: derBytes) }

    /// One PEM certificate, parsed; `nil` when it does not parse.
    static func parse(pem: String) -> Certificate? { try? Certificate(pemEncoded: pem) }

    /// The SHA-256 fingerprint of the DER bytes as `openssl x509 -fingerprint -sha256` prints it: `AA:BB:…`.
    public var sha256Fingerprint: String {
        SHA256.hash(data: derBytes).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`, 64-column base64, newline-terminated).
    public var pem: String {
        let body = Data(derBytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
    }

    /// Whether it can anchor trust as `tls.ca_file`: a CA certificate, or a self-signed one.
    public var canBeTrustAnchor: Bool { isCertificateAuthority || isSelfSigned }

    static func ipText(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.count == 16 {
            var groups: [String] = []
            for index in stride(from: 0, to: 16, by: 2) {
                groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
            }
            return groups.joined(separator: ":")
        }
        return bytes.map { String($0, radix: 16) }.joined(separator: ":")
    }
}

/// Why fetching a server's certificates failed. `code` is bounded (safe as a metric label); `message` says what to do.
public struct CertificateFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The endpoint text is not `https://HOST[:PORT]` or `HOST:PORT`.
        case invalidEndpoint
        /// The TCP connection failed (refused, unreachable, DNS).
        case connectionFailed
        /// The TLS handshake failed (not TLS, protocol mismatch).
        case handshakeFailed
        /// Connecting or the handshake took longer than the timeout.
        case timedOut
        /// The server presented no certificate, or one that does not parse.
        case invalidCertificate
        /// The port answered in plain HTTP (`HTTP/…`), not with a TLS handshake.
        case plainHTTP
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// `crowsnest fetch-ca`: connect to a TLS server WITHOUT verifying it, and report the certificate chain it presents
/// (the `openssl s_client -showcerts` step, trust on first use).
///
/// Verification is switched off by a custom verification callback that accepts everything and records the chain:
/// with NIOSSL's `certificateVerification: .none` BoringSSL never hands over more than the leaf, and the point here
/// is to see every certificate the server sends. No request is sent and no credential is used.
///
/// Note that most Kubernetes API servers present only their serving certificate, not the CA that issued it: then
/// the report names the issuer and says to take the CA from the cluster's own configuration.
public enum CertificateFetcher {
    /// A server to connect to.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// The host name or IP address (without brackets).
        public var host: String
        /// The port.
        public var port: Int

        /// Creates an endpoint.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `https://HOST[:PORT][/…]`, `HOST:PORT`, `[IPv6]:PORT`; the port defaults to 443.
        public init(parsing text: String) throws(CertificateFetchError) {
            var rest = Substring(text.trimmingCharacters(in: .whitespaces))
            if let range = rest.range(of: "://") {
                let scheme = rest[..<range.lowerBound].lowercased()
                guard scheme == "https" else {
                    throw CertificateFetchError(
                        .invalidEndpoint,
                        "\(text): only https:// URLs have certificates to fetch"
                    )
                }
                rest = rest[range.upperBound...]
            }
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
            if rest.contains("@") {
                throw CertificateFetchError(.invalidEndpoint, "the URL must not contain user information")
            }
            var host: Substring
            var portText: Substring?
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else {
                    throw CertificateFetchError(.invalidEndpoint, "\(text): unclosed [ in the IPv6 address")
                }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") {
                    portText = after.dropFirst()
                } else if !after.isEmpty {
                    throw CertificateFetchError(.invalidEndpoint, "\(text): expected :PORT after the IPv6 address")
                }
            } else if let colon = rest.lastIndex(of: ":"), rest.firstIndex(of: ":") == colon {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
            }
            guard !host.isEmpty else {
                throw CertificateFetchError(.invalidEndpoint, "\(text): expected https://HOST:PORT")
            }
            var port = 443
            if let portText {
                guard let value = Int(portText), (1...65_535).contains(value) else {
                    throw CertificateFetchError(.invalidEndpoint, "\(text): the port must be 1–65535")
                }
                port = value
            }
            self.init(host: String(host), port: port)
        }

        /// `HOST:PORT` (IPv6 in brackets).
        public var hostAndPort: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// `https://HOST:PORT` (IPv6 in brackets).
        public var description: String {
            host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        }

        /// Whether the host is an IP address literal (no SNI is sent for those).
        public var hostIsIPAddress: Bool {
            if host.contains(":") { return true }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
        }
    }

    /// Connects to `endpoint`, runs the TLS handshake until the server has presented its certificates (accepting
    /// them without any check), closes the connection, and returns them leaf first, in the order the server sent
    /// them.
    ///
    /// - Parameters:
    ///   - endpoint: the server.
    ///   - serverName: the SNI name to send (default: the host, unless it is an IP address).
    ///   - timeout: for connecting, and again for the handshake.
    public static func fetch(
        _ endpoint: Endpoint,
        serverName: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws(CertificateFetchError) -> [PresentedCertificate] {
        let chain = PresentedChain()
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Replaced by the callback below, which accepts any chain: nothing is verified.
        configuration.certificateVerification = .noHostnameVerification
        configuration.applicationProtocols = ["http/1.1"]
        try await handshake(
            endpoint,
            configuration: configuration,
            serverName: serverName,
            timeout: timeout,
            acceptingAnyChain: chain
        )
        let ders = chain.certificates
        guard !ders.isEmpty else {
            throw CertificateFetchError(.invalidCertificate, "\(endpoint) presented no certificate")
        }
        var result: [PresentedCertificate] = []
        for der in ders { result.append(try PresentedCertificate(derBytes: der)) }
        return result
    }

    /// Whether `caPEM` verifies `endpoint`: a real handshake that trusts only `caPEM` and checks the host name
    /// (`serverName`, else the host) as a client would. Returns normally when verified.
    /// - Throws: why not: `handshakeFailed` with BoringSSL's words when verification fails (explain it with
    ///   ``TLSDiagnosis``), `plainHTTP`, `connectionFailed`, `timedOut`; `invalidCertificate` when `caPEM` holds no
    ///   certificate.
    public static func verify(
        _ endpoint: Endpoint,
        caPEM: String,
        serverName: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws(CertificateFetchError) {
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))
        } catch {
            throw CertificateFetchError(.invalidCertificate, "the CA file is not valid PEM")
        }
        guard !roots.isEmpty else {
            throw CertificateFetchError(.invalidCertificate, "the CA file holds no certificate")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(roots)
        configuration.applicationProtocols = ["http/1.1"]
        // Full verification: without SNI (IP literals) NIOSSL checks the certificate's IP names against the peer.
        try await handshake(endpoint, configuration: configuration, serverName: serverName, timeout: timeout)
    }

    /// Connects and runs the TLS handshake to completion (or, with `acceptingAnyChain`, until the server has
    /// presented its certificates, which are recorded there and accepted unchecked), then closes.
    private static func handshake(
        _ endpoint: Endpoint,
        configuration: TLSConfiguration,
        serverName: String?,
        timeout: Duration,
        acceptingAnyChain chain: PresentedChain? = nil
    ) async throws(CertificateFetchError) {
        let sni = serverName ?? (endpoint.hostIsIPAddress ? nil : endpoint.host)
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw CertificateFetchError(.handshakeFailed, "cannot set up TLS: \(error)")
        }
        let firstBytes = FirstBytes()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let waiter = HandshakeWaiter()
                    let handler: NIOSSLClientHandler
                    if let chain {
                        handler = try NIOSSLClientHandler(
                            context: context,
                            serverHostname: sni,
                            customVerificationCallback: { certificates, promise in
                                // Called once, during the handshake, with the chain as presented: accept it, keep it.
                                chain.set(certificates.compactMap { try? $0.toDERBytes() })
                                promise.succeed(.certificateVerified)
                                waiter.complete(.success(()))
                            }
                        )
                    } else {
                        handler = try NIOSSLClientHandler(context: context, serverHostname: sni)
                    }
                    try channel.pipeline.syncOperations.addHandler(FirstBytesRecorder(firstBytes))
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(waiter)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            if case ChannelError.connectTimeout = error {
                throw CertificateFetchError(.timedOut, "connecting to \(endpoint) timed out after \(timeout)")
            }
            throw CertificateFetchError(.connectionFailed, "cannot connect to \(endpoint): \(error)")
        }
        do {
            let handshake = try await channel.eventLoop.submit {
                let waiter = try channel.pipeline.syncOperations.handler(type: HandshakeWaiter.self)
                let promise = waiter.promise(on: channel.eventLoop)
                let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                    promise.fail(CertificateFetchError(.timedOut, "the TLS handshake with \(endpoint) timed out"))
                }
                promise.futureResult.whenComplete { _ in timer.cancel() }
                return promise.futureResult
            }.get()
            try await handshake.get()
        } catch {
            try? await channel.close()
            if firstBytes.areHTTP {
                throw CertificateFetchError(
                    .plainHTTP,
                    "\(endpoint.hostAndPort) speaks plain HTTP, not TLS: use http:// or check the port"
                )
            }
            if let error = error as? CertificateFetchError { throw error }
            throw CertificateFetchError(.handshakeFailed, "TLS handshake with \(endpoint) failed: \(error)")
        }
        try? await channel.close()
    }

    /// The certificates of `chain` that can anchor trust (`tls.ca_file`): CA or self-signed ones.
    public static func trustAnchors(in chain: [PresentedCertificate]) -> [PresentedCertificate] {
        chain.filter(\.canBeTrustAnchor)
    }

    /// The report `fetch-ca` prints: a trust-on-first-use warning with how to compare, then each certificate's
    /// subject, issuer, validity, fingerprint and PEM; ends with what is usable as `tls.ca_file`.
    public static func report(_ chain: [PresentedCertificate], endpoint: Endpoint, now: Date = Date()) -> String {
        var out = ""
        func line(_ text: String = "") { out += text.isEmpty ? "#\n" : "# \(text)\n" }
        let rule = String(repeating: "=", count: 100)
        line(rule)
        line("TRUST ON FIRST USE — NOT VERIFIED.")
        line("These certificates were fetched from \(endpoint) WITHOUT any verification: whoever answered on that")
        line("address could have sent them. Before trusting them, compare the CA's SHA-256 fingerprint with the")
        line("cluster's own CA, obtained over a channel you already trust, e.g.:")
        line("  kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' \\")
        line("    | base64 -d | openssl x509 -noout -fingerprint -sha256")
        line("  EKS: aws eks describe-cluster --name NAME --query cluster.certificateAuthority.data --output text")
        line("  GKE: gcloud container clusters describe NAME --format 'value(masterAuth.clusterCaCertificate)'")
        line("  AKS: az aks get-credentials (the kubeconfig's certificate-authority-data), or the Azure portal")
        line("  on-prem: /etc/kubernetes/pki/ca.crt on a control-plane node")
        line(rule)
        line()
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for (index, certificate) in chain.enumerated() {
            var role = index == 0 ? "server certificate" : "intermediate"
            if certificate.isSelfSigned {
                role = certificate.isCertificateAuthority ? "root CA" : "self-signed"
            } else if index > 0 && certificate.isCertificateAuthority {
                role = "CA (intermediate)"
            }
            line("Certificate \(index + 1) of \(chain.count) (\(role))")
            line("  Subject:     \(certificate.subject)")
            line("  Issuer:      \(certificate.issuer)")
            line("  Not before:  \(formatter.string(from: certificate.notValidBefore))")
            var expiry = formatter.string(from: certificate.notValidAfter)
            if certificate.notValidAfter < now {
                expiry += "  (EXPIRED)"
            } else {
                let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
                expiry += "  (in \(days) days)"
            }
            line("  Not after:   \(expiry)")
            line("  CA:          \(certificate.isCertificateAuthority ? "yes" : "no")")
            if !certificate.subjectAlternativeNames.isEmpty {
                line("  SANs:        \(certificate.subjectAlternativeNames.joined(separator: ", "))")
            }
            line("  SHA-256 Fingerprint=\(certificate.sha256Fingerprint)")
            out += certificate.pem
            out += "\n"
        }
        let anchors = trustAnchors(in: chain)
        if anchors.isEmpty {
            let issuer = chain.last.map(\.issuer) ?? "?"
            line("The server did not present the CA that issued its certificate (\(issuer)) — usual for Kubernetes")
            line("API servers. Nothing above can be used as tls.ca_file: take the CA from the cluster's own")
            line("configuration (the commands above), or add-cluster from a kubeconfig.")
        } else {
            let list = anchors.map { "\($0.subject) (\($0.sha256Fingerprint.prefix(23))…)" }
            line("Usable as tls.ca_file once compared: \(list.joined(separator: "; "))")
            line("Write it with --out FILE, then set tls.ca_file: FILE in the cluster file.")
        }
        return out
    }

    /// The PEM text `--out` writes: the trust anchors of `chain`, in order.
    public static func trustAnchorPEM(_ chain: [PresentedCertificate]) -> String {
        trustAnchors(in: chain).map(\.pem).joined()
    }
}

/// The DER certificates the verification callback saw, handed from the event loop to the caller.
private final class PresentedChain: Sendable {
    private let storage = Mutex<[[UInt8]]>([])

    func set(_ certificates: [[UInt8]]) { storage.withLock { $0 = certificates } }

    var certificates: [[UInt8]] { storage.withLock { $0 } }
}

/// Records the server's first bytes, so a failed handshake can say "plain HTTP" (a plain-HTTP server answers the
/// ClientHello with `HTTP/1.1 400`) instead of BoringSSL's `WRONG_VERSION_NUMBER`. Kept outside the pipeline, which
/// is gone once the failed channel closes.
private final class FirstBytes: Sendable {
    private let storage = Mutex<[UInt8]>([])

    func append(_ bytes: [UInt8]) { storage.withLock { $0 += bytes.prefix(max(0, 5 - $0.count)) } }

    /// Whether the first bytes received were `HTTP/`.
    var areHTTP: Bool { storage.withLock { $0.starts(with: Array("HTTP/".utf8)) } }
}

/// Copies the first inbound bytes into a ``FirstBytes`` and passes everything on.
private final class FirstBytesRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let record: FirstBytes
    private var seen = 0

    init(_ record: FirstBytes) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if seen < 5 {
            let buffer = unwrapInboundIn(data)
            let bytes = buffer.getBytes(at: buffer.readerIndex, length: min(5 - seen, buffer.readableBytes)) ?? []
            seen += bytes.count
            record.append(bytes)
        }
        context.fireChannelRead(data)
    }
}

/// Completes a promise once the server's certificates have been seen (or the handshake fails, or the connection
/// closes first).
private final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var result: Result<Void, any Error>?
    private var pending: EventLoopPromise<Void>?

    /// A promise completed by the handshake's outcome (at once when that is already known).
    func promise(on eventLoop: any EventLoop) -> EventLoopPromise<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        if let result { promise.completeWith(result) } else { pending = promise }
        return promise
    }

    /// Records the outcome (the first one wins) and completes the promise, if one was asked for.
    func complete(_ outcome: Result<Void, any Error>) {
        guard result == nil else { return }
        result = outcome
        pending?.completeWith(outcome)
        pending = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { complete(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(
            .failure(CertificateFetchError(.handshakeFailed, "the server closed the connection during the handshake"))
        )
        context.fireChannelInactive()
    }
}
