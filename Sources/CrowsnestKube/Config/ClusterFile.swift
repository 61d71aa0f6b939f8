public import CrowsnestCore

/// Loading one cluster file: read, parse YAML, decode and validate (`ClusterConfig.decode`).
public enum ClusterFile {
    /// Decodes a cluster file's text. No file is touched: `context` supplies the path, folder and home directory.
    public static func parse(yaml: String, context: ClusterFileContext) -> ClusterFileReport {
        switch ConfigYAML.parse(yaml, file: context.file) {
        case .success(let root):
            return ClusterConfig.decode(root, context: context)
        case .failure(let problem):
            return ClusterFileReport(
                path: context.file,
                claimedName: nil,
                problems: [problem]
            )
        }
    }

    /// Reads and decodes the cluster file at `path`.
    ///
    /// Relative paths inside it resolve against its folder (made absolute with the working directory), `~` against
    /// the file system's home directory. A file holding inline secrets (`bearer_token`, exec `env`) that group or
    /// others may read gets a warning. Referenced files are not checked here: call
    /// `ClusterFileReport.validateReferencedFiles(fileSystem:)`.
    public static func load(
        path: String,
        fileSystem: any ConfigFileSystem = LocalConfigFileSystem(),
        globalConfig: GlobalConfig = GlobalConfig()
    ) -> ClusterFileReport {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.contentsOfFile(atPath: path)
        } catch {
            return ClusterFileReport(
                path: path,
                problems: [
                    ConfigProblem(
                        code: .io,
                        location: ConfigSourceLocation(file: path),
                        field: "",
                        reason: "cannot read the file: \(error.reason)"
                    )
                ]
            )
        }
        var folder = ConfigPaths.directory(of: path)
        if !folder.hasPrefix("/") { folder = ConfigPaths.normalize(fileSystem.currentDirectory + "/" + folder) }
        let context = ClusterFileContext(
            file: path,
            baseDirectory: folder,
            homeDirectory: fileSystem.homeDirectory,
            scrapeDefaults: globalConfig.scrape
        )
        var report: ClusterFileReport
        switch ConfigYAML.parse(bytes: bytes, file: path) {
        case .success(let root): report = ClusterConfig.decode(root, context: context)
        case .failure(let problem): report = ClusterFileReport(path: path, problems: [problem])
        }
        if report.containsInlineSecrets, let status = fileSystem.status(ofPath: path), status.isAccessibleByOthers {
            report.add([
                ConfigProblem(
                    .warning,
                    code: .permissions,
                    location: ConfigSourceLocation(file: path),
                    field: "",
                    reason: "holds secrets (bearer_token or exec env) but has mode \(status.octalPermissions); "
                        + "make it readable by its owner only (chmod 600)"
                )
            ])
        }
        return report
    }
}

extension ClusterFileReport {
    /// Checks the files this cluster file names — they exist, are readable, hold what they should (PEM for CA and
    /// certificates, a key, a non-empty token), exec commands are executable — and warns about secret files that
    /// group or others may read. Problems name the file, the field and its position; an error makes `config` nil.
    public mutating func validateReferencedFiles(fileSystem: any ConfigFileSystem = LocalConfigFileSystem()) {
        add(ReferencedFiles.problems(fileReferences, fileSystem: fileSystem))
    }
}

extension GlobalConfigReport {
    /// Checks the files `crowsnest.yaml` names (TLS certificate and key, password and token files).
    public mutating func validateReferencedFiles(fileSystem: any ConfigFileSystem = LocalConfigFileSystem()) {
        add(ReferencedFiles.problems(fileReferences, fileSystem: fileSystem))
    }
}

/// The checks behind `validateReferencedFiles`.
enum ReferencedFiles {
    static func noun(_ kind: ConfigFileReference.Kind) -> String {
        switch kind {
        case .certificateAuthority: "CA file"
        case .bearerToken, .webBearerToken: "token file"
        case .clientCertificate: "client certificate file"
        case .clientKey: "client key file"
        case .kubeconfig: "kubeconfig"
        case .execCommand: "exec command"
        case .execEnvironmentFile: "exec env file"
        case .serverCertificate: "certificate file"
        case .serverKey: "key file"
        case .password: "password file"
        case .gcpCredentials: "GCP credentials file"
        case .azureFederatedToken: "federated token file"
        case .azureClientSecret: "client secret file"
        }
    }

    static func problems(_ references: [ConfigFileReference], fileSystem: any ConfigFileSystem) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func error(_ reference: ConfigFileReference, _ reason: String) {
            problems.append(
                ConfigProblem(
                    code: .referencedFile,
                    location: reference.location,
                    field: reference.field,
                    reason: reason
                )
            )
        }
        func warning(_ reference: ConfigFileReference, _ code: ConfigProblem.Code, _ reason: String) {
            problems.append(
                ConfigProblem(
                    .warning,
                    code: code,
                    location: reference.location,
                    field: reference.field,
                    reason: reason
                )
            )
        }
        for reference in references {
            let noun = noun(reference.kind)
            let path = reference.path
            if reference.kind == .execCommand && !path.contains("/") {
                let found = fileSystem.executableSearchPath.contains {
                    fileSystem.isExecutableFile(atPath: ConfigPaths.normalize($0 + "/" + path))
                }
                if !found {
                    warning(
                        reference,
                        .referencedFile,
                        "exec command \(path) is not in PATH here; it must be where the gateway runs"
                    )
                }
                continue
            }
            guard let status = fileSystem.status(ofPath: path) else {
                if reference.kind.mayBeTheSecretItself {
                    // A token or password pasted into the field would be echoed: name the folder only.
                    let folder = ConfigPaths.directory(of: path)
                    error(
                        reference,
                        "\(noun) does not exist in \(folder) (its name is not shown: it may be the secret itself)"
                    )
                } else {
                    error(reference, "\(noun) \(path) does not exist")
                }
                continue
            }
            guard status.kind == .file else {
                error(
                    reference,
                    "\(noun) \(path) is \(status.kind == .directory ? "a directory" : "not a regular file")"
                )
                continue
            }
            if reference.kind == .execCommand {
                if !fileSystem.isExecutableFile(atPath: path) { error(reference, "\(noun) \(path) is not executable") }
                continue
            }
            guard fileSystem.isReadableFile(atPath: path) else {
                error(reference, "\(noun) \(path) is not readable (mode \(status.octalPermissions))")
                continue
            }
            if reference.kind.holdsSecret && status.isAccessibleByOthers {
                warning(
                    reference,
                    .permissions,
                    "\(noun) \(path) has mode \(status.octalPermissions); "
                        + "make it readable by its owner only (chmod 600)"
                )
            }
            let contents: [UInt8]
            do {
                contents = try fileSystem.contentsOfFile(atPath: path)
            } catch let failure {
                error(reference, "\(noun) \(path) cannot be read: \(failure.reason)")
                continue
            }
            // The contents are never quoted: token, key and password files are secret.
            let text = String(decoding: contents, as: UTF8.self)
            switch reference.kind {
            case .certificateAuthority, .clientCertificate, .serverCertificate:
                if !text.contains("-----BEGIN CERTIFICATE-----") {
                    error(reference, "\(noun) \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
                }
            case .clientKey, .serverKey:
                if !(text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----")) {
                    error(reference, "\(noun) \(path) holds no PEM private key (-----BEGIN … PRIVATE KEY-----)")
                }
            case .bearerToken, .webBearerToken, .password, .azureFederatedToken, .azureClientSecret:
                if text.allSatisfy(\.isWhitespace) { error(reference, "\(noun) \(path) is empty") }
            case .execEnvironmentFile:
                do throws(ExecEnvironmentFile.ParseError) {
                    _ = try ExecEnvironmentFile.parse(text)
                } catch let failure {
                    error(reference, "\(noun) \(path): \(failure.description) (expected KEY=VALUE lines)")
                }
            case .gcpCredentials:
                if !text.contains("\"type\"") {
                    error(reference, "\(noun) \(path) is not a Google credentials JSON file")
                }
            case .kubeconfig, .execCommand:
                break
            }
        }
        return problems
    }
}
