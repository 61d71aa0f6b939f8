import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A folder written the way the kubelet's `AtomicWriter` writes a Secret, ConfigMap or projected volume, step by
/// step as `pkg/volume/util/atomic_writer.go` does it, so tests see exactly what a pod sees during an update.
///
/// Layout: the files live in a timestamped folder `..2026_12_07_14_00_00.NNNNNNNNN`; `..data` is a relative link to
/// it; each user-visible name is a relative link `NAME → ..data/NAME`. An update writes a new timestamped folder,
/// points a new link `..data_tmp` at it, renames `..data_tmp` over `..data` (the atomic switch), adds links for new
/// names, removes links of names gone, and deletes the old timestamped folder. The user-visible links of names that
/// stay are never touched: only what they lead to changes.
public struct KubeletVolume: Sendable {
    /// The mount point (the volume's `mountPath`).
    public let path: String
    /// The file mode (`defaultMode`, e.g. `0o440` with an `fsGroup`, Kubernetes' default `0o644`).
    public let mode: Int

    /// A volume at `path` (created when missing), empty until the first ``write(_:)``.
    public init(path: String, mode: Int = 0o644) throws {
        self.path = path
        self.mode = mode
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The timestamped folder `..data` points at now, or nil before the first write.
    public var currentDataFolder: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/..data")
    }

    /// Writes `files` (name → content) as the volume's new payload with the kubelet's sequence of steps.
    public func write(_ files: [String: String]) throws {
        let manager = FileManager.default
        // (1) The old timestamped folder and the names it held.
        let old = currentDataFolder
        let oldNames = Set((try? manager.contentsOfDirectory(atPath: path + "/" + (old ?? "-"))) ?? [])
        // (2) A new timestamped folder (os.MkdirTemp with the time prefix: the random suffix keeps it unique), 0755.
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "..yyyy_MM_dd_HH_mm_ss."
        let folder = format.string(from: Date()) + String(UInt32.random(in: 100_000_000...999_999_999))
        try manager.createDirectory(
            atPath: path + "/" + folder,
            withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o755]
        )
        // (3) The payload, each file with the volume's mode.
        for (name, content) in files {
            let file = path + "/" + folder + "/" + name
            try Data(content.utf8).write(to: URL(fileURLWithPath: file))
            try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        }
        // (4) `..data_tmp` → the new folder (relative), (5) renamed over `..data`: the atomic switch.
        try? manager.removeItem(atPath: path + "/..data_tmp")
        try manager.createSymbolicLink(atPath: path + "/..data_tmp", withDestinationPath: folder)
        guard rename(path + "/..data_tmp", path + "/..data") == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path + "/..data"])
        }
        // (6) User-visible links for names that are new (existing ones stay as they are).
        for name in files.keys where (try? manager.destinationOfSymbolicLink(atPath: path + "/" + name)) == nil {
            try manager.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: "..data/" + name)
        }
        // (7) Links of names no longer in the payload, (8) the old timestamped folder.
        for name in oldNames where files[name] == nil { try? manager.removeItem(atPath: path + "/" + name) }
        if let old { try manager.removeItem(atPath: path + "/" + old) }
    }
}
