import CrowsnestCore
import Synchronization

/// An in-memory `ConfigFileSystem` for tests (of the loader, and of anything that watches `clusters.d`), in the
/// spirit of swift-configuration's `InMemoryFileSystem`.
///
/// Paths are absolute; writing a file creates its folders. Permission bits decide readability (`0o400`) and
/// executability (`0o100`) for the test process, as they would for a non-root owner.
public final class InMemoryConfigFileSystem: ConfigFileSystem {
    private enum Entry {
        case file([UInt8], permissions: UInt32)
        case directory(permissions: UInt32)
    }

    private let entries: Mutex<[String: Entry]>
    /// `$HOME` as the loader will see it.
    public let homeDirectory: String?
    /// The working directory as the loader will see it.
    public let currentDirectory: String
    /// `$PATH` as the loader will see it.
    public let executableSearchPath: [String]

    /// Creates an empty file system holding only `/`.
    public init(
        homeDirectory: String? = "/home/test",
        currentDirectory: String = "/",
        executableSearchPath: [String] = ["/usr/bin"]
    ) {
        self.entries = Mutex(["/": .directory(permissions: 0o755)])
        self.homeDirectory = homeDirectory
        self.currentDirectory = currentDirectory
        self.executableSearchPath = executableSearchPath
    }

    private func key(_ path: String) -> String {
        ConfigPaths.normalize(path.hasPrefix("/") ? path : currentDirectory + "/" + path)
    }

    /// Writes a file (replacing any), creating its folders.
    public func writeFile(_ path: String, _ contents: String, permissions: UInt32 = 0o600) {
        writeFile(path, bytes: Array(contents.utf8), permissions: permissions)
    }

    /// Writes a file's bytes (replacing any), creating its folders.
    public func writeFile(_ path: String, bytes: [UInt8], permissions: UInt32 = 0o600) {
        let path = key(path)
        entries.withLock { entries in
            var folder = ConfigPaths.directory(of: path)
            while entries[folder] == nil {
                entries[folder] = .directory(permissions: 0o755)
                folder = ConfigPaths.directory(of: folder)
            }
            entries[path] = .file(bytes, permissions: permissions)
        }
    }

    /// Creates a folder (and its parents).
    public func createDirectory(_ path: String) {
        var folder = key(path)
        entries.withLock { entries in
            while entries[folder] == nil {
                entries[folder] = .directory(permissions: 0o755)
                folder = ConfigPaths.directory(of: folder)
            }
        }
    }

    /// Changes a file's permission bits.
    public func setPermissions(_ path: String, _ permissions: UInt32) {
        let path = key(path)
        entries.withLock { entries in
            switch entries[path] {
            case .file(let bytes, _): entries[path] = .file(bytes, permissions: permissions)
            case .directory: entries[path] = .directory(permissions: permissions)
            case nil: break
            }
        }
    }

    /// Removes a file or an empty folder.
    public func remove(_ path: String) {
        let path = key(path)
        _ = entries.withLock { $0.removeValue(forKey: path) }
    }

    /// The names of the entries of a folder (without `.` and `..`).
    public func contentsOfDirectory(atPath path: String) throws(ConfigFileSystemError) -> [String] {
        let folder = key(path)
        let result: Result<[String], ConfigFileSystemError> = entries.withLock { entries in
            switch entries[folder] {
            case nil:
                return .failure(
                    ConfigFileSystemError(path: path, reason: "No such file or directory", isNotFound: true)
                )
            case .file: return .failure(ConfigFileSystemError(path: path, reason: "Not a directory"))
            case .directory(let permissions) where permissions & 0o400 == 0:
                return .failure(ConfigFileSystemError(path: path, reason: "Permission denied"))
            case .directory:
                let prefix = folder == "/" ? "/" : folder + "/"
                return .success(
                    entries.keys.filter {
                        $0 != folder && $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/")
                    }
                    .map { String($0.dropFirst(prefix.count)) }
                )
            }
        }
        return try result.get()
    }

    /// A file's bytes.
    public func contentsOfFile(atPath path: String) throws(ConfigFileSystemError) -> [UInt8] {
        let file = key(path)
        let result: Result<[UInt8], ConfigFileSystemError> = entries.withLock { entries in
            switch entries[file] {
            case nil: .failure(ConfigFileSystemError(path: path, reason: "No such file or directory", isNotFound: true))
            case .directory: .failure(ConfigFileSystemError(path: path, reason: "Is a directory"))
            case .file(_, let permissions) where permissions & 0o400 == 0:
                .failure(ConfigFileSystemError(path: path, reason: "Permission denied"))
            case .file(let bytes, _): .success(bytes)
            }
        }
        return try result.get()
    }

    /// What is at `path` (symbolic links followed), or `nil` when nothing is.
    public func status(ofPath path: String) -> ConfigFileStatus? {
        entries.withLock { entries in
            switch entries[key(path)] {
            case nil: nil
            case .file(_, let permissions): ConfigFileStatus(kind: .file, permissions: permissions)
            case .directory(let permissions): ConfigFileStatus(kind: .directory, permissions: permissions)
            }
        }
    }

    /// Whether the process may read the file at `path`.
    public func isReadableFile(atPath path: String) -> Bool {
        guard let status = status(ofPath: path) else { return false }
        return status.permissions & 0o400 != 0
    }

    /// Whether the process may execute the file at `path`.
    public func isExecutableFile(atPath path: String) -> Bool {
        guard let status = status(ofPath: path), status.kind == .file else { return false }
        return status.permissions & 0o100 != 0
    }
}
