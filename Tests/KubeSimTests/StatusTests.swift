import Foundation
import KubeSim
import NIOCore
import NIOHTTP1
import PeerSupport
import Testing

/// Every Status error shape the simulator produces, and malformed requests.
@Suite("Status errors and malformed requests")
struct StatusTests {
    static func expectStatus(
        _ response: TestResponse,
        code: Int,
        reason: String,
        message: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == code, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "Content-Type") == "application/json", sourceLocation: sourceLocation)
        #expect(response.json["kind"] as? String == "Status", sourceLocation: sourceLocation)
        #expect(response.json["apiVersion"] as? String == "v1", sourceLocation: sourceLocation)
        #expect(response.json["status"] as? String == "Failure", sourceLocation: sourceLocation)
        #expect(response.json["code"] as? Int == code, sourceLocation: sourceLocation)
        #expect(response.json["reason"] as? String == reason, sourceLocation: sourceLocation)
        if let message {
            #expect(response.json["message"] as? String == message, sourceLocation: sourceLocation)
        }
    }

    @Test func unauthorized() async throws {
        try await withCluster { cluster, client in
            var anonymous = client
            anonymous.token = nil
            Self.expectStatus(
                try await anonymous.send("/api/v1/pods"),
                code: 401,
                reason: "Unauthorized",
                message: "Unauthorized"
            )
            var wrong = client
            wrong.token = "not-a-token"
            Self.expectStatus(try await wrong.send("/api/v1/pods"), code: 401, reason: "Unauthorized")
            // /version is public.
            #expect(try await anonymous.send("/version").status == 200)
            let entry = cluster.requestLog.entries.last { $0.status == 401 }
            #expect(entry?.user == nil)
        }
    }

    @Test func forbiddenMessages() async throws {
        try await withCluster { cluster, client in
            try cluster.addPlainPods(namespace: "app", count: 1)
            let gateway = Identity.serviceAccount(namespace: "mon", name: "gw")
            cluster.policy.allow(
                .user(gateway.user),
                verbs: ["list", "watch"],
                resources: ["pods"],
                namespaces: ["app"]
            )
            var limited = client
            limited.token = cluster.issueToken(for: gateway)
            Self.expectStatus(
                try await limited.send("/api/v1/namespaces/app/pods/pod-0/proxy/metrics"),
                code: 403,
                reason: "Forbidden",
                message:
                    "pods \"pod-0\" is forbidden: User \"system:serviceaccount:mon:gw\" cannot get resource \"pods/proxy\" in API group \"\" in the namespace \"app\""
            )
            Self.expectStatus(
                try await limited.send("/api/v1/pods"),
                code: 403,
                reason: "Forbidden",
                message:
                    "pods is forbidden: User \"system:serviceaccount:mon:gw\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
            )
            Self.expectStatus(
                try await limited.send("/api/v1/namespaces/other/pods?watch=1"),
                code: 403,
                reason: "Forbidden",
                message:
                    "pods is forbidden: User \"system:serviceaccount:mon:gw\" cannot watch resource \"pods\" in API group \"\" in the namespace \"other\""
            )
            Self.expectStatus(
                try await limited.send("/logs"),
                code: 403,
                reason: "Forbidden",
                message: "forbidden: User \"system:serviceaccount:mon:gw\" cannot get path \"/logs\""
            )
            let denied = try await limited.send("/api/v1/namespaces/app/pods/pod-0/proxy/metrics")
            #expect(denied.json[path: "details", "name"] as? String == "pod-0")
            #expect(denied.json[path: "details", "kind"] as? String == "pods")
            #expect(try await limited.send("/api/v1/namespaces/app/pods").status == 200)
            #expect(try await limited.send("/api").status == 200)
        }
    }

    @Test func badRequestsAndInvalidOptions() async throws {
        try await withCluster { _, client in
            Self.expectStatus(
                try await client.send("/api/v1/pods?fieldSelector=spec.foo%3Dbar"),
                code: 400,
                reason: "BadRequest",
                message: "field label not supported: spec.foo"
            )
            Self.expectStatus(
                try await client.send("/api/v1/pods?labelSelector=a%3Db%3Dc"),
                code: 400,
                reason: "BadRequest"
            )
            Self.expectStatus(try await client.send("/api/v1/pods?limit=ten"), code: 400, reason: "BadRequest")
            Self.expectStatus(try await client.send("/api/v1/pods?continue=%%%"), code: 400, reason: "BadRequest")
            Self.expectStatus(
                try await client.send("/api/v1/pods?continue=bm90LWpzb24"),
                code: 400,
                reason: "BadRequest"
            )
            Self.expectStatus(
                try await client.send("/api/v1/pods?resourceVersion=abc"),
                code: 400,
                reason: "BadRequest"
            )
            let invalid = try await client.send("/api/v1/pods?resourceVersionMatch=NotOlderThan")
            Self.expectStatus(
                invalid,
                code: 422,
                reason: "Invalid",
                message:
                    "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
            )
            let cause = (invalid.json[path: "details", "causes"] as? [[String: Any]])?.first
            #expect(cause?["reason"] as? String == "FieldValueForbidden")
            #expect(cause?["field"] as? String == "resourceVersionMatch")
            Self.expectStatus(
                try await client.send("/api/v1/pods?watch=1&resourceVersionMatch=Exact&resourceVersion=1"),
                code: 422,
                reason: "Invalid"
            )
            Self.expectStatus(
                try await client.send("/api/v1/pods?sendInitialEvents=true"),
                code: 422,
                reason: "Invalid"
            )
        }
    }

    @Test func notFoundAndMethodNotAllowed() async throws {
        try await withCluster { _, client in
            Self.expectStatus(
                try await client.send("/api/v1/configmaps"),
                code: 404,
                reason: "NotFound",
                message: "the server could not find the requested resource"
            )
            Self.expectStatus(try await client.send("/nonsense/path"), code: 404, reason: "NotFound")
            Self.expectStatus(try await client.send("/api/v1/proxy/namespaces/a/pods/b"), code: 404, reason: "NotFound")
            Self.expectStatus(try await client.send("/openapi/v2"), code: 404, reason: "NotFound")
            Self.expectStatus(try await client.send("/openapi/v3"), code: 404, reason: "NotFound")
            Self.expectStatus(
                try await client.send("/api/v1/namespaces/a/pods", method: .POST, body: "{}"),
                code: 405,
                reason: "MethodNotAllowed"
            )
            Self.expectStatus(
                try await client.send("/api/v1/namespaces/a/pods/x", method: .DELETE),
                code: 405,
                reason: "MethodNotAllowed"
            )
        }
    }

    @Test func injectedFailures() async throws {
        try await withCluster { cluster, client in
            cluster.updateFaults {
                $0.failures = [
                    InjectedFailure(.tooManyRequests(retryAfterSeconds: 3), for: .list, times: 1),
                    InjectedFailure(.priorityAndFairness(retryAfterSeconds: 2), for: .list, times: 1),
                    InjectedFailure(.internalError, for: .list, times: 1),
                    InjectedFailure(.serviceUnavailable, for: .list, times: 1),
                    InjectedFailure(.timeout, for: .list, times: 1),
                ]
            }
            let throttled = try await client.send("/api/v1/pods")
            Self.expectStatus(throttled, code: 429, reason: "TooManyRequests")
            #expect(throttled.headers.first(name: "Retry-After") == "3")
            #expect(throttled.json[path: "details", "retryAfterSeconds"] as? Int == 3)
            let apf = try await client.send("/api/v1/pods")
            #expect(apf.status == 429)
            #expect(apf.headers.first(name: "Retry-After") == "2")
            #expect(apf.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(apf.text == "Too many requests, please try again later.\n")
            Self.expectStatus(try await client.send("/api/v1/pods"), code: 500, reason: "InternalError")
            Self.expectStatus(try await client.send("/api/v1/pods"), code: 503, reason: "ServiceUnavailable")
            let timeout = try await client.send("/api/v1/pods")
            Self.expectStatus(timeout, code: 504, reason: "Timeout")
            #expect(timeout.headers.first(name: "Retry-After") == "1")
            #expect(try await client.send("/api/v1/pods").status == 200)
            // A reset before any response.
            cluster.updateFaults { $0.failures = [InjectedFailure(.resetConnection, for: .list, times: 1)] }
            await #expect(throws: (any Error).self) { _ = try await client.send("/api/v1/pods") }
            #expect(try await client.send("/api/v1/pods").status == 200)
            // Latency.
            cluster.updateFaults { $0.latency = .milliseconds(300) }
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await client.send("/version")
            #expect(clock.now - start >= .milliseconds(300))
        }
    }

    @Test func malformedRequestsNeverCrash() async throws {
        try await withCluster { cluster, client in
            // Malformed HTTP inside TLS (openssl s_client as a raw TLS pipe).
            let port = try #require(cluster.port)
            let openssl = try PeerBinary.require("openssl", debianPackage: "openssl")
            func raw(_ text: String) async throws -> String {
                try await PeerProcess.run(
                    openssl,
                    ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-verify_quiet", "-no_ign_eof"],
                    input: Array(text.utf8),
                    timeout: .seconds(20)
                ).stdout
            }
            let badEscape = try await raw(
                "GET /api/v1/namespaces/%zz/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(client.token!)\r\nConnection: close\r\n\r\n"
            )
            #expect(badEscape.hasPrefix("HTTP/1.1 400"), "\(badEscape)")
            #expect(badEscape.contains("\"reason\":\"BadRequest\""))
            let garbageHTTP = try await raw("THIS IS NOT HTTP\r\n\r\n")
            #expect(garbageHTTP.hasPrefix("HTTP/1.1 400"), "\(garbageHTTP)")
            let relative = try await raw("GET api/v1/pods HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(relative.hasPrefix("HTTP/1.1 40"), "\(relative)")
            // Garbage on the socket (not even TLS).
            for garbage in [
                "GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", String(repeating: "A", count: 70_000) + "\r\n\r\n",
                "\u{0}\u{1}\u{2}",
            ] {
                _ = try? await rawExchange(port: port, bytes: Array(garbage.utf8))
            }
            // Oversized body.
            let big = String(repeating: "x", count: 4 * 1024 * 1024)
            let tooLarge = try await client.send(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                method: .POST,
                body: big
            )
            #expect(tooLarge.status == 413)
            // Still serving.
            #expect(try await client.send("/version").status == 200)
        }
    }

    @Test func discovery() async throws {
        var configuration = ClusterConfiguration(name: "disco")
        configuration.gitVersion = "v1.31.4-eks-2d5f260"
        try await withCluster(configuration) { _, client in
            let version = try await client.send("/version").json
            #expect(version["gitVersion"] as? String == "v1.31.4-eks-2d5f260")
            #expect(version["major"] as? String == "1")
            #expect(version["minor"] as? String == "31+")
            #expect(try await client.send("/api").json["kind"] as? String == "APIVersions")
            #expect(try await client.send("/apis").json["kind"] as? String == "APIGroupList")
            let core = try await client.send("/api/v1").json
            let resources = (core["resources"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(resources.contains("pods"))
            #expect(resources.contains("pods/proxy"))
            let authorization = try await client.send("/apis/authorization.k8s.io/v1").json
            #expect(authorization["groupVersion"] as? String == "authorization.k8s.io/v1")
            #expect(try await client.send("/healthz").text == "ok")
        }
    }
}

/// Sends raw bytes over TLS-less TCP? No: the API server speaks TLS, so raw garbage ends the handshake. This
/// writes bytes on a plain TCP connection and reads whatever comes back (bounded), to prove the server survives.
func rawExchange(port: Int, bytes: [UInt8]) async throws -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw TestFailure("connect") }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = recv(fd, &buffer, buffer.count, 0)
    return count > 0 ? Array(buffer[0..<count]) : []
}
