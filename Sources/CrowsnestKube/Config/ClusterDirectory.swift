public import CrowsnestCore

/// The `clusters.d` folder: one cluster file per cluster (SPEC §3).
///
/// `scan()` lists `*.yaml` / `*.yml` (ignoring names starting with `.` and editor leftovers ending in `~`, `.swp`,
/// `.tmp`, and `.example` files), loads every file, checks the files they name, and reports each file's
/// configuration and problems. Of two files claiming one `name`, the one already running (else the first by name)
/// keeps it and the other is rejected.
public struct ClusterDirectory: Sendable {
    /// The folder, as given (used in every problem's file name).
    public var path: String
    /// Where files are read from.
    public var fileSystem: any ConfigFileSystem
    /// The global configuration whose `scrape:` block supplies defaults.
    public var globalConfig: GlobalConfig

    /// Creates a directory loader.
    public init(
        path: String = "clusters.d",
        fileSystem: any ConfigFileSystem = LocalConfigFileSystem(),
        globalConfig: GlobalConfig = GlobalConfig()
    ) {
        self.path = path
        self.fileSystem = fileSystem
        self.globalConfig = globalConfig
    }

    /// Whether a folder entry is a cluster file: ends in `.yaml` or `.yml`, does not start with `.`, and is not an
    /// editor leftover or example (`~`, `.swp`, `.tmp`, `.example`).
    public static func isClusterFileName(_ name: String) -> Bool {
        guard !name.hasPrefix(".") else { return false }
        for leftover in ["~", ".swp", ".tmp", ".example"] where name.hasSuffix(leftover) { return false }
        return name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    /// Loads every cluster file.
    ///
    /// - Parameter validateReferencedFiles: also check the files each cluster file names (CA, token, client
    ///   certificate and key, kubeconfig, exec command); `crowsnest check config` does.
    ///   - owners: the file each running cluster was started from (name → path): when several files claim a name,
    ///     its owner keeps it. Without an owner, the first file by name keeps it.
    /// - Returns: one report per cluster file, the ignored entries, and problems with the folder itself.
    public func scan(validateReferencedFiles: Bool = true, owners: [String: String] = [:]) -> ClusterDirectoryScan {
        var scan = ClusterDirectoryScan(directory: path)
        let names: [String]
        do {
            names = try fileSystem.contentsOfDirectory(atPath: path)
        } catch {
            scan.directoryProblems.append(
                ConfigProblem(
                    code: .io,
                    location: ConfigSourceLocation(file: path),
                    field: "",
                    reason: "cannot read the cluster directory: \(error.reason)"
                )
            )
            return scan
        }
        for name in names.sorted() {
            let filePath = Self.join(path, name)
            guard Self.isClusterFileName(name) else {
                scan.ignoredFiles.append(name)
                continue
            }
            let status = fileSystem.status(ofPath: filePath)
            guard status?.kind == .file || (status == nil && !Self.isGone(filePath, fileSystem: fileSystem)) else {
                scan.ignoredFiles.append(name)
                continue
            }
            var report = ClusterFile.load(path: filePath, fileSystem: fileSystem, globalConfig: globalConfig)
            if validateReferencedFiles { report.validateReferencedFiles(fileSystem: fileSystem) }
            scan.files.append(report)
        }
        Self.rejectDuplicateNames(&scan.files, owners: owners)
        return scan
    }

    /// Whether a listed name that cannot be looked at is simply gone (deleted since the listing, or a link to
    /// nothing): ignored. Anything else, such as a link loop in a mounted folder, is loaded and so reported.
    static func isGone(_ path: String, fileSystem: any ConfigFileSystem) -> Bool {
        do {
            _ = try fileSystem.contentsOfFile(atPath: path)
            return false
        } catch {
            return error.isNotFound
        }
    }

    /// Keeps each name with one file and rejects the others claiming it, each with an error naming the keeper.
    ///
    /// The keeper is the file the running cluster was started from (`owners`), so copying a cluster file to start a
    /// new one (`cp a.yaml b.yaml`, same `name:`) never stops the running cluster; without an owner, the first file
    /// by name. A file that does not load does not keep a name from a file that does.
    static func rejectDuplicateNames(_ files: inout [ClusterFileReport], owners: [String: String] = [:]) {
        var byName: [String: [Int]] = [:]
        for (index, file) in files.enumerated() {
            if let name = file.claimedName { byName[name, default: []].append(index) }
        }
        for (name, indices) in byName where indices.count > 1 {
            let keeper =
                indices.first { files[$0].path == owners[name] }
                ?? indices.first { files[$0].config != nil }
                ?? indices[0]
            let keeperFile = ConfigPaths.fileName(of: files[keeper].path)
            let running = files[keeper].path == owners[name]
            for index in indices where index != keeper {
                let file = files[index]
                files[index].add([
                    ConfigProblem(
                        code: .duplicateName,
                        location: file.nameLocation ?? ConfigSourceLocation(file: file.path, line: 1, column: 1),
                        field: "name",
                        reason: "cluster name \(name) is already claimed by \(keeperFile)"
                            + (running ? ", which keeps running" : "")
                            + "; this file is not used until its name: (or file name) is changed"
                    )
                ])
            }
        }
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

/// The result of scanning `clusters.d`.
public struct ClusterDirectoryScan: Sendable, Hashable {
    /// The folder scanned.
    public var directory: String
    /// One report per cluster file, sorted by path.
    public var files: [ClusterFileReport] = []
    /// Folder entries that are not cluster files (hidden, editor leftovers, examples, other extensions, folders).
    public var ignoredFiles: [String] = []
    /// Problems with the folder itself (it cannot be listed).
    public var directoryProblems: [ConfigProblem] = []

    /// Creates an empty scan of `directory`.
    public init(directory: String) { self.directory = directory }

    /// The usable configurations (files without errors and with a unique name), sorted by name.
    public var clusters: [ClusterConfig] { files.compactMap(\.config).sorted { $0.name < $1.name } }

    /// Every problem: the folder's, then each file's, in file order.
    public var problems: [ConfigProblem] { directoryProblems + files.flatMap(\.problems) }

    /// Whether any problem is an error.
    public var hasErrors: Bool { problems.containsError }
}
