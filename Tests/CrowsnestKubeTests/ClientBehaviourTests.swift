import AsyncHTTPClient
import CrowsnestCore
import Foundation
import KubeSim
import Logging
import NIOHTTP1
import Testing

@testable import CrowsnestKube

@Suite("Cluster client: rate limit, Retry-After, exec certificates, debounce", .timeLimit(.minutes(2)))
struct ClientBehaviourTests {
    static func status(_ client: KubeClusterClient, _ path: String) async throws -> Int {
        let response = try await client.get(path: path, deadline: KubeTestSupport.deadline())
        _ = try await response.body.collect(upTo: 4 << 20)
        return Int(response.status.code)
    }

    /// A scrape through the pod proxy.
    static func proxyStatus(_ client: KubeClusterClient, _ path: String) async throws -> Int {
        let response = try await client.proxyGet(path: path, deadline: KubeTestSupport.deadline())
        _ = try await response.body.collect(upTo: 4 << 20)
        return Int(response.status.code)
    }

    @Test("the token bucket allows a burst of 10, then 5 per second")
    func tokenBucket() {
        let bucket = TokenBucket(ratePerSecond: 5, burst: 10)
        let now = ContinuousClock.now
        for _ in 0..<10 { #expect(bucket.reserve(now: now) == .zero) }
        #expect(bucket.reserve(now: now) == .milliseconds(200))
        #expect(bucket.reserve(now: now) == .milliseconds(400))
        #expect(bucket.reserve(now: now + .seconds(10)) == .zero)  // refilled (capped at the burst)
    }

    @Test("API calls are rate limited (QPS 5, burst 10); pod-proxy scrapes are not")
    func rateLimit() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "qps"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 1, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                var started = ContinuousClock.now
                // 30 API calls at QPS 5 after a burst of 10 take at least 4 s.
                for _ in 0..<30 { #expect(try await Self.status(client, "/api/v1/namespaces/app/pods") == 200) }
                let apiTime = ContinuousClock.now - started
                #expect(apiTime >= .milliseconds(3900), "30 API calls took \(apiTime)")
                started = ContinuousClock.now
                for _ in 0..<15 {
                    #expect(
                        try await Self.proxyStatus(client, "/api/v1/namespaces/app/pods/http:app-0:9102/proxy/metrics")
                            == 200
                    )
                }
                let proxyTime = ContinuousClock.now - started
                // Not rate limited: far faster than the limiter would allow (relative, robust to machine load).
                #expect(proxyTime * 2 < apiTime, "15 proxy scrapes took \(proxyTime), 30 API calls \(apiTime)")
            }
        }
    }

    @Test("Retry-After on 429/5xx is honoured for API calls; 5xx without it and proxy answers come back as they are")
    func retryAfter() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "retry"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 1, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                sim.updateFaults { $0.failures = [InjectedFailure(.timeout, for: .list, times: 1)] }
                #expect(try await Self.status(client, "/api/v1/pods") == 200)
                var log = sim.requestLog.entries
                #expect(log.map(\.status) == [504, 200])
                #expect(log[1].time.timeIntervalSince(log[0].time) >= 0.95)
                sim.requestLog.clear()
                sim.updateFaults {
                    $0.failures = [InjectedFailure(.priorityAndFairness(retryAfterSeconds: 1), for: .list, times: 2)]
                }
                #expect(try await Self.status(client, "/api/v1/pods") == 200)
                #expect(sim.requestLog.entries.map(\.status) == [429, 429, 200])
                sim.requestLog.clear()
                sim.updateFaults { $0.failures = [InjectedFailure(.internalError, for: .list, times: 1)] }
                #expect(try await Self.status(client, "/api/v1/pods") == 500)
                sim.updateFaults { $0.failures = [InjectedFailure(.timeout, for: .proxy, times: 1)] }
                #expect(
                    try await Self.proxyStatus(client, "/api/v1/namespaces/app/pods/http:app-0:9102/proxy/metrics")
                        == 504
                )
                log = sim.requestLog.entries
                #expect(log.map(\.status) == [500, 504])
            }
        }
    }

    @Test("an exec plugin may return a client certificate and key (v1beta1)")
    func execClientCertificate() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "exec-cert"))
        let issued = try sim.certificateAuthority.issueClientCertificate(
            for: Identity(user: "exec-cert-user", groups: ["system:masters"])
        )
        let folder = try KubeTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let credential: [String: Any] = [
            "apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
            "status": ["clientCertificateData": issued.certificatePEM, "clientKeyData": issued.privateKeyPEM],
        ]
        try JSONSerialization.data(withJSONObject: credential).write(to: URL(fileURLWithPath: folder + "/out.json"))
        try KubeTestSupport.write(folder + "/plugin.sh", "#!/bin/sh\ncat \"\(folder)/out.json\"\n", executable: true)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let exec = ExecConfig(
                    command: folder + "/plugin.sh",
                    apiVersion: "client.authentication.k8s.io/v1beta1"
                )
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .exec(exec)),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                #expect(try await Self.status(client, "/api/v1/pods") == 200)
                #expect(sim.requestLog.entries.last?.user == "exec-cert-user")
                #expect(client.credentialStatus.expiry != nil)  // the certificate's NotAfter
                // A plugin answering another apiVersion is refused with a clear message.
                let v1 = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .exec(ExecConfig(command: folder + "/plugin.sh"))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let error = await #expect(throws: KubeClientError.self) {
                    _ = try await ClientBehaviourTests.status(v1, "/api/v1/pods")
                }
                #expect(error?.message.contains("answered apiVersion client.authentication.k8s.io/v1beta1") == true)
            }
        }
    }

    @Test("a burst of changes gives few full updates (debounced)")
    func debounce() async throws {
        let sim = try SimulatedCluster(ClusterConfiguration(name: "burst"))
        let token = sim.issueToken(for: .admin())
        try sim.addExporterPods(namespace: "app", count: 5, seriesPerPod: 1)
        try await sim.withRunning { sim in
            try await KubeTestSupport.withHTTPClient { http in
                let client = KubeClusterClient(
                    config: try KubeTestSupport.config(sim, auth: .bearerToken(Secret(token))),
                    httpClient: http,
                    logger: Logger(label: "t")
                )
                let discovery = ClusterDiscovery(client: client, logger: Logger(label: "t"))  // default 200 ms debounce
                try await KubeTestSupport.withDiscovery(discovery) { updates in
                    #expect(await KubeTestSupport.eventually { updates.latest?.targets.count == 5 })
                    let before = updates.updates.count
                    for index in 0..<100 {
                        try sim.addExporterPods(namespace: "burst", count: 1, seriesPerPod: 1, namePrefix: "b\(index)")
                    }
                    #expect(await KubeTestSupport.eventually { updates.latest?.targets.count == 105 })
                    let during = updates.updates.count - before
                    #expect(during >= 1 && during <= 4, "\(during) updates for a burst of 100 changes")
                }
            }
        }
    }
}
