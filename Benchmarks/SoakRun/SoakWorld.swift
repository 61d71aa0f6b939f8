import Foundation
import KubeSim

/// The three simulated clusters of `crowsnest demo` and the files the gateway reads about them
/// (`DIR/clusters.d/*.yaml`, `DIR/ca/*`, `DIR/tokens/*`, `DIR/crowsnest.yaml`).
struct SoakWorld: Sendable {
    /// One cluster and the paths and text of its files.
    struct Member: Sendable {
        var cluster: SimulatedCluster
        var clusterFile: String
        var tokenFile: String
        /// The cluster file's valid text (rewritten after a break or a delete).
        var goodClusterFileText: String
    }

    let members: [Member]
    let directory: String
    let globalConfigFile: String

    var clusterDirectory: String { directory + "/clusters.d" }

    /// Writes the files of running clusters into `directory`, with a `crowsnest.yaml` setting the scrape
    /// interval (timeout 60 % of it).
    init(topology: DemoTopology, directory: String, scrapeInterval: Double) throws {
        let files = try topology.writeFiles(to: directory)
        var members: [Member] = []
        for (member, set) in zip(topology.members, files.clusters) {
            let text = try String(contentsOfFile: set.clusterFile, encoding: .utf8)
            try SoakWorld.write(text, to: set.clusterFile)  // 0600: the gateway warns about readable cluster files
            members.append(
                Member(
                    cluster: member.cluster,
                    clusterFile: set.clusterFile,
                    tokenFile: set.tokenFile,
                    goodClusterFileText: text
                )
            )
        }
        self.members = members
        self.directory = files.directory
        globalConfigFile = files.directory + "/crowsnest.yaml"
        let interval = Int(scrapeInterval * 1000)
        let timeout = Int(scrapeInterval * 600)
        try Data("scrape:\n  interval: \(interval)ms\n  timeout: \(timeout)ms\n".utf8)
            .write(to: URL(fileURLWithPath: globalConfigFile), options: .atomic)
    }

    /// Replaces a file's contents atomically (write to a temporary name, then rename), mode 0600.
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
