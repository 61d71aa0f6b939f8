import Foundation

/// A file's identity and modification time: when it changes, the file is re-read.
public struct FileStamp: Sendable, Hashable {
    var modified: Date?
    var size: Int?
    var inode: Int?

    /// The stamp of the file at `path`, nil when it cannot be read.
    public static func of(_ path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date,
            size: (attributes[.size] as? NSNumber)?.intValue,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue
        )
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
