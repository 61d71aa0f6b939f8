/// Start-up check for secret-bearing files (cluster files, token files, client keys) that group or others can read.
///
/// `serve` calls `warnings(for:)` with every cluster file and the token / key files they name, and logs each
/// result at `warning`. Only the permission bits are looked at (`mode & 0o077`): the gateway does not read the
/// files here, and a missing file is left to the configuration loader.
///
/// ```swift
/// for warning in FilePermissionCheck.warnings(for: ["/etc/crowsnest/clusters.d/prod.yaml"]) {
///     logger.warning("\(warning)")
/// }
/// ```
public enum FilePermissionCheck {
    /// One file that group or others may access.
    public struct Warning: Sendable, Hashable, CustomStringConvertible {
        /// The file's path, as given.
        public var path: String
        /// The permission bits (`mode & 0o7777`).
        public var permissions: UInt32

        /// Creates a warning.
        public init(path: String, permissions: UInt32) {
            self.path = path
            self.permissions = permissions
        }

        /// The permissions as four octal digits, such as `0644`.
        public var octalPermissions: String {
            let digits = String(permissions, radix: 8)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }

        /// Who besides the owner has access: `group`, `others` or `group and others`.
        public var audience: String {
            switch (permissions & 0o070 != 0, permissions & 0o007 != 0) {
            case (true, true): "group and others"
            case (true, false): "group"
            default: "others"
            }
        }

        /// `PATH has mode 0644: group and others can access it; it holds credentials, run chmod 600 PATH`.
        public var description: String {
            "\(path) has mode \(octalPermissions): \(audience) can access it; it holds credentials, "
                + "run chmod 600 \(path)"
        }
    }

    /// The warnings for `paths`: one per existing file whose mode grants group or others any access
    /// (`mode & 0o077 != 0`), in the order given, each path once. Missing files and non-files are skipped.
    public static func warnings(for paths: [String]) -> [Warning] {
        warnings(for: paths, fileSystem: LocalConfigFileSystem())
    }

    /// The warnings for `paths` as `fileSystem` sees them (symbolic links followed).
    ///
    /// In a folder Kubernetes mounted from a Secret or ConfigMap (it holds the kubelet's `..data` link), a file that
    /// only its group may read (`defaultMode: 0440` with the pod's `fsGroup`) is not warned about: that group is the
    /// pod's own, the usual way to let a non-root container read a Secret. Write access or access by others still is.
    public static func warnings(for paths: [String], fileSystem: any ConfigFileSystem) -> [Warning] {
        var seen: Set<String> = []
        var result: [Warning] = []
        for path in paths where seen.insert(path).inserted {
            guard let status = fileSystem.status(ofPath: path), status.kind == .file else { continue }
            let groupReadOnly = status.permissions & 0o077 == 0o040
            if groupReadOnly && isKubernetesVolumeFile(path, fileSystem: fileSystem) { continue }
            if status.permissions & 0o077 != 0 { result.append(Warning(path: path, permissions: status.permissions)) }
        }
        return result
    }

    /// Whether `path` sits in a folder the kubelet manages (its `..data` link to the current timestamped folder).
    static func isKubernetesVolumeFile(_ path: String, fileSystem: any ConfigFileSystem) -> Bool {
        guard let slash = path.lastIndex(of: "/") else { return false }
        let folder = path[..<slash].isEmpty ? "/" : String(path[..<slash])
        return fileSystem.status(ofPath: folder + "/..data")?.kind == .directory
    }
}
