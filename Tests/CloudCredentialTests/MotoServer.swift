import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PeerSupport
import Testing

/// A `moto_server` (PyPI `moto[server]`, the standard AWS mock) on a free loopback port: the STS the AWS tests
/// call. Stop it with ``stop()`` (in a `defer`).
final class MotoServer: Sendable {
    /// The process.
    let process: PeerProcess
    /// `http://127.0.0.1:PORT`.
    let endpoint: String

    /// Starts moto; `environment` is added to its own (such as `INITIAL_NO_AUTH_ACTION_COUNT=0`, which makes it
    /// check request signatures against the IAM keys it knows).
    init(environment: [String: String] = [:]) async throws {
        _ = try await PythonPeer.require(module: "moto.server", pipPackage: "moto[server]")
        let binary = try PeerBinary.require("moto_server", debianPackage: "moto (pip install 'moto[server]')")
        let port = try freeLoopbackPort()
        let scratch = try TemporaryDirectory("moto")
        process = try PeerProcess(
            binary,
            ["-H", "127.0.0.1", "-p", String(port)],
            environment: environment,
            home: scratch.path
        )
        endpoint = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await Self.get(endpoint + "/moto-api/data.json")) != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        process.stop()
        throw TestFailure("moto_server did not start: \(process.stderr)")
    }

    /// Stops the server.
    func stop() { process.stop() }

    /// One session STS issued.
    struct Session: Sendable {
        var accessKeyID: String
        var secret: String
        var sessionToken: String
        var arn: String
    }

    /// The temporary credentials STS has issued so far, from moto's state dump (`/moto-api/data.json`).
    func issuedSessions() async throws -> [Session] {
        let data = try await Self.get(endpoint + "/moto-api/data.json")
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let roles = (object?["sts"] as? [String: Any])?["AssumedRole"] as? [[String: Any]] ?? []
        return roles.compactMap { role in
            guard let id = role["access_key_id"] as? String, let secret = role["secret_access_key"] as? String,
                let token = role["session_token"] as? String, let arn = role["arn"] as? String
            else { return nil }
            return Session(accessKeyID: id, secret: secret, sessionToken: token, arn: arn)
        }
    }

    static func get(_ url: String) async throws -> Data {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        guard response.status == .ok else { throw TestFailure("GET \(url): \(response.status)") }
        return Data(buffer: try await response.body.collect(upTo: 16 << 20))
    }
}
