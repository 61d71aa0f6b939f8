public import CrowsnestCore

/// Loading `crowsnest.yaml` (`serve --config FILE`).
public enum GlobalConfigFile {
    /// Decodes the text of a global configuration file.
    public static func parse(
        yaml: String,
        path: String,
        baseDirectory: String? = nil,
        homeDirectory: String? = nil
    )
        -> GlobalConfigReport
    {
        switch ConfigYAML.parse(yaml, file: path) {
        case .success(let root):
            return GlobalConfig.decode(root, file: path, baseDirectory: baseDirectory, homeDirectory: homeDirectory)
        case .failure(let problem):
            return GlobalConfigReport(path: path, problems: [problem])
        }
    }

    /// Reads and decodes `path`; relative paths inside resolve against its folder.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - fileSystem: where to read it.
    ///   - validateReferencedFiles: also check the files it names.
    /// - Returns: the configuration (when no problem is an error) and every problem.
    public static func load(
        path: String,
        fileSystem: any ConfigFileSystem = LocalConfigFileSystem(),
        validateReferencedFiles: Bool = true
    ) -> GlobalConfigReport {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.contentsOfFile(atPath: path)
        } catch {
            return GlobalConfigReport(
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
        var report: GlobalConfigReport
        switch ConfigYAML.parse(bytes: bytes, file: path) {
        case .success(let root):
            report = GlobalConfig.decode(
                root,
                file: path,
                baseDirectory: folder,
                homeDirectory: fileSystem.homeDirectory
            )
        case .failure(let problem):
            report = GlobalConfigReport(path: path, problems: [problem])
        }
        if validateReferencedFiles { report.validateReferencedFiles(fileSystem: fileSystem) }
        return report
    }
}
