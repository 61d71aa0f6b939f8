import Foundation
import KubeSim

/// Picks a random action every few seconds — pod churn, exporter faults, API faults, token rotation, broken
/// and deleted cluster files — and undoes each fault after a random while. Everything it does is counted.
struct ChaosMonkey {
    /// The kinds of action, with their weights.
    enum Action: String, CaseIterable {
        case createPods, deletePods, exporterFault, apiFault, rotateToken, breakClusterFile, removeClusterFile

        var weight: Int {
            switch self {
            case .createPods, .deletePods: 3
            case .exporterFault: 4
            case .apiFault: 3
            case .rotateToken, .breakClusterFile, .removeClusterFile: 1
            }
        }
    }

    /// Something to do later (undo a fault, finish a graceful deletion, expire a rotated token).
    private struct Pending {
        var due: ContinuousClock.Instant
        var name: String
        /// The busy key freed once this ran.
        var frees: String?
        var run: () async -> Void
    }

    /// A pod the monkey created.
    private struct ChurnPod {
        var clusterIndex: Int
        var namespace: String
        var name: String
    }

    /// The most pods the churn keeps at once (so the held series vary within a bound).
    static let maximumChurnPods = 60
    static let churnNamespace = "churn"

    let world: SoakWorld
    let status: SoakStatus
    let seriesPerPod: Int
    private var random: SoakRandom
    private var pending: [Pending] = []
    private var churnPods: [ChurnPod] = []
    private var churnBatches = 0
    /// What is faulted now and may not be faulted again until undone: `api:CLUSTER`, `file:CLUSTER`, `pod:KEY`.
    private var busy: Set<String> = []
    private var tokens: [String]  // current gateway token per member
    private(set) var counts: [String: Int] = [:]
    private(set) var failures: [String] = []

    init(world: SoakWorld, tokens: [String], seed: UInt64, seriesPerPod: Int, status: SoakStatus) {
        self.world = world
        self.tokens = tokens
        self.status = status
        self.seriesPerPod = seriesPerPod
        random = SoakRandom(seed: seed)
    }

    /// Acts every ~`actionEvery` seconds until `chaosEnd`, then undoes everything and removes the churned pods.
    mutating func run(actionEvery: Double, until chaosEnd: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        status.update { $0.phase = "chaos" }
        while clock.now < chaosEnd && !Task.isCancelled {
            await runDue(now: clock.now)
            act()
            publish()
            let wait = random.seconds(actionEvery * 0.5, actionEvery * 1.5)
            let next = min(clock.now.advanced(by: wait), chaosEnd)
            while clock.now < next && !Task.isCancelled {
                try? await Task.sleep(until: min(next, pending.map(\.due).min() ?? next), clock: clock)
                await runDue(now: clock.now)
                publish()
            }
        }
        await calmDown()
    }

    /// Undoes every fault now and deletes the churned pods (the quiet tail starts from the warm-up topology).
    mutating func calmDown() async {
        let all = pending
        pending = []
        for item in all { await item.run() }
        for pod in churnPods {
            try? world.members[pod.clusterIndex].cluster.pods.delete(namespace: pod.namespace, name: pod.name)
        }
        churnPods = []
        busy = []
        status.update { $0.phase = "quiet" }
        publish()
    }

    private func publish() {
        let churn = churnPods.count
        let active = pending.count
        let done = counts.filter { !$0.key.contains(".") }.values.reduce(0, +)
        status.update {
            $0.churnPods = churn
            $0.activeFaults = active
            $0.actionsDone = done
        }
    }

    private mutating func runDue(now: ContinuousClock.Instant) async {
        let due = pending.filter { $0.due <= now }
        guard !due.isEmpty else { return }
        pending.removeAll { $0.due <= now }
        for item in due {
            await item.run()
            if let key = item.frees { busy.remove(key) }
        }
    }

    private mutating func later(
        _ seconds: ClosedRange<Double>,
        _ name: String,
        freeing key: String? = nil,
        _ run: @escaping () async -> Void
    ) {
        let due = ContinuousClock.now.advanced(by: random.seconds(seconds.lowerBound, seconds.upperBound))
        pending.append(Pending(due: due, name: name, frees: key, run: run))
    }

    private mutating func count(_ name: String) { counts[name, default: 0] += 1 }

    private mutating func record(failure: String) {
        if failures.count < 50 { failures.append(failure) }
    }

    private mutating func act() {
        let total = Action.allCases.map(\.weight).reduce(0, +)
        var roll = random.int(0...(total - 1))
        var chosen = Action.createPods
        for action in Action.allCases {
            if roll < action.weight {
                chosen = action
                break
            }
            roll -= action.weight
        }
        switch chosen {
        case .createPods:
            if churnPods.count >= Self.maximumChurnPods { deletePods() } else { createPods() }
        case .deletePods:
            if churnPods.isEmpty { createPods() } else { deletePods() }
        case .exporterFault: exporterFault()
        case .apiFault: apiFault()
        case .rotateToken: rotateToken()
        case .breakClusterFile: clusterFileFault(remove: false)
        case .removeClusterFile: clusterFileFault(remove: true)
        }
    }

    // MARK: - Churn

    private mutating func createPods() {
        let index = random.int(0...(world.members.count - 1))
        let howMany = random.int(1...5)
        churnBatches += 1
        let prefix = "batch\(churnBatches)"
        do {
            let made = try world.members[index].cluster.addExporterPods(
                namespace: Self.churnNamespace,
                count: howMany,
                seriesPerPod: seriesPerPod,
                namePrefix: prefix
            )
            for (pod, _) in made {
                churnPods.append(ChurnPod(clusterIndex: index, namespace: pod.namespace, name: pod.name))
            }
            counts["createPods", default: 0] += 1
            counts["createPods.pods", default: 0] += howMany
        } catch {
            record(failure: "createPods: \(error)")
        }
    }

    private mutating func deletePods() {
        let howMany = min(churnPods.count, random.int(1...5))
        for _ in 0..<howMany {
            let position = random.int(0...(churnPods.count - 1))
            let pod = churnPods.remove(at: position)
            let store = world.members[pod.clusterIndex].cluster.pods
            if random.int(0...1) == 0 {
                try? store.delete(namespace: pod.namespace, name: pod.name)
                count("deletePods.immediate")
            } else {
                // Graceful: deletionTimestamp first (the gateway must drop the target), DELETED a little later.
                _ = try? store.beginDeletion(namespace: pod.namespace, name: pod.name)
                later(1...4, "finish deletion") { try? store.delete(namespace: pod.namespace, name: pod.name) }
                count("deletePods.graceful")
            }
        }
        count("deletePods")
    }

    // MARK: - Exporter faults

    private mutating func exporterFault() {
        var candidates: [(String, SimulatedExporter)] = []
        for member in world.members {
            for pod in member.cluster.pods.all() where pod.deletionTimestamp == nil {
                for backend in pod.backends.values {
                    guard case .exporter(let exporter) = backend else { continue }
                    let key = "pod:\(member.cluster.name)/\(pod.namespace)/\(pod.name)"
                    if !busy.contains(key) { candidates.append((key, exporter)) }
                }
            }
        }
        guard let (key, exporter) = random.pick(candidates) else { return }
        let faults: [(String, ExporterBehavior)] = [
            ("garbage", .garbage),
            ("hang", .hang),
            ("status500", .status(500, body: "internal error\n")),
            ("gzipBomb", .gzipBomb(decompressedBytes: 64 << 20)),
            ("truncatedGzip", .truncatedGzip),
            ("slow", .delay(.seconds(random.int(1...8)))),
            ("trickle", .trickle(chunkBytes: 256, interval: .milliseconds(100))),
            ("reset", .resetConnection),
            ("truncatedBody", .truncatedBody),
        ]
        let (name, behavior) = random.pick(faults)!
        exporter.behavior = behavior
        busy.insert(key)
        count("exporterFault")
        count("exporterFault.\(name)")
        later(10...45, "exporter back to normal", freeing: key) { exporter.behavior = .normal }
    }

    // MARK: - API faults

    private mutating func apiFault() {
        let free = world.members.indices.filter { !busy.contains("api:" + world.members[$0].cluster.name) }
        guard let index = random.pick(free) else { return }
        let cluster = world.members[index].cluster
        let kinds = ["429", "apf429", "503", "reset", "latency", "410", "watchDrops", "down"]
        let kind = random.pick(kinds)!
        switch kind {
        case "429":
            cluster.updateFaults {
                $0.failures = [InjectedFailure(.tooManyRequests(retryAfterSeconds: 1), for: .listAndWatch)]
            }
            cluster.dropWatches()
        case "apf429":
            cluster.updateFaults { $0.failures = [InjectedFailure(.priorityAndFairness(retryAfterSeconds: 2))] }
            cluster.dropWatches()
        case "503":
            cluster.updateFaults { $0.failures = [InjectedFailure(.serviceUnavailable)] }
            cluster.dropWatches()
        case "reset":
            cluster.updateFaults { $0.failures = [InjectedFailure(.resetConnection, times: 40)] }
            cluster.resetConnections()
        case "latency":
            let api = random.int(200...1500)
            let proxy = random.int(100...1000)
            cluster.updateFaults {
                $0.latency = .milliseconds(api)
                $0.proxyLatency = .milliseconds(proxy)
            }
        case "410":
            cluster.updateFaults { $0.expireNextWatches = 3 }
            cluster.dropWatches(random.int(0...1) == 0 ? .endStream : .resetConnection)
        case "watchDrops":
            let after = random.int(2...6)
            let mode: WatchDropMode = random.int(0...1) == 0 ? .endStream : .resetConnection
            cluster.updateFaults {
                $0.dropWatchesAfter = .seconds(after)
                $0.dropMode = mode
            }
            cluster.dropWatches(mode)
        default:  // "down": the API server stops listening (connection refused)
            cluster.stopListening()
        }
        busy.insert("api:" + cluster.name)
        count("apiFault")
        count("apiFault.\(kind)")
        let name = cluster.name
        later(10...40, "clear API faults of \(name)", freeing: "api:" + name) {
            cluster.updateFaults { $0 = ClusterFaults() }
            if kind == "down" {
                do {
                    try await cluster.resumeListening()
                } catch {
                    FileHandle.standardError.write(Data("soak: cannot resume \(name): \(error)\n".utf8))
                }
            }
        }
    }

    // MARK: - Credentials and files

    private mutating func rotateToken() {
        let index = random.int(0...(world.members.count - 1))
        let member = world.members[index]
        let old = tokens[index]
        let new = member.cluster.issueToken(for: DemoTopology.gatewayIdentity)
        do {
            try SoakWorld.write(new + "\n", to: member.tokenFile)
        } catch {
            record(failure: "rotateToken: \(error)")
            return
        }
        tokens[index] = new
        count("rotateToken")
        // Like a bound ServiceAccount token, the old one keeps working a while (the gateway must re-read the file).
        let tokensOfCluster = member.cluster.tokens
        later(30...30, "expire the old token of \(member.cluster.name)") { tokensOfCluster.remove(old) }
    }

    private mutating func clusterFileFault(remove: Bool) {
        let free = world.members.filter { !busy.contains("file:" + $0.cluster.name) }
        guard let member = random.pick(free) else { return }
        do {
            if remove {
                try FileManager.default.removeItem(atPath: member.clusterFile)
                count("removeClusterFile")
            } else {
                let broken = "name: \"\(member.cluster.name)\"\napi_server: [not, a, url\nauth: {{{\n"
                try SoakWorld.write(broken, to: member.clusterFile)
                count("breakClusterFile")
            }
        } catch {
            record(failure: "cluster file fault: \(error)")
            return
        }
        busy.insert("file:" + member.cluster.name)
        let name = member.cluster.name
        later(15...40, remove ? "re-add \(name)" : "fix \(name)", freeing: "file:" + name) {
            do {
                try SoakWorld.write(member.goodClusterFileText, to: member.clusterFile)
            } catch {
                FileHandle.standardError.write(Data("soak: cannot restore \(member.clusterFile): \(error)\n".utf8))
            }
        }
    }
}
