import CrowsnestCore
import Foundation

/// Reads the loosely typed YAML of a kubeconfig into its model; relative paths resolve against `directory`.
struct KubeconfigReader {
    var directory: String

    /// `[{name: N, KEY: {...}}, …]` → `[(N, {...})]`.
    func namedEntries(_ value: Any?, list: String, key: String) throws(KubeconfigError) -> [(String, [String: Any])] {
        guard let value else { return [] }
        guard let items = value as? [Any] else { throw KubeconfigError(.syntax, "kubeconfig \(list) is not a list") }
        var result: [(String, [String: Any])] = []
        for (index, item) in items.enumerated() {
            guard let map = item as? [String: Any], let name = map["name"] as? String, !name.isEmpty else {
                throw KubeconfigError(.syntax, "kubeconfig \(list)[\(index)] has no name")
            }
            let body = map[key] as? [String: Any] ?? [:]
            result.append((name, body))
        }
        return result
    }

    func path(_ written: String) -> String {
        KubeconfigPaths.resolve(written, against: directory)
    }

    func decodedData(_ value: Any?, field: String, owner: String) throws(KubeconfigError) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact), let pem = String(data: data, encoding: .utf8) else {
            throw KubeconfigError(.invalidField, "\(owner): \(field) is not valid base64 of PEM text")
        }
        return pem
    }

    func cluster(_ body: [String: Any], name: String) throws(KubeconfigError) -> Kubeconfig.Cluster {
        let owner = "kubeconfig cluster \"\(name)\""
        var ca: CertificateAuthoritySource?
        if let pem = try decodedData(
            body["certificate-authority-data"],
            field: "certificate-authority-data",
            owner: owner
        ) {
            ca = .pem(pem)
        } else if let file = body["certificate-authority"] as? String, !file.isEmpty {
            ca = .file(path: path(file))
        }
        return Kubeconfig.Cluster(
            server: body["server"] as? String,
            certificateAuthority: ca,
            insecureSkipVerify: KubeconfigReader.bool(body["insecure-skip-tls-verify"]),
            tlsServerName: (body["tls-server-name"] as? String).flatMap { $0.isEmpty ? nil : $0 },
            proxyURL: (body["proxy-url"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    static func bool(_ value: Any?) -> Bool {
        if let flag = value as? Bool { return flag }
        if let text = value as? String { return text == "true" }
        return false
    }

    func user(_ body: [String: Any], name: String) throws(KubeconfigError) -> KubeconfigUser {
        let owner = "kubeconfig user \"\(name)\""
        var user = KubeconfigUser()
        if let token = body["token"] as? String, !token.isEmpty { user.token = Secret(token) }
        if let file = body["tokenFile"] as? String, !file.isEmpty { user.tokenFile = path(file) }
        if let pem = try decodedData(body["client-certificate-data"], field: "client-certificate-data", owner: owner) {
            user.clientCertificate = .data(Secret(pem))
        } else if let file = body["client-certificate"] as? String, !file.isEmpty {
            user.clientCertificate = .file(path: path(file))
        }
        if let pem = try decodedData(body["client-key-data"], field: "client-key-data", owner: owner) {
            user.clientKey = .data(Secret(pem))
        } else if let file = body["client-key"] as? String, !file.isEmpty {
            user.clientKey = .file(path: path(file))
        }
        if let provider = body["auth-provider"] as? [String: Any] {
            user.authProviderName = provider["name"] as? String ?? "unnamed"
        }
        user.hasUsername = (body["username"] as? String).map { !$0.isEmpty } ?? false
        user.hasPassword = (body["password"] as? String).map { !$0.isEmpty } ?? false
        if let exec = body["exec"] as? [String: Any] {
            user.exec = try self.exec(exec, owner: owner)
        }
        return user
    }

    func exec(_ body: [String: Any], owner: String) throws(KubeconfigError) -> ExecConfig {
        guard let command = body["command"] as? String, !command.isEmpty else {
            throw KubeconfigError(.invalidField, "\(owner): exec has no command")
        }
        // client-go resolves a command with a path separator against the kubeconfig's folder; a bare name uses PATH.
        let resolved = command.contains("/") ? path(command) : command
        let args = (body["args"] as? [Any] ?? []).map { "\($0)" }
        var env: [ExecEnvironmentVariable] = []
        for (index, item) in (body["env"] as? [Any] ?? []).enumerated() {
            guard let map = item as? [String: Any], let name = map["name"] as? String, !name.isEmpty else {
                throw KubeconfigError(.invalidField, "\(owner): exec env[\(index)] has no name")
            }
            env.append(ExecEnvironmentVariable(name: name, value: Secret(map["value"].map { "\($0)" } ?? "")))
        }
        let apiVersion = body["apiVersion"] as? String ?? ExecConfig.defaultAPIVersion
        guard ExecConfig.supportedAPIVersions.contains(apiVersion) else {
            throw KubeconfigError(
                .unsupported,
                "\(owner): exec apiVersion \"\(apiVersion)\" is not supported (use client.authentication.k8s.io/v1 or v1beta1)"
            )
        }
        return ExecConfig(command: resolved, args: args, env: env, apiVersion: apiVersion)
    }
}

/// Path helpers shared by the kubeconfig and credential code.
enum KubeconfigPaths {
    static func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    static func resolve(_ written: String, against directory: String) -> String {
        let expanded = expandingHome(written)
        if expanded.hasPrefix("/") { return expanded }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return URL(fileURLWithPath: base + expanded).standardizedFileURL.path
    }

    static func directory(of path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: absolute).deletingLastPathComponent().path
    }

    /// A short reason for a file error, without the file's content.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            default: return "read error \(nsError.code)"
            }
        }
        return "read error"
    }
}
