/// What this binary is: `crowsnest --version` and `crowsnest_build_info{version,revision,swift_version}`.
///
/// The version is the release this source tree is; the revision is the git commit the release build stamps into
/// ``BuildRevision`` (the image build does: `docker/Dockerfile`), `unknown` in a plain `swift build`.
public enum BuildInfo {
    /// The release version.
    public static let version = "0.9.0"

    /// The git revision the binary was built from, or `unknown`.
    public static var revision: String { BuildRevision.value.isEmpty ? "unknown" : BuildRevision.value }

    /// The Swift compiler's major.minor version, decided when this file is compiled.
    public static var swiftVersion: String {
        #if compiler(>=7.0)
            "7.0+"
        #elseif compiler(>=6.4)
            "6.4"
        #elseif compiler(>=6.3)
            "6.3"
        #elseif compiler(>=6.2)
            "6.2"
        #else
            "6.1"
        #endif
    }

    /// The line `crowsnest --version` prints.
    public static var versionLine: String { "crowsnest \(version) (revision \(revision), Swift \(swiftVersion))" }

    /// The labels of `crowsnest_build_info`, in the order they are written.
    public static var labels: [(name: String, value: String)] {
        [("revision", revision), ("swift_version", swiftVersion), ("version", version)]
    }
}
