import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `crowsnest healthcheck`: the container image's HEALTHCHECK.
///
/// `serve` writes the URL of its `/-/healthy` (the address it really listens on, `https` when it serves TLS) to the
/// file named by `CROWSNEST_HEALTH_FILE`; this command reads it and asks. So the check follows `--listen`, a
/// crowsnest.yaml `listen:` and `web:` TLS without being told, whatever command line the container was started with.
struct HealthCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the local gateway answers /-/healthy (for container health checks).",
        discussion: """
            The URL comes from --url, else from the file named by $CROWSNEST_HEALTH_FILE, which `crowsnest serve` \
            writes once it listens. The certificate of an HTTPS listener is not verified: this checks liveness on \
            the same machine, not identity.
            """
    )

    /// The environment variable naming the file `serve` writes its health URL to.
    static let fileVariable = "CROWSNEST_HEALTH_FILE"

    @Option(help: "The URL to check (default: the one in $CROWSNEST_HEALTH_FILE).")
    var url: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int64 = 5

    func run() async throws {
        guard let target = url ?? Self.recordedURL() else {
            FileHandle.standardError.write(
                Data("healthcheck: no --url, and \(Self.fileVariable) names no file written by `serve` yet\n".utf8)
            )
            throw ExitStatus.runtimeFailure
        }
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let status: UInt
        do {
            let response = try await client.execute(HTTPClientRequest(url: target), timeout: .seconds(timeout))
            status = response.status.code
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            try? await client.shutdown()
            FileHandle.standardError.write(Data("healthcheck: \(target): \(error)\n".utf8))
            throw ExitStatus.runtimeFailure
        }
        try? await client.shutdown()
        guard status == 200 else {
            FileHandle.standardError.write(Data("healthcheck: \(target) answered \(status)\n".utf8))
            throw ExitStatus.runtimeFailure
        }
    }

    /// The URL `serve` recorded, if the variable names a readable file.
    static func recordedURL() -> String? {
        guard let path = ProcessInfo.processInfo.environment[fileVariable], !path.isEmpty,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Writes `url` to the file named by `CROWSNEST_HEALTH_FILE`, when set (failures are returned, not thrown: the
    /// gateway runs on without a health file).
    static func record(_ url: String) -> String? {
        guard let path = ProcessInfo.processInfo.environment[fileVariable], !path.isEmpty else { return nil }
        do {
            try Data((url + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return nil
        } catch {
            return "cannot write the health check file \(path): \(error.localizedDescription)"
        }
    }
}
