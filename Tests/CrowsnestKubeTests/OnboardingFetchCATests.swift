import CrowsnestKube
import Foundation
import KubeSim
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// `crowsnest fetch-ca` and `CertificateFetcher`: the presented chain, PEM, fingerprints as openssl prints them.
@Suite("Onboarding: fetch-ca", .timeLimit(.minutes(3)))
struct OnboardingFetchCATests {
    // MARK: - A TLS server presenting leaf + CA

    /// A TLS server on 127.0.0.1 presenting `chain` (leaf first), completing handshakes and nothing else.
    static func withTLSServer<Result>(
        chainPEM: [String],
        keyPEM: String,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let certificates = try chainPEM.map { try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem) }
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        do {
            let result = try await body(port)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    struct Fixture {
        var authority: CertificateAuthority
        var leaf: IssuedCertificate
        var directory: String
        var caFile: String { directory + "/ca.pem" }
        var leafFile: String { directory + "/leaf.pem" }
    }

    static func makeFixture() throws -> Fixture {
        let authority = try CertificateAuthority(commonName: "onboarding-test-ca")
        let leaf = try authority.issueServerCertificate(
            commonName: "kube-apiserver",
            dnsNames: ["localhost", "kubernetes.default.svc"],
            ipAddresses: ["127.0.0.1"],
            notValidBefore: Date().addingTimeInterval(-3600),
            notValidAfter: Date().addingTimeInterval(86_400 * 30)
        )
        let directory = try Onboarding.makeDirectory("fetch-ca")
        try Onboarding.write(directory + "/ca.pem", authority.certificatePEM, permissions: 0o644)
        try Onboarding.write(directory + "/leaf.pem", leaf.certificatePEM, permissions: 0o644)
        return Fixture(authority: authority, leaf: leaf, directory: directory)
    }

    // MARK: - Library

    @Test func fetchesTheFullChainAndFingerprintsMatchOpenSSL() async throws {
        let fixture = try Self.makeFixture()
        defer { Onboarding.removeDirectory(fixture.directory) }
        let caFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: fixture.caFile)
        let leafFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: fixture.leafFile)
        try await Self.withTLSServer(
            chainPEM: [fixture.leaf.certificatePEM, fixture.authority.certificatePEM],
            keyPEM: fixture.leaf.privateKeyPEM
        ) { port in
            let chain = try await CertificateFetcher.fetch(.init(host: "127.0.0.1", port: port))
            #expect(chain.count == 2)
            #expect(chain.map(\.sha256Fingerprint) == [leafFingerprint, caFingerprint])
            #expect(chain[0].subject.contains("CN=kube-apiserver"))
            #expect(chain[0].issuer == chain[1].subject)
            #expect(chain[1].subject.contains("CN=onboarding-test-ca"))
            #expect(!chain[0].isCertificateAuthority && chain[1].isCertificateAuthority)
            #expect(chain[1].isSelfSigned && !chain[0].isSelfSigned)
            #expect(chain[0].subjectAlternativeNames.contains("DNS:localhost"))
            #expect(chain[0].subjectAlternativeNames.contains("IP:127.0.0.1"))
            #expect(chain[0].notValidAfter > Date().addingTimeInterval(86_400 * 29))
            #expect(CertificateFetcher.trustAnchors(in: chain).map(\.sha256Fingerprint) == [caFingerprint])
            // The PEM re-encodes the same DER: the CA text comes back byte for byte (modulo line endings).
            #expect(CertificateFetcher.trustAnchorPEM(chain) == Self.normalizedPEM(fixture.authority.certificatePEM))
            let report = CertificateFetcher.report(chain, endpoint: .init(host: "127.0.0.1", port: port))
            #expect(report.contains("TRUST ON FIRST USE"))
            #expect(report.contains("SHA-256 Fingerprint=\(caFingerprint)"))
            #expect(report.contains("SHA-256 Fingerprint=\(leafFingerprint)"))
            #expect(report.contains("kubectl config view --raw"))
            #expect(report.contains("Usable as tls.ca_file"))
        }
    }

    /// KubeSim, like most real API servers, presents only its serving certificate: the report names the issuer
    /// (the cluster CA) and says the CA itself must come from the cluster's configuration.
    @Test func kubeSimPresentsItsServingCertificateIssuedByItsCA() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "fetch-ca-sim"))
        let directory = try Onboarding.makeDirectory("fetch-ca-sim")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/ca.pem", cluster.caCertificatePEM, permissions: 0o644)
        try Onboarding.write(directory + "/serving.pem", cluster.servingCertificate.certificatePEM, permissions: 0o644)
        let servingFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: directory + "/serving.pem")
        let caCertificate = try PresentedCertificate(derBytes: Self.der(cluster.caCertificatePEM))
        try await cluster.withRunning { cluster in
            let port = try #require(cluster.port)
            let chain = try await CertificateFetcher.fetch(try .init(parsing: "https://127.0.0.1:\(port)"))
            #expect(chain.map(\.sha256Fingerprint) == [servingFingerprint])
            #expect(chain[0].issuer == caCertificate.subject)
            #expect(CertificateFetcher.trustAnchors(in: chain).isEmpty)
            let report = CertificateFetcher.report(chain, endpoint: .init(host: "127.0.0.1", port: port))
            #expect(report.contains("did not present the CA"))
            #expect(report.contains(caCertificate.subject))
        }
    }

    @Test func endpointParsing() throws {
        let cases: [(String, String, Int)] = [
            ("https://10.0.0.1:6443", "10.0.0.1", 6443),
            ("https://kube.example.com", "kube.example.com", 443),
            ("kube.example.com:8443", "kube.example.com", 8443),
            ("https://[::1]:6443/api", "::1", 6443),
            ("https://ABC.gr7.eu-west-1.eks.amazonaws.com/", "ABC.gr7.eu-west-1.eks.amazonaws.com", 443),
        ]
        for (text, host, port) in cases {
            let endpoint = try CertificateFetcher.Endpoint(parsing: text)
            #expect(endpoint.host == host && endpoint.port == port, "\(text)")
        }
        for bad in ["http://x:80", "https://:6443", "https://x:0", "https://x:99999", "https://u:p@x", "https://[::1"] {
            #expect(throws: CertificateFetchError.self, "\(bad)") { try CertificateFetcher.Endpoint(parsing: bad) }
        }
        #expect(CertificateFetcher.Endpoint(host: "::1", port: 6443).description == "https://[::1]:6443")
        #expect(CertificateFetcher.Endpoint(host: "10.0.0.1", port: 1).hostIsIPAddress)
        #expect(!CertificateFetcher.Endpoint(host: "kube.local", port: 1).hostIsIPAddress)
    }

    @Test func connectionRefusedAndNonTLSServersFailClearly() async throws {
        let port = try await Self.closedPort()
        await #expect(throws: CertificateFetchError.self) {
            try await CertificateFetcher.fetch(.init(host: "127.0.0.1", port: port), timeout: .seconds(5))
        }
        try await DiscoveryServer.withServer { server in
            do throws(CertificateFetchError) {
                _ = try await CertificateFetcher.fetch(
                    .init(host: "127.0.0.1", port: server.port),
                    timeout: .seconds(5)
                )
                Issue.record("a plain HTTP server has no certificate")
            } catch {
                #expect(error.code == .plainHTTP)
                #expect(
                    error.message
                        == "127.0.0.1:\(server.port) speaks plain HTTP, not TLS: use http:// or check the port"
                )
            }
        }
    }

    // MARK: - The command

    @Test func commandPrintsTheChainAndWritesTheCA() async throws {
        let fixture = try Self.makeFixture()
        defer { Onboarding.removeDirectory(fixture.directory) }
        let caFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: fixture.caFile)
        try await Self.withTLSServer(
            chainPEM: [fixture.leaf.certificatePEM, fixture.authority.certificatePEM],
            keyPEM: fixture.leaf.privateKeyPEM
        ) { port in
            let out = fixture.directory + "/fetched-ca.crt"
            let result = try Onboarding.crowsnest([
                "fetch-ca", "https://127.0.0.1:\(port)", "--server-name", "kubernetes.default.svc", "--out", out,
            ])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput.contains("TRUST ON FIRST USE"))
            #expect(result.standardOutput.contains("SHA-256 Fingerprint=\(caFingerprint)"))
            #expect(result.standardOutput.contains("-----BEGIN CERTIFICATE-----"))
            #expect(result.standardOutput.contains("Subject:"))
            #expect(result.standardOutput.contains("Not after:"))
            #expect(result.standardError.contains("TRUST ON FIRST USE"))
            #expect(try Onboarding.opensslFingerprint(ofPEMFile: out) == caFingerprint)
            #expect(try Onboarding.read(out) == Self.normalizedPEM(fixture.authority.certificatePEM))
        }
    }

    /// Against KubeSim: the fingerprint printed for the serving certificate matches openssl's, its issuer is the
    /// cluster CA's subject (as `openssl x509 -subject` prints it for CA.pem), and `--out` writes nothing.
    @Test func commandAgainstKubeSim() async throws {
        let cluster = try SimulatedCluster(ClusterConfiguration(name: "fetch-ca-cli"))
        let directory = try Onboarding.makeDirectory("fetch-ca-cli")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/ca.pem", cluster.caCertificatePEM, permissions: 0o644)
        try Onboarding.write(directory + "/serving.pem", cluster.servingCertificate.certificatePEM, permissions: 0o644)
        let servingFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: directory + "/serving.pem")
        let caFingerprint = try Onboarding.opensslFingerprint(ofPEMFile: directory + "/ca.pem")
        let openssl = try Onboarding.requirePeer("openssl", package: "openssl")
        let verify = try Onboarding.run(
            openssl,
            ["verify", "-CAfile", directory + "/ca.pem", directory + "/serving.pem"]
        )
        #expect(verify.status == 0, "the simulator's serving certificate is issued by its CA: \(verify.standardError)")
        let subject = try Onboarding.run(
            openssl,
            ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", directory + "/ca.pem"]
        )
        let caSubject = subject.standardOutput.replacingOccurrences(of: "subject=", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(caSubject == "CN=fetch-ca-cli-ca,O=KubeSim")
        try await cluster.withRunning { cluster in
            let port = try #require(cluster.port)
            let plain = try Onboarding.crowsnest(["fetch-ca", "https://127.0.0.1:\(port)"])
            #expect(plain.status == 0, "\(plain.standardError)")
            #expect(plain.standardOutput.contains("SHA-256 Fingerprint=\(servingFingerprint)"))
            // The issuer is the CA's subject, RFC 4514 style as `openssl x509 -subject -nameopt RFC2253` prints it.
            #expect(plain.standardOutput.contains("Issuer:      \(caSubject)"), "\(plain.standardOutput)")
            #expect(!plain.standardOutput.contains(caFingerprint))
            #expect(plain.standardOutput.contains("did not present the CA"))
            #expect(plain.standardError.contains("TRUST ON FIRST USE"))

            let out = directory + "/ca-from-server.crt"
            let written = try Onboarding.crowsnest(["fetch-ca", "https://127.0.0.1:\(port)", "--out", out])
            #expect(written.status == 1)
            #expect(written.standardError.contains("nothing written"))
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func commandErrors() async throws {
        let usage = try Onboarding.crowsnest(["fetch-ca", "http://127.0.0.1:1"])
        #expect(usage.status == 2)
        #expect(usage.standardError.contains("https"))
        let port = try await Self.closedPort()
        let refused = try Onboarding.crowsnest(["fetch-ca", "https://127.0.0.1:\(port)", "--timeout", "5"])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("cannot connect"))
        #expect(refused.standardOutput.isEmpty)
    }

    // MARK: - Helpers

    /// A loopback port nothing listens on (bound, then closed).
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    static func der(_ pem: String) throws -> [UInt8] {
        try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem).toDERBytes()
    }

    /// PEM with LF line endings and a final newline, as `PresentedCertificate.pem` writes it.
    static func normalizedPEM(_ pem: String) -> String {
        var text = pem.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        text += "\n"
        return text
    }
}
