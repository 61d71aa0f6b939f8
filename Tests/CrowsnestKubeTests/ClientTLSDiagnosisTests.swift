import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import Testing

@testable import CrowsnestKube

/// TLS failures against KubeSim say what is wrong and what to do: which CA was used, issuer against the CA's
/// subject, expiry dates, the host name, and a URL scheme that does not match the port.
@Suite("Client: TLS failures explained", .timeLimit(.minutes(3)))
struct ClientTLSDiagnosisTests {
    static func day(_ date: Date) -> String { TLSDiagnosis.day(date) }

    /// One request's error (the request must fail).
    static func failure(_ client: KubeClusterClient) async throws -> KubeClientError {
        do {
            _ = try await client.get(path: "/api/v1/pods", deadline: KubeTestSupport.deadline())
        } catch let error as KubeClientError {
            return error
        }
        Issue.record("the request succeeded")
        return KubeClientError(.badResponse, cluster: client.name, "")
    }

    static func client(_ config: ClusterConfig, _ http: HTTPClient) -> KubeClusterClient {
        KubeClusterClient(config: config, httpClient: http, logger: Logger(label: "t"))
    }

    /// The error of one request, with a token, against a cluster serving `certificate`.
    static func failure(
        serving certificate: ServingCertificateKind,
        name: String
    ) async throws
        -> KubeClientError
    {
        let sim = try SimulatedCluster(ClusterConfiguration(name: name, servingCertificate: certificate))
        let token = sim.issueToken(for: .admin())
        return try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                try await Self.failure(
                    Self.client(try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))), http)
                )
            }
        }
    }

    @Test("wrong CA: names the ca_file and the issuer against the CA's subject; probed once until the CA changes")
    func wrongCA() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "tlsdiag"))
        let other = try CertificateAuthority(commonName: "someone-else")
        let folder = try KubeTestSupport.temporaryDirectory()
        let caFile = folder + "/ca.crt"
        try KubeTestSupport.write(caFile, other.certificatePEM)
        let token = sim.issueToken(for: .admin())
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = Self.client(
                    try KubeTestSupport.config(
                        sim,
                        name: "prod-eu",
                        auth: .bearerToken(Secret(token)),
                        tls: TLSSettings(certificateAuthority: .file(path: caFile))
                    ),
                    http
                )
                let error = try await Self.failure(client)
                #expect(error.code == .tls)
                #expect(error.message.hasPrefix("cluster prod-eu: certificate verify failed"), "\(error.message)")
                #expect(error.message.contains("ca_file \(caFile)"), "\(error.message)")
                #expect(error.message.contains("issued by CN=tlsdiag-ca,O=KubeSim"), "\(error.message)")
                #expect(error.message.contains("holds CN=someone-else,O=KubeSim"), "\(error.message)")
                #expect(!error.message.contains(token))
                // The second failure reuses the diagnosis: no second probe.
                let again = try await Self.failure(client)
                #expect(again.message == error.message)
                #expect(client.tlsDiagnoses.probes == 1)
                // The CA file changes to the right CA: the request succeeds and the diagnosis is forgotten.
                try KubeTestSupport.write(caFile, sim.caCertificatePEM)
                client.credentials.invalidate()
                let response = try await client.get(path: "/api/v1/pods", deadline: KubeTestSupport.deadline())
                #expect(response.status.code == 200)
                #expect(
                    client.tlsDiagnoses.lookup(
                        .init(
                            failure: .handshake,
                            caPEM: other.certificatePEM,
                            baseURL: sim.apiServerURL!
                        )
                    ) == nil
                )
            }
        }
    }

    @Test("a CA with the issuer's name but another key: says so")
    func sameNameOtherKey() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "twin"))
        let impostor = try CertificateAuthority(commonName: "twin-ca")
        let token = sim.issueToken(for: .admin())
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let error = try await Self.failure(
                    Self.client(
                        try KubeTestSupport.config(
                            sim,
                            auth: .bearerToken(Secret(token)),
                            tls: TLSSettings(certificateAuthority: .pem(impostor.certificatePEM))
                        ),
                        http
                    )
                )
                #expect(
                    error.message.contains("ca_data in the cluster file holds a CA with that name but a different key"),
                    "\(error.message)"
                )
            }
        }
    }

    @Test("expired CA: says when it expired")
    func expiredCA() async throws {
        let expired = Self.day(Date().addingTimeInterval(-86_400))
        let error = try await Self.failure(serving: .expiredAuthority, name: "oldca")
        #expect(error.code == .tls)
        #expect(error.message.contains("CA certificate expired on \(expired)"), "\(error.message)")
        #expect(error.message.contains("CN=oldca-ca,O=KubeSim, from ca_data in the cluster file"), "\(error.message)")
    }

    @Test("expired server certificate: says when it expired")
    func expiredServerCertificate() async throws {
        let expired = Self.day(Date().addingTimeInterval(-86_400))
        let error = try await Self.failure(serving: .expired, name: "oldcert")
        #expect(error.code == .tls)
        #expect(error.message.contains("server certificate expired on \(expired)"), "\(error.message)")
    }

    @Test("wrong host name: the certificate is for A, not HOST")
    func wrongHost() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "elsewhere", servingCertificate: .wrongHost))
        let token = sim.issueToken(for: .admin())
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let error = try await Self.failure(
                    Self.client(
                        try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                        http
                    )
                )
                #expect(error.code == .tls)
                #expect(
                    error.message.contains("the certificate is for wrong-host.invalid, not 127.0.0.1"),
                    "\(error.message)"
                )
            }
        }
    }

    @Test("an https URL to a plain-HTTP port, and an http URL to a TLS port")
    func schemeMismatch() async throws {
        let exporter = try ExporterServer(exporter: SimulatedExporter(series: 1))
        try await exporter.withRunning { exporter in
            let port = try #require(exporter.port)
            try await KubeTestSupport.withHTTPClient { http in
                let config = ClusterConfig(
                    name: "plain",
                    apiServer: try APIServerURL(parsing: "https://127.0.0.1:\(port)"),
                    auth: .bearerToken(Secret("secret-token-value"))
                )
                let error = try await Self.failure(Self.client(config, http))
                #expect(error.code == .tls)
                #expect(
                    error.message == "cluster plain: the URL is https but the server speaks plain HTTP "
                        + "(127.0.0.1:\(port)): use http:// or check the port",
                    "\(error.message)"
                )
            }
        }
        let sim = try SimulatedCluster(ClusterConfiguration(name: "tlsport"))
        let token = sim.issueToken(for: .admin())
        try await sim.withRunning { sim in
            let port = try #require(sim.port)
            try await KubeTestSupport.withHTTPClient { http in
                let config = ClusterConfig(
                    name: "tlsport",
                    apiServer: try APIServerURL(parsing: "http://127.0.0.1:\(port)"),
                    auth: .bearerToken(Secret(token))
                )
                let error = try await Self.failure(Self.client(config, http))
                #expect(error.code == .tls)
                #expect(error.message.contains("the URL is http but the server speaks TLS"), "\(error.message)")
                #expect(error.message.contains("use https://"), "\(error.message)")
            }
        }
    }

    @Test("IP literals compare as bytes when a host is matched against a certificate's IP names")
    func ipAddressText() {
        #expect(IPAddressText.bytes("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddressText.bytes("0:0:0:0:0:0:0:1") == IPAddressText.bytes("::1"))
        #expect(IPAddressText.bytes("fe80::1:2") == [0xFE, 0x80] + Array(repeating: 0, count: 10) + [0, 1, 0, 2])
        #expect(IPAddressText.bytes("127.0.0.1") == [127, 0, 0, 1])
        for bad in ["1::2::3", "1:2:3:4:5:6:7:8:9", "256.0.0.1", "1.2.3", "kube.local", "::g"] {
            #expect(IPAddressText.bytes(bad) == nil, "\(bad)")
        }
    }

    @Test("fetch-ca --ca-file: verified with the right CA, not verified (with the reason) with another")
    func fetchCAWithCAFile() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "fetchverify"))
        let other = try CertificateAuthority(commonName: "not-this-one")
        let directory = try Onboarding.makeDirectory("fetch-ca-verify")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/right.pem", sim.caCertificatePEM, permissions: 0o644)
        try Onboarding.write(directory + "/wrong.pem", other.certificatePEM, permissions: 0o644)
        try await sim.withRunning { sim in
            let port = try #require(sim.port)
            let right = try Onboarding.crowsnest(
                ["fetch-ca", "https://127.0.0.1:\(port)", "--ca-file", directory + "/right.pem"])
            #expect(right.status == 0, "\(right.standardError)")
            #expect(
                right.standardOutput.contains("# verified: ca_file \(directory)/right.pem verifies 127.0.0.1:\(port)"),
                "\(right.standardOutput)"
            )
            #expect(right.standardOutput.contains("Certificate 1 of 1"))
            let wrong = try Onboarding.crowsnest(
                ["fetch-ca", "https://127.0.0.1:\(port)", "--ca-file", directory + "/wrong.pem"])
            #expect(wrong.status == 1)
            #expect(
                wrong.standardOutput.contains(
                    "# not verified: certificate verify failed: the server certificate "
                        + "is issued by CN=fetchverify-ca,O=KubeSim, but ca_file \(directory)/wrong.pem holds "
                        + "CN=not-this-one,O=KubeSim"
                ),
                "\(wrong.standardOutput)"
            )
            #expect(wrong.standardError.contains("does not verify 127.0.0.1:\(port)"))
        }
        let exporter = try ExporterServer(exporter: SimulatedExporter(series: 1))
        try await exporter.withRunning { exporter in
            let port = try #require(exporter.port)
            let plain = try Onboarding.crowsnest(["fetch-ca", "https://127.0.0.1:\(port)", "--timeout", "5"])
            #expect(plain.status == 1)
            #expect(
                plain.standardError.contains(
                    "127.0.0.1:\(port) speaks plain HTTP, not TLS: use http:// or check the port"
                ),
                "\(plain.standardError)"
            )
            #expect(!plain.standardError.contains("WRONG_VERSION_NUMBER"))
        }
    }
}
