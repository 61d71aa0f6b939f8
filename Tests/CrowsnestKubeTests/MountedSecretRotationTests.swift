import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import PeerSupport
import Testing

@testable import CrowsnestKube

/// Secrets mounted from a Kubernetes Secret rotate by the kubelet swapping its `..data` link (``KubeletVolume``
/// replays its steps): token files, client certificates and keys, CA bundles and cluster files are noticed by what
/// the links lead to, not by the links themselves, which never change.
@Suite("Mounted secrets rotate", .timeLimit(.minutes(2)))
struct MountedSecretRotationTests {
    static func get(_ client: KubeClusterClient) async throws -> Int {
        let response = try await client.get(
            path: "/api/v1/namespaces/default/pods",
            deadline: KubeTestSupport.deadline()
        )
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test("the kubelet's swap: the user-visible link is untouched, the stamp of the file it leads to changes")
    func stampFollowsTheSwap() throws {
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let volume = try KubeletVolume(path: folder + "/secret", mode: 0o440)
        try volume.write(["token": "aaaaaaaa"])
        let link = folder + "/secret/token"
        let firstFolder = try #require(volume.currentDataFolder)
        #expect(firstFolder.hasPrefix("..20"))
        let linkBefore = try FileManager.default.attributesOfItem(atPath: link)
        let before = try #require(FileStamp.of(link))
        try volume.write(["token": "bbbbbbbb"])  // same size
        #expect(volume.currentDataFolder != firstFolder)
        #expect(!FileManager.default.fileExists(atPath: folder + "/secret/" + firstFolder), "old folder removed")
        let linkAfter = try FileManager.default.attributesOfItem(atPath: link)
        #expect(linkAfter[.systemFileNumber] as? NSNumber == linkBefore[.systemFileNumber] as? NSNumber)
        #expect(linkAfter[.modificationDate] as? Date == linkBefore[.modificationDate] as? Date)
        let after = try #require(FileStamp.of(link))
        #expect(after != before)
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "bbbbbbbb")
        #expect(LocalConfigFileSystem().status(ofPath: link) == ConfigFileStatus(kind: .file, permissions: 0o440))
    }

    @Test("a symlink loop in a mounted folder: no stamp, no status, a clear read error, no hang")
    func symlinkLoop() throws {
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/a.yaml", withDestinationPath: "b.yaml")
        try FileManager.default.createSymbolicLink(atPath: folder + "/b.yaml", withDestinationPath: "a.yaml")
        #expect(FileStamp.of(folder + "/a.yaml") == nil)
        #expect(LocalConfigFileSystem().status(ofPath: folder + "/a.yaml") == nil)
        let scan = ClusterDirectory(path: folder).scan()
        #expect(scan.clusters.isEmpty)
        let problems = scan.problems.map(\.description).joined(separator: "\n")
        #expect(problems.contains("a.yaml") && problems.contains("symbolic links"), "\(problems)")
    }

    @Test("a rotated token file and client certificate are used without a restart and without a 401")
    func credentialsFollowTheSwap() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "mounted"))
        let first = sim.issueToken(for: .admin("first"))
        let second = sim.issueToken(for: .admin("second"))
        let firstCertificate = try sim.certificateAuthority.issueClientCertificate(
            for: Identity(user: "cert-first", groups: ["system:masters"]),
            notValidAfter: Date().addingTimeInterval(86_400)
        )
        let secondCertificate = try sim.certificateAuthority.issueClientCertificate(
            for: Identity(user: "cert-second", groups: ["system:masters"]),
            notValidAfter: Date().addingTimeInterval(86_400)
        )
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let volume = try KubeletVolume(path: folder + "/secret", mode: 0o440)
        func payload(
            token: String,
            certificate: (certificatePEM: String, privateKeyPEM: String),
            ca: String
        )
            -> [String: String]
        {
            ["token": token, "tls.crt": certificate.certificatePEM, "tls.key": certificate.privateKeyPEM, "ca.crt": ca]
        }
        let ca = sim.caCertificatePEM
        try volume.write(
            payload(
                token: first,
                certificate: (firstCertificate.certificatePEM, firstCertificate.privateKeyPEM),
                ca: ca
            )
        )
        let mounted = folder + "/secret/"
        let tls = TLSSettings(certificateAuthority: .file(path: mounted + "ca.crt"))
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let tokenClient = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerTokenFile(path: mounted + "token"), tls: tls),
                    httpClient: http,
                    logger: Logger(label: "t"),
                    queriesPerSecond: 100,
                    burst: 100,
                    credentialCheckInterval: .milliseconds(100)
                )
                let certificateClient = KubeClusterClient(
                    config: try KubeTestSupport.config(
                        sim,
                        name: "mounted-cert",
                        auth: .clientCertificate(certificateFile: mounted + "tls.crt", keyFile: mounted + "tls.key"),
                        tls: tls
                    ),
                    httpClient: http,
                    logger: Logger(label: "t"),
                    queriesPerSecond: 100,
                    burst: 100,
                    credentialCheckInterval: .milliseconds(100)
                )
                #expect(try await Self.get(tokenClient) == 200)
                #expect(sim.requestLog.entries.last?.user == "first")
                #expect(try await Self.get(certificateClient) == 200)
                #expect(sim.requestLog.entries.last?.user == "cert-first")

                // Rotation (the old credentials stay valid: only noticing the swap changes the user).
                try volume.write(
                    payload(
                        token: second,
                        certificate: (secondCertificate.certificatePEM, secondCertificate.privateKeyPEM),
                        ca: ca
                    )
                )
                try await Task.sleep(for: .milliseconds(250))
                #expect(try await Self.get(tokenClient) == 200)
                #expect(sim.requestLog.entries.last?.user == "second")
                #expect(try await Self.get(certificateClient) == 200)
                #expect(sim.requestLog.entries.last?.user == "cert-second")
                #expect(!sim.requestLog.entries.contains { $0.status == 401 })

                // The CA bundle follows the swap too: a wrong CA fails the TLS handshake, the right one works again.
                let otherCA = try SimulatedCluster(ClusterConfiguration(name: "other")).caCertificatePEM
                try volume.write(
                    payload(
                        token: second,
                        certificate: (secondCertificate.certificatePEM, secondCertificate.privateKeyPEM),
                        ca: otherCA
                    )
                )
                try await Task.sleep(for: .milliseconds(250))
                await #expect(throws: (any Error).self) { try await Self.get(tokenClient) }
                try volume.write(
                    payload(
                        token: second,
                        certificate: (secondCertificate.certificatePEM, secondCertificate.privateKeyPEM),
                        ca: ca
                    )
                )
                try await Task.sleep(for: .milliseconds(250))
                #expect(try await Self.get(tokenClient) == 200)
            }
        }
    }

    @Test("a cluster directory mounted from a Secret: only the cluster files are read, and an update is seen")
    func clusterDirectoryFollowsTheSwap() throws {
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let volume = try KubeletVolume(path: folder + "/clusters.d", mode: 0o440)
        let file = "api_server: https://203.0.113.10:6443\nauth:\n  bearer_token_file: /t\nscrape:\n  interval: "
        try volume.write(["prod.yaml": file + "30s\n"])
        let directory = ClusterDirectory(path: folder + "/clusters.d")
        var scan = directory.scan(validateReferencedFiles: false)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        #expect(scan.clusters.map(\.name) == ["prod"])
        #expect(scan.clusters.first?.scrape.interval == .seconds(30))
        try volume.write(["prod.yaml": file + "15s\n", "dev.yaml": file + "30s\n"])
        scan = directory.scan(validateReferencedFiles: false)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        #expect(scan.clusters.map(\.name) == ["dev", "prod"])
        #expect(scan.clusters.first { $0.name == "prod" }?.scrape.interval == .seconds(15))
        try volume.write(["dev.yaml": file + "30s\n"])
        scan = directory.scan(validateReferencedFiles: false)
        #expect(scan.clusters.map(\.name) == ["dev"], "a name gone from the Secret is gone from the folder")
    }

    @Test("0440 under an fsGroup mount is not warned about; world-readable and group-writable files still are")
    func permissionsInAMountedVolume() throws {
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let groupRead = try KubeletVolume(path: folder + "/group", mode: 0o440)
        try groupRead.write(["token": "t", "prod.yaml": "x"])
        let worldRead = try KubeletVolume(path: folder + "/world", mode: 0o644)
        try worldRead.write(["token": "t"])
        let groupWrite = try KubeletVolume(path: folder + "/group-write", mode: 0o460)
        try groupWrite.write(["token": "t"])
        // The same 0440 outside a kubelet volume is still reported.
        try "t".write(toFile: folder + "/plain-token", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o440], ofItemAtPath: folder + "/plain-token")
        let warnings = FilePermissionCheck.warnings(for: [
            folder + "/group/token", folder + "/group/prod.yaml", folder + "/world/token",
            folder + "/group-write/token", folder + "/plain-token",
        ])
        #expect(
            warnings.map(\.path) == [folder + "/world/token", folder + "/group-write/token", folder + "/plain-token"]
        )
    }
}
