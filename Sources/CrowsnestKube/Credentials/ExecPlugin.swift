import CrowsnestCore
import Foundation

/// What an exec credential plugin printed (`ExecCredential.status`). Printing it never shows a secret.
struct ExecCredential: Sendable, CustomStringConvertible {
    var token: Secret?
    var clientCertificatePEM: Secret?
    var clientKeyPEM: Secret?
    var expiry: Date?
    var fetchedAt = Date()
    /// How long before `expiry` a new one is fetched; nil = a fifth of the lifetime, at most 30 s.
    var refreshMargin: TimeInterval?
    /// Who it authenticates as, when known (built-in cloud credentials), for the health page.
    var identity: String?

    var description: String { "ExecCredential(expiry: \(expiry.map { "\($0)" } ?? "none"))" }
}

/// Runs an exec credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`) once, with a timeout.
struct ExecPlugin: Sendable {
    var config: ExecConfig
    var cluster: String

    /// Runs the plugin and parses its output. Errors name the command and what went wrong, never the output or
    /// the environment values.
    func run() async throws(KubeClientError) -> ExecCredential {
        let variables = try configuredEnvironment()
        let environment = mergedEnvironment(variables)
        guard let executable = Self.locate(config.command, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw failure("exec plugin command \"\(config.command)\" was not found (looked in PATH)")
        }
        let outcome: ChildProcess.Outcome
        do throws(ChildProcess.SpawnError) {
            outcome = try await ChildProcess.run(
                executable: executable,
                arguments: config.args,
                environment: environment,
                timeout: config.timeout
            )
        } catch {
            throw failure("cannot start exec plugin \"\(config.command)\": \(error.reason)")
        }
        guard let status = outcome.status else {
            if Task.isCancelled {
                throw KubeClientError(.cancelled, cluster: cluster, "exec plugin of cluster \(cluster) was cancelled")
            }
            throw failure(
                "exec plugin \"\(config.command)\" did not finish within \(config.timeout.prometheusDescription) and was killed"
            )
        }
        guard status == 0 else {
            let hint = redactedFirstLine(Data(outcome.stderr), secrets: variables)
            throw failure(
                "exec plugin \"\(config.command)\" exited with status \(status)" + (hint.isEmpty ? "" : ": \(hint)")
            )
        }
        return try parse(Data(outcome.stdout))
    }

    func failure(_ message: String) -> KubeClientError {
        KubeClientError(.credentials, cluster: cluster, "cluster \(cluster): \(message)")
    }

    /// The configured variables: `env_file`'s (read now, at each run, so a rotated secret is picked up), then
    /// `env`'s, which win. Errors name the file and the line, never a value.
    func configuredEnvironment() throws(KubeClientError) -> [ExecEnvironmentVariable] {
        guard let path = config.envFile else { return config.env }
        let text: String
        switch CredentialFiles.read(path, what: "exec env file") {
        case .success(let read): text = read
        case .failure(let problem): throw failure(problem.message)
        }
        do throws(ExecEnvironmentFile.ParseError) {
            return try ExecEnvironmentFile.parse(text) + config.env
        } catch {
            throw failure("exec env file \(path): \(error.description) (expected KEY=VALUE lines)")
        }
    }

    /// The process environment plus `variables` plus `KUBERNETES_EXEC_INFO`.
    func mergedEnvironment(_ variables: [ExecEnvironmentVariable]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for variable in variables { environment[variable.name] = variable.value.revealed }
        // Crowsnest never runs plugins interactively (no terminal; stdin is /dev/null).
        environment["KUBERNETES_EXEC_INFO"] =
            #"{"kind":"ExecCredential","apiVersion":"\#(config.apiVersion)","spec":{"interactive":false}}"#
        return environment
    }

    /// Parses an ExecCredential; the message names what is wrong but never quotes the output.
    func parse(_ data: Data) throws(KubeClientError) -> ExecCredential {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw failure(
                "exec plugin \"\(config.command)\" printed \(data.count) bytes that are not an ExecCredential JSON object"
            )
        }
        guard object["kind"] as? String == "ExecCredential" else {
            throw failure("exec plugin \"\(config.command)\" printed JSON whose kind is not ExecCredential")
        }
        if let version = object["apiVersion"] as? String, version != config.apiVersion {
            throw failure(
                "exec plugin \"\(config.command)\" answered apiVersion \(version), expected \(config.apiVersion)"
            )
        }
        guard let status = object["status"] as? [String: Any] else {
            throw failure("exec plugin \"\(config.command)\" printed an ExecCredential without status")
        }
        var credential = ExecCredential()
        if let token = status["token"] as? String, !token.isEmpty { credential.token = Secret(token) }
        if let certificate = status["clientCertificateData"] as? String, !certificate.isEmpty {
            credential.clientCertificatePEM = Secret(certificate)
        }
        if let key = status["clientKeyData"] as? String, !key.isEmpty { credential.clientKeyPEM = Secret(key) }
        if (credential.clientCertificatePEM == nil) != (credential.clientKeyPEM == nil) {
            throw failure(
                "exec plugin \"\(config.command)\" printed a client certificate without a key, or a key without a certificate"
            )
        }
        if credential.token == nil && credential.clientCertificatePEM == nil {
            throw failure("exec plugin \"\(config.command)\" printed neither a token nor a client certificate")
        }
        if let expiry = status["expirationTimestamp"] as? String {
            guard let date = CredentialExpiry.parseRFC3339(expiry) else {
                throw failure("exec plugin \"\(config.command)\" printed an expirationTimestamp that is not RFC 3339")
            }
            credential.expiry = date
        }
        if credential.expiry == nil, let certificate = credential.clientCertificatePEM {
            credential.expiry = CredentialExpiry.earliestNotAfter(pem: certificate.revealed)
        }
        return credential
    }

    /// The first line of the plugin's stderr, at most 200 characters, with configured secret values and anything
    /// token-like (long runs of base64/URL characters) replaced by `<redacted>`.
    func redactedFirstLine(_ data: Data, secrets: [ExecEnvironmentVariable]? = nil) -> String {
        guard let text = String(data: data, encoding: .utf8) else { return "" }
        var line = String(
            text.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) }) ?? ""
        )
        for variable in secrets ?? config.env where variable.value.revealed.count >= 4 {
            line = line.replacingOccurrences(of: variable.value.revealed, with: "<redacted>")
        }
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let tokenish =
                word.count >= 20 && word.allSatisfy { $0.isLetter || $0.isNumber || "+/=._-:".contains($0) }
                && word.contains(where: \.isNumber)
            return tokenish ? "<redacted>" : String(word)
        }
        line = words.joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// Finds `command` (a path, or a name in `path`).
    static func locate(_ command: String, path: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + command
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
