import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file system as the configuration loader sees it: list a folder, read a file, look at a path.
///
/// `LocalConfigFileSystem` is the real one; tests use `InMemoryConfigFileSystem` (as swift-configuration tests its
/// file providers through `CommonProviderFileSystem`). Calls are synchronous: configuration files are small and
/// read rarely.
public protocol ConfigFileSystem: Sendable {
    /// The names of the entries of a folder (without `.` and `..`), in no particular order.
    func contentsOfDirectory(atPath path: String) throws(ConfigFileSystemError) -> [String]
    /// A file's bytes.
    func contentsOfFile(atPath path: String) throws(ConfigFileSystemError) -> [UInt8]
    /// What is at `path` (symbolic links followed), or `nil` when nothing is.
    func status(ofPath path: String) -> ConfigFileStatus?
    /// Whether the process may read the file at `path`.
    func isReadableFile(atPath path: String) -> Bool
    /// Whether the process may execute the file at `path`.
    func isExecutableFile(atPath path: String) -> Bool
    /// `$HOME`, for `~` in paths.
    var homeDirectory: String? { get }
    /// The working directory, to make relative folders absolute.
    var currentDirectory: String { get }
    /// The folders of `$PATH`, to find exec plugins given by bare name.
    var executableSearchPath: [String] { get }
}

/// What is at a path.
public struct ConfigFileStatus: Sendable, Hashable {
    /// The kind of entry.
    public enum Kind: Sendable, Hashable {
        /// A regular file.
        case file
        /// A folder.
        case directory
        /// Anything else (socket, device, FIFO).
        case other
    }

    /// The kind of entry.
    public var kind: Kind
    /// The permission bits (`mode & 0o7777`), such as `0o600`.
    public var permissions: UInt32

    /// Creates a status.
    public init(kind: Kind, permissions: UInt32) {
        self.kind = kind
        self.permissions = permissions
    }

    /// Whether group or others may read or write the file (`mode & 0o066`).
    public var isAccessibleByOthers: Bool { permissions & 0o066 != 0 }

    /// The permissions as four octal digits, such as `0644`.
    public var octalPermissions: String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// A failed file-system call: the path and the system's reason.
public struct ConfigFileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path.
    public var path: String
    /// The reason, such as `No such file or directory`.
    public var reason: String
    /// Whether nothing exists at the path.
    public var isNotFound: Bool

    /// Creates an error.
    public init(path: String, reason: String, isNotFound: Bool = false) {
        self.path = path
        self.reason = reason
        self.isNotFound = isNotFound
    }

    /// `PATH: reason`.
    public var description: String { "\(path): \(reason)" }
}

/// The real file system, through POSIX calls.
public struct LocalConfigFileSystem: ConfigFileSystem {
    /// Creates the real file system.
    public init() {}

    private func failure(_ path: String) -> ConfigFileSystemError {
        let code = errno
        return ConfigFileSystemError(path: path, reason: String(cString: strerror(code)), isNotFound: code == ENOENT)
    }

    /// The names of the entries of a folder (without `.` and `..`).
    public func contentsOfDirectory(atPath path: String) throws(ConfigFileSystemError) -> [String] {
        guard let directory = opendir(path) else { throw failure(path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A file's bytes.
    public func contentsOfFile(atPath path: String) throws(ConfigFileSystemError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path)
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 16 * 1024 * 1024 {
                throw ConfigFileSystemError(path: path, reason: "larger than 16 MiB; not a configuration file")
            }
        }
        return bytes
    }

    /// What is at `path` (symbolic links followed), or `nil` when nothing is.
    ///
    /// Through `FileManager` rather than `stat(2)`: the C `stat` struct is declared by several modules on Linux
    /// (Glibc, CoreFoundation, CNIOLinux), and which one the compiler credits it to depends on how it batches files,
    /// so member access on it breaks the `MemberImportVisibility` check from one build to the next.
    ///
    /// Links are resolved by `realpath(3)`, which also ends a link loop (`ELOOP`: nothing is there).
    public func status(ofPath path: String) -> ConfigFileStatus? {
        guard let resolved = FileStamp.resolve(path),
            let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        else { return nil }
        let type = attributes[.type] as? FileAttributeType
        let kind: ConfigFileStatus.Kind =
            type == .typeRegular ? .file : (type == .typeDirectory ? .directory : .other)
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.uint32Value ?? 0
        return ConfigFileStatus(kind: kind, permissions: permissions & 0o7777)
    }

    /// Whether the process may read the file at `path`.
    public func isReadableFile(atPath path: String) -> Bool { access(path, R_OK) == 0 }

    /// Whether the process may execute the file at `path`.
    public func isExecutableFile(atPath path: String) -> Bool {
        status(ofPath: path)?.kind == .file && access(path, X_OK) == 0
    }

    /// `$HOME`, or `nil` when unset or empty.
    public var homeDirectory: String? {
        guard let home = getenv("HOME") else { return nil }
        let text = String(cString: home)
        return text.isEmpty ? nil : text
    }

    /// The working directory (`getcwd`).
    public var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The folders of `$PATH`.
    public var executableSearchPath: [String] {
        guard let path = getenv("PATH") else { return ["/usr/local/bin", "/usr/bin", "/bin"] }
        return String(cString: path).split(separator: ":").map(String.init)
    }
}
