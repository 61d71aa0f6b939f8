import CrowsnestKube
import Foundation
import Testing

/// `FilePermissionCheck`: warnings for secret files group or others may access.
@Suite("Onboarding: file permissions")
struct OnboardingFilePermissionTests {
    @Test func warnsAboutFilesOthersOrGroupCanAccess() throws {
        let directory = try Onboarding.makeDirectory("permissions")
        defer { Onboarding.removeDirectory(directory) }
        let modes: [(String, Int)] = [
            ("private", 0o600), ("owner-read", 0o400), ("group-read", 0o640), ("world-read", 0o644),
            ("group-write", 0o620), ("world-exec", 0o601), ("everything", 0o777),
        ]
        for (name, mode) in modes { try Onboarding.write(directory + "/" + name, "token", permissions: mode) }
        let paths = modes.map { directory + "/" + $0.0 } + [directory + "/missing", directory]
        let warnings = FilePermissionCheck.warnings(for: paths)
        #expect(
            warnings.map { ($0.path as NSString).lastPathComponent } == [
                "group-read", "world-read", "group-write", "world-exec", "everything",
            ]
        )
        let worldRead = try #require(warnings.first { $0.path.hasSuffix("world-read") })
        #expect(worldRead.octalPermissions == "0644")
        #expect(worldRead.audience == "group and others")
        #expect(worldRead.description.contains("chmod 600"))
        #expect(worldRead.description.contains(worldRead.path))
        #expect(warnings.first { $0.path.hasSuffix("group-read") }?.audience == "group")
        #expect(warnings.first { $0.path.hasSuffix("world-exec") }?.audience == "others")
    }

    @Test func eachPathIsReportedOnceAndSymbolicLinksAreFollowed() throws {
        let directory = try Onboarding.makeDirectory("permissions")
        defer { Onboarding.removeDirectory(directory) }
        try Onboarding.write(directory + "/token", "t", permissions: 0o644)
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link",
            withDestinationPath: directory + "/token"
        )
        let warnings = FilePermissionCheck.warnings(for: [
            directory + "/token", directory + "/token", directory + "/link",
        ])
        #expect(warnings.map(\.path) == [directory + "/token", directory + "/link"])
        #expect(FilePermissionCheck.warnings(for: []).isEmpty)
    }
}
