import CrowsnestCore
import CrowsnestKube
import FuzzSupport

/// The process entry point: libFuzzer's driver on ``fuzzClusterFile(_:_:)`` (see `runFuzzer`).
@_cdecl("FuzzClusterFile_main")
public func fuzzClusterFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { fuzzClusterFile(UnsafeRawPointer($0), $1) }
}

/// libFuzzer entry point for the configuration loaders: a cluster file (`clusters.d/*.yaml`) and `crowsnest.yaml`,
/// from raw bytes (UTF-8 check, YAML through Yams/libyaml, decoding, validation, referenced-file checks).
///
/// Input layout: one selector byte, then the file's bytes.
/// - bit 0: 0 = cluster file through `ClusterDirectory.scan`, 1 = `crowsnest.yaml` through `GlobalConfigFile.load`;
/// - bit 1: file mode 0644 instead of 0600 (the inline-secret permission warning);
/// - bit 2: check referenced files (an in-memory file system holds a CA, a token and an exec plugin).
///
/// Invariants checked:
/// 1. nothing crashes; every outcome is a report;
/// 2. a report has a configuration exactly when none of its problems is an error;
/// 3. every problem position lies inside the file (line ≤ lines + 1, counting line breaks as libyaml does);
/// 4. an accepted cluster file's relabel rules compile (`PodTargetRules(config:)` does not throw) and its name is a
///    valid cluster name;
/// 5. a copy of an accepted file under another name: when both claim one name neither is accepted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterFile(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.takeByte()
    let contents = input.takeRest()
    let permissions: UInt32 = selector & 2 == 0 ? 0o600 : 0o644
    let validateReferences = selector & 4 != 0
    let lineCount = yamlLineCount(contents)
    let fileSystem = makeFileSystem()

    if selector & 1 == 0 {
        fileSystem.writeFile("/etc/crowsnest/clusters.d/fuzz.yaml", bytes: contents, permissions: permissions)
        let scan = ClusterDirectory(path: "/etc/crowsnest/clusters.d", fileSystem: fileSystem)
            .scan(validateReferencedFiles: validateReferences)
        fuzzCheck(scan.files.count == 1, "one cluster file gave \(scan.files.count) reports")
        for report in scan.files {
            checkReport(
                hasConfig: report.config != nil,
                problems: report.problems,
                lineCount: lineCount,
                contents: contents
            )
            if let config = report.config {
                fuzzCheck(
                    (try? PodTargetRules(config: config)) != nil,
                    "an accepted cluster file has relabel rules that do not compile: \(excerpt(contents))"
                )
                fuzzCheck(isClusterName(config.name), "accepted cluster name \(config.name.debugDescription)")
                checkDuplicate(contents, permissions: permissions, fileSystem: fileSystem)
            }
        }
    } else {
        fileSystem.writeFile("/etc/crowsnest/crowsnest.yaml", bytes: contents, permissions: permissions)
        let report = GlobalConfigFile.load(
            path: "/etc/crowsnest/crowsnest.yaml",
            fileSystem: fileSystem,
            validateReferencedFiles: validateReferences
        )
        checkReport(
            hasConfig: report.config != nil,
            problems: report.problems,
            lineCount: lineCount,
            contents: contents
        )
    }
    return 0
}

/// The files a fuzzed configuration may reference, so both the found and the missing branches run.
private func makeFileSystem() -> InMemoryConfigFileSystem {
    let fileSystem = InMemoryConfigFileSystem(homeDirectory: "/home/fuzz", currentDirectory: "/etc/crowsnest")
    fileSystem.writeFile("/etc/crowsnest/ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    fileSystem.writeFile("/etc/crowsnest/token", "fuzz-token\n")
    fileSystem.writeFile("/etc/crowsnest/open-token", "fuzz-token\n", permissions: 0o644)
    fileSystem.writeFile("/usr/bin/aws", "#!/bin/sh\n", permissions: 0o755)
    fileSystem.createDirectory("/etc/crowsnest/dir")
    return fileSystem
}

/// Invariants 2 and 3.
private func checkReport(hasConfig: Bool, problems: [ConfigProblem], lineCount: Int, contents: [UInt8]) {
    fuzzCheck(
        hasConfig == !problems.containsError,
        "config present = \(hasConfig) with problems \(problems.map(\.description)) for \(excerpt(contents))"
    )
    for problem in problems {
        fuzzCheck(
            problem.location.line >= 0 && problem.location.line <= lineCount + 1 && problem.location.column >= 0,
            "problem outside the file (\(lineCount) lines): \(problem) for \(excerpt(contents))"
        )
    }
}

/// An upper bound of the lines libyaml counts: it breaks lines at `\n`, at `\r` (a lone one too), and at NEL,
/// LINE SEPARATOR and PARAGRAPH SEPARATOR, so its positions can lie past the last `\n`.
private func yamlLineCount(_ bytes: [UInt8]) -> Int {
    var count = 1
    for index in bytes.indices {
        switch bytes[index] {
        case 0x0A, 0x0D: count += 1
        case 0x85 where index > 0 && bytes[index - 1] == 0xC2: count += 1
        case 0xA8, 0xA9: if index > 1 && bytes[index - 1] == 0x80 && bytes[index - 2] == 0xE2 { count += 1 }
        default: break
        }
    }
    return count
}

/// `[A-Za-z0-9][A-Za-z0-9._-]*` (SPEC: the `cluster` label).
private func isClusterName(_ name: String) -> Bool {
    func allowed(_ byte: UInt8, first: Bool) -> Bool {
        let alphanumeric =
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        return alphanumeric || (!first && (byte == 0x2E || byte == 0x5F || byte == 0x2D))
    }
    let bytes = Array(name.utf8)
    guard let first = bytes.first, allowed(first, first: true) else { return false }
    return bytes.dropFirst().allSatisfy { allowed($0, first: false) }
}

/// Invariant 5: of two files claiming one name, at most one is accepted (the first by file name, no cluster running);
/// when one is, the other is refused for the duplicate name; accepted files have distinct names.
private func checkDuplicate(_ contents: [UInt8], permissions: UInt32, fileSystem: InMemoryConfigFileSystem) {
    fileSystem.writeFile("/etc/crowsnest/clusters.d/fuzz-copy.yml", bytes: contents, permissions: permissions)
    let scan = ClusterDirectory(path: "/etc/crowsnest/clusters.d", fileSystem: fileSystem).scan(
        validateReferencedFiles: false
    )
    fuzzCheck(scan.files.count == 2, "two cluster files gave \(scan.files.count) reports")
    let names = scan.files.map(\.claimedName)
    if names[0] != nil && names[0] == names[1] {
        let accepted = scan.files.filter { $0.config != nil }
        fuzzCheck(accepted.count <= 1, "a duplicate cluster name was accepted twice: \(excerpt(contents))")
        if let keeper = accepted.first {
            fuzzCheck(
                scan.files.allSatisfy { $0.path == keeper.path || $0.problems.contains { $0.code == .duplicateName } },
                "a file claiming an accepted name was not refused as a duplicate: \(excerpt(contents))"
            )
        }
    }
    let accepted = scan.clusters.map(\.name)
    fuzzCheck(Set(accepted).count == accepted.count, "two accepted clusters share a name: \(accepted)")
}
