import CompressNIO
import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import Testing

@Suite("Pod proxy", .timeLimit(.minutes(2)))
struct ProxyTests {
    static func setup(_ cluster: SimulatedCluster) throws {
        try cluster.addExporterPods(namespace: "apps", count: 2, seriesPerPod: 150)
        try cluster.pods.add(
            SimulatedPod(
                namespace: "apps",
                name: "pending",
                containers: [.init(name: "c", ports: [.init(containerPort: 9102)])],
                phase: .pending
            )
        )
        try cluster.pods.add(
            SimulatedPod(
                namespace: "apps",
                name: "refusing",
                containers: [.init(name: "c", ports: [.init(name: "metrics", containerPort: 9102)])],
                podIP: "10.244.9.9"
            )
        )
    }

    @Test func scrapesExporterThroughProxy() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let text = try await client.send("/api/v1/namespaces/apps/pods/app-0:9102/proxy/metrics")
            #expect(text.status == 200)
            #expect(text.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let samples = text.text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(samples.count == 150)
            #expect(text.text.contains("# TYPE http_requests_total counter"))

            let openMetrics = try await client.send(
                "/api/v1/namespaces/apps/pods/http:app-1:9102/proxy/metrics",
                headers: [("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")]
            )
            #expect(openMetrics.headers.first(name: "Content-Type")?.hasPrefix("application/openmetrics-text") == true)
            #expect(openMetrics.text.hasSuffix("# EOF\n"))
            #expect(openMetrics.text.contains("# TYPE http_requests counter"))

            let gzipped = try await client.send(
                "/api/v1/namespaces/apps/pods/app-0/proxy/metrics",
                headers: [("Accept-Encoding", "gzip")]
            )
            #expect(gzipped.headers.first(name: "Content-Encoding") == "gzip")
            var compressed = gzipped.body
            let inflated = try compressed.decompress(with: .gzip())
            #expect(String(buffer: inflated).contains("process_cpu_seconds_total"))

            // Authorization never reaches the pod; X-Forwarded-* do.
            let exporter = try #require(exporterOf(cluster, "apps", "app-0"))
            let seen = try #require(exporter.recentRequests.last)
            #expect(seen.header("Authorization") == nil)
            #expect(seen.header("X-Forwarded-For") == "127.0.0.1")
            #expect(seen.header("X-Forwarded-Proto") == "https")
            #expect(seen.header("X-Forwarded-Uri") == "/api/v1/namespaces/apps/pods/app-0/proxy/metrics")
            #expect(seen.header("Accept-Encoding") == "gzip")
        }
    }

    @Test func countersGrowBetweenScrapes() async throws {
        try await withCluster(setup: Self.setup) { _, client in
            func cpu() async throws -> Double {
                let body = try await client.send("/api/v1/namespaces/apps/pods/app-0:9102/proxy/metrics").text
                let line = body.split(separator: "\n").first { $0.hasPrefix("process_cpu_seconds_total ") }
                return Double(line?.split(separator: " ").last ?? "") ?? -1
            }
            let first = try await cpu()
            try await Task.sleep(for: .milliseconds(1200))
            let second = try await cpu()
            #expect(second > first)
        }
    }

    @Test func proxyErrorsAreStatuses() async throws {
        try await withCluster(setup: Self.setup) { _, client in
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/a:b:c:d/proxy/metrics"),
                code: 400,
                reason: "BadRequest",
                message: "invalid pod request \"a:b:c:d\""
            )
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/ftp:app-0:9102/proxy/metrics"),
                code: 400,
                reason: "BadRequest"
            )
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/pending:9102/proxy/metrics"),
                code: 400,
                reason: "BadRequest",
                message: "address not allowed"
            )
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/ghost:9102/proxy/metrics"),
                code: 404,
                reason: "NotFound",
                message: "pods \"ghost\" not found"
            )
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/refusing:9102/proxy/metrics"),
                code: 503,
                reason: "ServiceUnavailable",
                message: "error trying to reach service: dial tcp 10.244.9.9:9102: connect: connection refused"
            )
            StatusTests.expectStatus(
                try await client.send("/api/v1/namespaces/apps/pods/app-0:9999/proxy/metrics"),
                code: 503,
                reason: "ServiceUnavailable"
            )
            let redirect = try await client.send("/api/v1/namespaces/apps/pods/app-0:9102/proxy?x=1")
            #expect(redirect.status == 301)
            #expect(redirect.headers.first(name: "Location") == "/api/v1/namespaces/apps/pods/app-0:9102/proxy/?x=1")
            let notFound = try await client.send("/api/v1/namespaces/apps/pods/app-0:9102/proxy/other")
            #expect(notFound.status == 404)
            #expect(notFound.text == "404 page not found\n")
        }
    }

    @Test func podMisbehaviourComesBackVerbatim() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            let exporter = try #require(exporterOf(cluster, "apps", "app-1"))
            let path = "/api/v1/namespaces/apps/pods/app-1:9102/proxy/metrics"

            exporter.behavior = .status(500, body: "boom\n")
            let failing = try await client.send(path)
            #expect(failing.status == 500)
            #expect(failing.text == "boom\n")

            exporter.behavior = .redirect(
                location: "http://\(cluster.pods.get(namespace: "apps", name: "app-1")!.podIP!):9102/elsewhere",
                status: 302
            )
            let moved = try await client.send(path)
            #expect(moved.status == 302)
            #expect(moved.headers.first(name: "Location") == "/api/v1/namespaces/apps/pods/app-1:9102/proxy/elsewhere")

            exporter.behavior = .garbage
            let garbage = try await client.send(path)
            #expect(garbage.status == 200)
            #expect(garbage.text.contains("not metrics"))

            exporter.behavior = .gzipBomb(decompressedBytes: 64 << 20)
            let bomb = try await client.send(path)
            #expect(bomb.headers.first(name: "Content-Encoding") == "gzip")
            #expect(bomb.body.readableBytes < 1 << 20)

            exporter.behavior = .normal
            let whole = try await client.send(path, headers: [("Accept-Encoding", "gzip")]).body
            exporter.behavior = .truncatedGzip
            var truncated = try await client.send(path, headers: [("Accept-Encoding", "gzip")]).body
            #expect(truncated.readableBytes < whole.readableBytes * 3 / 4)
            let inflated = (try? truncated.decompress(with: .gzip())).map { String(buffer: $0) } ?? ""
            #expect(
                !inflated.hasSuffix("\n") || inflated.count < 1000,
                "a truncated stream cannot inflate to a whole exposition"
            )

            exporter.behavior = .hang
            await #expect(throws: (any Error).self) { _ = try await client.send(path, timeout: .milliseconds(500)) }

            exporter.behavior = .delay(.milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await client.send(path).status == 200)
            #expect(clock.now - start >= .milliseconds(300))

            exporter.behavior = .trickle(chunkBytes: 4096, interval: .milliseconds(20))
            let trickled = try await client.send(path)
            #expect(trickled.text.contains("app_queue_depth") || trickled.text.contains("http_requests_total"))

            exporter.behavior = .truncatedBody
            await #expect(throws: (any Error).self) { _ = try await client.send(path) }

            exporter.behavior = .resetConnection
            StatusTests.expectStatus(try await client.send(path), code: 503, reason: "ServiceUnavailable")

            exporter.behavior = .normal
            #expect(try await client.send(path).status == 200)
        }
    }

    @Test func forwardsToARealPort() async throws {
        let exporter = SimulatedExporter(series: 120)
        let server = try ExporterServer(exporter: exporter)
        try await server.withRunning { server in
            let port = try #require(server.port)
            try await withCluster { cluster, client in
                try cluster.pods.add(
                    SimulatedPod(
                        namespace: "apps",
                        name: "real",
                        containers: [.init(name: "c", ports: [.init(name: "metrics", containerPort: 9100)])],
                        podIP: "10.244.0.200",
                        backends: [9100: .address(host: "127.0.0.1", port: port)]
                    )
                )
                let response = try await client.send(
                    "/api/v1/namespaces/apps/pods/real/proxy/metrics?debug=1",
                    headers: [("Accept-Encoding", "gzip"), ("X-Custom", "kept")]
                )
                #expect(response.status == 200)
                #expect(response.headers.first(name: "Content-Encoding") == "gzip")
                let seen = try #require(exporter.recentRequests.last)
                #expect(seen.query == "debug=1")
                #expect(seen.header("Authorization") == nil)
                #expect(seen.header("X-Custom") == "kept")
                #expect(seen.header("X-Forwarded-Proto") == "https")
                #expect(seen.header("Accept-Encoding") == "gzip")
            }
        }
    }

    @Test func proxyLatencyFault() async throws {
        try await withCluster(setup: Self.setup) { cluster, client in
            cluster.updateFaults { $0.proxyLatency = .milliseconds(250) }
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await client.send("/api/v1/namespaces/apps/pods/app-0/proxy/metrics")
            #expect(response.status == 200)
            #expect(clock.now - start >= .milliseconds(250))
            let logged = cluster.requestLog.entries.last
            #expect(logged?.kind == .proxy)
            #expect(logged?.status == 200)
            #expect(logged?.user == "kubernetes-admin")
        }
    }
}

func exporterOf(_ cluster: SimulatedCluster, _ namespace: String, _ name: String) -> SimulatedExporter? {
    guard let pod = cluster.pods.get(namespace: namespace, name: name) else { return nil }
    for backend in pod.backends.values {
        if case .exporter(let exporter) = backend { return exporter }
    }
    return nil
}
