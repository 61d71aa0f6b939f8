import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity and modification time, of the file a path finally names: when it changes, the file is re-read.
///
/// Symbolic links are followed to the end, because Kubernetes mounts Secrets and ConfigMaps as links: `token` →
/// `..data/token`, and `..data` → `..2026_12_07_14_00_00.123456789/`. On an update the kubelet writes a new timestamped
/// folder and renames a new `..data` link over the old one; `token` itself never changes. So the stamp holds the
/// resolved path and the target's inode, size and modification time, not the link's (which `FileManager`'s
/// attributes describe: it does not follow a final link).
public struct FileStamp: Sendable, Hashable {
    var resolvedPath: String
    var modified: Date?
    var size: Int?
    var inode: Int?

    /// The stamp of the file at `path` (links followed), nil when it cannot be read or the links loop.
    public static func of(_ path: String) -> FileStamp? {
        guard let resolved = resolve(path),
            let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        else { return nil }
        return FileStamp(
            resolvedPath: resolved,
            modified: attributes[.modificationDate] as? Date,
            size: (attributes[.size] as? NSNumber)?.intValue,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue
        )
    }

    /// The path with every symbolic link resolved (`realpath(3)`), nil when something is missing or the links loop.
    static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Reads small credential files, with errors that name the file and never its content.
enum CredentialFiles {
    /// The file's text, or a message naming the file and the reason.
    struct Failure: Error { var message: String }

    static func read(_ path: String, what: String) -> Result<String, Failure> {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(Failure(message: "\(what) \(path) is not UTF-8 text"))
            }
            return .success(text)
        } catch {
            return .failure(Failure(message: "cannot read \(what) \(path): \(KubeconfigPaths.reason(error))"))
        }
    }
}
