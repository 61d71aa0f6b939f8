import CrowsnestCore
import CrowsnestKube
import Foundation
import Testing

@Suite("clusters.d scanning and referenced files")
struct ConfigDirectoryTests {
    typealias S = ConfigTestSupport

    static func cluster(_ name: String? = nil, server: String = "https://203.0.113.10:6443") -> String {
        (name.map { "name: \($0)\n" } ?? "") + "api_server: \(server)\nauth:\n  bearer_token_file: /tokens/t\n"
    }

    @Test("only *.yaml / *.yml are loaded; hidden files, editor leftovers and examples are ignored")
    func fileNameFilter() {
        let fileSystem = InMemoryConfigFileSystem()
        let loaded = ["prod.yaml", "dev.yml"]
        let ignored = [
            ".hidden.yaml", "prod.yaml~", ".prod.yaml.swp", "prod.yaml.swp", "prod.yaml.tmp", "eks.yaml.example",
            "README.md", "prod.json", "..data", "#prod.yaml#", "PROD.YAML",
        ]
        for name in loaded + ignored {
            fileSystem.writeFile("/etc/c/\(name)", Self.cluster(name.hasPrefix("dev") ? "dev" : nil))
        }
        fileSystem.createDirectory("/etc/c/folder.yaml")
        fileSystem.writeFile("/tokens/t", "token\n")
        let scan = ClusterDirectory(path: "/etc/c", fileSystem: fileSystem).scan()
        #expect(scan.files.map(\.path) == ["/etc/c/dev.yml", "/etc/c/prod.yaml"])
        #expect(scan.clusters.map(\.name) == ["dev", "prod"])
        #expect(Set(scan.ignoredFiles) == Set(ignored + ["folder.yaml"]))
        #expect(!scan.hasErrors, "\(scan.problems)")
        for name in loaded { #expect(ClusterDirectory.isClusterFileName(name)) }
        for name in ignored { #expect(!ClusterDirectory.isClusterFileName(name), "\(name)") }
    }

    @Test("files claiming one name: the first by name keeps it, the others are rejected naming it")
    func duplicateNames() throws {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile("/c/a.yaml", Self.cluster("shared"))
        fileSystem.writeFile("/c/b.yaml", "# b\n" + Self.cluster("shared"))
        fileSystem.writeFile("/c/shared.yaml", Self.cluster())  // the default name collides too
        fileSystem.writeFile("/c/other.yaml", Self.cluster())
        fileSystem.writeFile("/tokens/t", "token\n")
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        #expect(scan.clusters.map(\.name) == ["other", "shared"])
        #expect(scan.files.first { $0.path == "/c/a.yaml" }?.config?.name == "shared")
        let duplicates = scan.problems.filter { $0.code == .duplicateName }
        #expect(duplicates.map(\.location.file).sorted() == ["/c/b.yaml", "/c/shared.yaml"])
        let b = try #require(duplicates.first { $0.location.file == "/c/b.yaml" })
        #expect(
            b.description
                == "/c/b.yaml:2:7: name: cluster name shared is already claimed by a.yaml; this file is not used until "
                + "its name: (or file name) is changed"
        )
        let byFileName = try #require(duplicates.first { $0.location.file == "/c/shared.yaml" })
        #expect(byFileName.location.line == 1 && byFileName.field == "name")
    }

    @Test("a copy of a running cluster's file is rejected; the running file keeps its name")
    func runningOwnerKeepsName() throws {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile("/c/b.yaml", Self.cluster("prod"))
        fileSystem.writeFile("/c/a-copy.yaml", Self.cluster("prod"))
        fileSystem.writeFile("/tokens/t", "token\n")
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan(owners: ["prod": "/c/b.yaml"])
        #expect(scan.files.first { $0.path == "/c/b.yaml" }?.config?.name == "prod")
        #expect(scan.files.first { $0.path == "/c/a-copy.yaml" }?.config == nil)
        let problem = try #require(scan.problems.first { $0.code == .duplicateName })
        #expect(problem.location.file == "/c/a-copy.yaml")
        #expect(problem.reason.contains("already claimed by b.yaml, which keeps running"))
        // Without the owner, the first by name would win: the owner is what keeps the running cluster.
        #expect(
            ClusterDirectory(path: "/c", fileSystem: fileSystem).scan().files.first { $0.path == "/c/a-copy.yaml" }?
                .config != nil
        )
    }

    @Test("a broken file still claims its name, but a valid file of that name keeps it")
    func brokenFileClaimsName() {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile("/c/a.yaml", Self.cluster("x"))
        fileSystem.writeFile("/c/b.yaml", "name: x\napi_server: nope\n")
        fileSystem.writeFile("/c/c.yaml", Self.cluster())
        fileSystem.writeFile("/tokens/t", "token\n")
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        #expect(scan.clusters.map(\.name) == ["c", "x"])
        #expect(scan.files.first { $0.path == "/c/b.yaml" }?.claimedName == "x")
        #expect(scan.files.first { $0.path == "/c/b.yaml" }?.problems.contains { $0.code == .duplicateName } == true)
    }

    @Test("a missing folder is one problem")
    func missingFolder() {
        let scan = ClusterDirectory(path: "/nope", fileSystem: InMemoryConfigFileSystem()).scan()
        #expect(scan.files.isEmpty)
        #expect(scan.hasErrors)
        #expect(
            scan.problems.map(\.description) == ["/nope: cannot read the cluster directory: No such file or directory"]
        )
    }

    @Test("relative paths resolve against the cluster file's folder, ~ against HOME")
    func pathResolution() throws {
        let fileSystem = InMemoryConfigFileSystem(homeDirectory: "/home/ops", currentDirectory: "/srv")
        fileSystem.writeFile(
            "/srv/clusters.d/a.yaml",
            "api_server: https://h\ntls:\n  ca_file: ca/a.crt\nauth:\n  kubeconfig: ~/.kube/config\n"
        )
        fileSystem.writeFile("/srv/clusters.d/ca/a.crt", S.pem, permissions: 0o644)
        fileSystem.writeFile("/home/ops/.kube/config", "apiVersion: v1\n")
        let scan = ClusterDirectory(path: "clusters.d", fileSystem: fileSystem).scan()
        #expect(!scan.hasErrors, "\(scan.problems)")
        let config = try #require(scan.clusters.first)
        #expect(config.tls.certificateAuthority == .file(path: "/srv/clusters.d/ca/a.crt"))
        #expect(config.auth == .kubeconfig(path: "/home/ops/.kube/config", context: nil))
        #expect(scan.files[0].path == "clusters.d/a.yaml")
    }

    /// One referenced-file case: the auth/tls snippet, the files to create, and the expected problem.
    struct FileCase: Sendable, CustomTestStringConvertible {
        var snippet: String
        var files: [String: (String, UInt32)]
        var field: String
        var words: String
        var isError: Bool
        var testDescription: String { "\(field): \(words)" }
    }

    static let fileCases: [FileCase] = [
        FileCase(
            snippet: "tls:\n  ca_file: ca.crt",
            files: [:],
            field: "tls.ca_file",
            words: "CA file /c/ca.crt does not exist",
            isError: true
        ),
        FileCase(
            snippet: "tls:\n  ca_file: ca.crt",
            files: ["/c/ca.crt": ("not pem", 0o644)],
            field: "tls.ca_file",
            words: "holds no PEM certificate",
            isError: true
        ),
        FileCase(
            snippet: "tls:\n  ca_file: /c",
            files: [:],
            field: "tls.ca_file",
            words: "is a directory",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  bearer_token_file: tok",
            files: ["/c/tok": ("t", 0o000)],
            field: "auth.bearer_token_file",
            words: "token file /c/tok is not readable",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  bearer_token_file: tok",
            files: ["/c/tok": ("  \n", 0o600)],
            field: "auth.bearer_token_file",
            words: "token file /c/tok is empty",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  bearer_token_file: tok",
            files: ["/c/tok": ("abc\n", 0o644)],
            field: "auth.bearer_token_file",
            words: "has mode 0644",
            isError: false
        ),
        FileCase(
            snippet: "auth:\n  client_cert_file: c.crt\n  client_key_file: c.key",
            files: ["/c/c.crt": (ConfigTestSupport.pem, 0o644), "/c/c.key": ("nope", 0o600)],
            field: "auth.client_key_file",
            words: "holds no PEM private key",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  client_cert_file: c.crt\n  client_key_file: c.key",
            files: ["/c/c.key": (ConfigTestSupport.keyPEM, 0o600)],
            field: "auth.client_cert_file",
            words: "client certificate file /c/c.crt does not exist",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  kubeconfig: kc",
            files: [:],
            field: "auth.kubeconfig",
            words: "kubeconfig /c/kc does not exist",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  exec:\n    command: ./plugin",
            files: ["/c/plugin": ("#!/bin/sh\n", 0o644)],
            field: "auth.exec.command",
            words: "is not executable",
            isError: true
        ),
        FileCase(
            snippet: "auth:\n  exec:\n    command: no-such-plugin",
            files: [:],
            field: "auth.exec.command",
            words: "not in PATH",
            isError: false
        ),
    ]

    @Test("referenced files are checked", arguments: fileCases)
    func referencedFiles(fileCase: FileCase) throws {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile("/c/a.yaml", "api_server: https://h\n" + fileCase.snippet + "\n")
        for (path, (contents, mode)) in fileCase.files { fileSystem.writeFile(path, contents, permissions: mode) }
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        let problem = try #require(scan.problems.first { $0.field == fileCase.field }, "\(scan.problems)")
        #expect(problem.reason.contains(fileCase.words), "\(problem)")
        #expect(problem.isError == fileCase.isError, "\(problem)")
        #expect(problem.location.file == "/c/a.yaml")
        #expect(problem.location.line >= 2, "\(problem)")
        #expect((scan.clusters.isEmpty) == fileCase.isError)
        // Without the file check the same file is fine (the pure model stays pure).
        #expect(!ClusterDirectory(path: "/c", fileSystem: fileSystem).scan(validateReferencedFiles: false).hasErrors)
    }

    @Test("exec commands found in PATH, good files, mode 0600: no problem at all")
    func referencedFilesGood() {
        let fileSystem = InMemoryConfigFileSystem(executableSearchPath: ["/opt/bin", "/usr/bin"])
        fileSystem.writeFile("/usr/bin/aws", "#!/bin/sh\n", permissions: 0o755)
        fileSystem.writeFile("/c/ca.crt", S.pem, permissions: 0o644)
        fileSystem.writeFile(
            "/c/a.yaml",
            "api_server: https://h\ntls: {ca_file: ca.crt}\nauth:\n  exec: {command: aws}\n"
        )
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        #expect(scan.problems.isEmpty, "\(scan.problems)")
    }

    @Test("a cluster file holding an inline secret should be mode 0600")
    func clusterFileMode() {
        let fileSystem = InMemoryConfigFileSystem()
        fileSystem.writeFile("/c/open.yaml", "api_server: https://h\nauth:\n  bearer_token: abc\n", permissions: 0o644)
        fileSystem.writeFile(
            "/c/closed.yaml",
            "api_server: https://h\nauth:\n  bearer_token: abc\n",
            permissions: 0o600
        )
        fileSystem.writeFile("/c/nosecret.yaml", "api_server: http://127.0.0.1:8001\n", permissions: 0o644)
        let scan = ClusterDirectory(path: "/c", fileSystem: fileSystem).scan()
        let modeWarnings = scan.problems.filter { $0.code == .permissions }
        #expect(modeWarnings.map(\.location.file) == ["/c/open.yaml"])
        #expect(modeWarnings.first?.severity == .warning)
        #expect(modeWarnings.first?.description.hasPrefix("warning: /c/open.yaml: holds secrets") == true)
        #expect(scan.clusters.count == 3)
    }

    @Test("the real file system: temp folder with good and bad files")
    func localFileSystem() throws {
        let folder = try S.makeTemporaryDirectory()
        defer { S.removeTemporaryDirectory(folder) }
        try S.write("\(folder)/ca/prod.crt", S.pem, permissions: 0o644)
        try S.write("\(folder)/tokens/prod", "abc\n", permissions: 0o644)
        try S.write(
            "\(folder)/prod.yaml",
            "api_server: https://203.0.113.10:6443\ntls:\n  ca_file: ca/prod.crt\nauth:\n  bearer_token_file: tokens/prod\n"
        )
        try S.write("\(folder)/missing-ca.yaml", "api_server: https://h\ntls:\n  ca_file: ca/none.crt\n")
        try S.write("\(folder)/.prod.yaml.swp", "garbage")
        let scan = ClusterDirectory(path: folder).scan()
        #expect(scan.clusters.map(\.name) == ["prod"])
        let missing = try #require(scan.problems.first { $0.field == "tls.ca_file" })
        #expect(
            missing.description
                == "\(folder)/missing-ca.yaml:3:12: tls.ca_file: CA file \(folder)/ca/none.crt does not exist"
        )
        let mode = try #require(scan.problems.first { $0.code == .permissions })
        #expect(mode.description.hasPrefix("warning: \(folder)/prod.yaml:5:22: auth.bearer_token_file: token file"))
        #expect(scan.ignoredFiles == [".prod.yaml.swp", "ca", "tokens"])
    }

    @Test("the repository's four examples parse when renamed to .yaml")
    func examplesParse() throws {
        let source = S.repositoryClustersDirectory
        let folder = try S.makeTemporaryDirectory()
        defer { S.removeTemporaryDirectory(folder) }
        let names = ["eks", "aks", "gke", "onprem"]
        for name in names {
            let text = try String(contentsOfFile: "\(source)/\(name).yaml.example", encoding: .utf8)
            try S.write("\(folder)/\(name).yaml", text)
        }
        let scan = ClusterDirectory(path: folder).scan(validateReferencedFiles: false)
        #expect(!scan.hasErrors, "\(scan.problems.map(\.description).joined(separator: "\n"))")
        #expect(scan.clusters.map(\.name) == ["aws-prod-eu", "azure-prod-we", "dc1-prod", "gcp-prod-ew4"])
        let byName = Dictionary(uniqueKeysWithValues: scan.clusters.map { ($0.name, $0) })
        #expect(byName["aws-prod-eu"]?.auth == .aws(AWSAuthConfig(clusterName: "prod-eu", region: "eu-west-1")))
        #expect(
            byName["azure-prod-we"]?.auth
                == .azure(
                    AzureAuthConfig(
                        tenantID: "00000000-0000-0000-0000-000000000000",
                        clientID: "11111111-1111-1111-1111-111111111111",
                        clientSecretFile: "\(folder)/secrets/azure-prod-we.secret"
                    )
                )
        )
        #expect(
            byName["gcp-prod-ew4"]?.auth == .gcp(GCPAuthConfig(credentialsFile: "/etc/crowsnest/gcp/crowsnest-sa.json"))
        )
        #expect(byName["dc1-prod"]?.auth == .bearerTokenFile(path: "\(folder)/tokens/dc1-prod"))
        #expect(byName["dc1-prod"]?.tls.certificateAuthority == .file(path: "\(folder)/ca/dc1-prod.crt"))
        #expect(byName["dc1-prod"]?.relabelConfigs.count == 4)
        // The examples themselves are never loaded from the repository folder.
        let repository = ClusterDirectory(path: source).scan(validateReferencedFiles: false)
        #expect(repository.files.filter { $0.path.hasSuffix(".example") }.isEmpty)
    }
}
