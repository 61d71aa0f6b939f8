import ArgumentParser
import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation

/// `crowsnest get-token FILE`: print a cluster file's credential as a `client.authentication.k8s.io/v1`
/// ExecCredential (kubectl's exec plugin protocol).
struct GetTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-token",
        abstract: "Print a cluster file's bearer token as a client.authentication.k8s.io/v1 ExecCredential.",
        discussion: """
            Obtains the token exactly as the gateway does (token file, kubeconfig user, exec plugin, or the \
            built-in aws / gcp credentials) and prints the ExecCredential kubectl expects from an exec plugin, \
            so kubectl can use Crowsnest itself (users[].user.exec: {command: crowsnest, args: [get-token, FILE], \
            apiVersion: client.authentication.k8s.io/v1}) and a cluster file's credentials can be checked in one \
            command. A failure names the step and the endpoint, never a secret; the exit status is then 1 (2 for \
            a file that does not validate).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The cluster file (YAML).")
    var file: String

    func run() async throws {
        global.bootstrapLogging()
        let report = ClusterFile.load(path: file)
        guard let config = report.config else {
            for problem in report.problems where problem.severity == .error { standardError(problem.description) }
            throw ExitStatus.usageOrConfigError
        }
        let output: String
        do {
            output = try await KubeHTTPClient.withClient { client in
                do throws(KubeClientError) {
                    return Result<String, KubeClientError>.success(
                        try await ExecCredentialOutput.render(config: config, httpClient: client)
                    )
                } catch {
                    return .failure(error)
                }
            }.get()
        } catch let error as KubeClientError {
            standardError("error: \(error.message)")
            throw error.code == .configuration ? ExitStatus.usageOrConfigError : ExitStatus.runtimeFailure
        }
        FileHandle.standardOutput.write(Data((output + "\n").utf8))
    }

    private func standardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
