/// Resolution of paths written in configuration files (pure string work; nothing is touched on disk).
public enum ConfigPaths {
    /// Resolves a path as written in a configuration file.
    ///
    /// - `/abs/path` stays as it is;
    /// - `~` and `~/rest` expand against `homeDirectory` (`~user` is not supported);
    /// - anything else is relative to `baseDirectory` (the configuration file's folder).
    ///
    /// `.` segments are dropped and `..` segments fold into their parent, so messages show clean paths.
    /// Returns the resolved path, or the reason it cannot be resolved.
    public static func resolve(
        _ written: String,
        baseDirectory: String,
        homeDirectory: String?
    ) -> Result<String, PathError> {
        guard !written.isEmpty else { return .failure(PathError(reason: "must not be empty")) }
        guard !written.utf8.contains(0) else { return .failure(PathError(reason: "must not contain NUL")) }
        let joined: String
        if written.hasPrefix("/") {
            joined = written
        } else if written == "~" || written.hasPrefix("~/") {
            guard let home = homeDirectory, !home.isEmpty else {
                return .failure(PathError(reason: "cannot expand ~: HOME is not set"))
            }
            joined = home + "/" + written.dropFirst(1)
        } else if written.hasPrefix("~") {
            return .failure(PathError(reason: "~user paths are not supported; write the path in full"))
        } else {
            joined = baseDirectory + "/" + written
        }
        return .success(normalize(joined))
    }

    /// Why a path cannot be resolved.
    public struct PathError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The reason.
        public var reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// Drops empty and `.` segments and folds `..` into the parent (textually).
    ///
    /// Keeps a leading `/`.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == "..", let last = segments.last, last != ".." {
                segments.removeLast()
                continue
            }
            if segment == "..", absolute { continue }
            segments.append(segment)
        }
        let body = segments.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// The folder part of a path (`a/b/c.yaml` → `a/b`, `c.yaml` → `.`, `/c.yaml` → `/`).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last path component (`a/b/c.yaml` → `c.yaml`).
    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The file name without its last extension (`prod-eu.yaml` → `prod-eu`, `a.b.yml` → `a.b`).
    public static func stem(of path: String) -> String {
        let name = fileName(of: path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
