import Foundation
import NIOCore

/// Renders a kubelet's metrics endpoints for one node and the pods on it, at one instant: the families, HELP
/// texts, label names (sorted, as client_golang writes them), value formatting (Go's `%g`) and sample timestamps
/// of the real `/metrics/cadvisor`, `/metrics/resource`, `/metrics/probes` and `/metrics`.
///
/// Counters are `rate × (age + t)` and gauges wave around a base, both from a seed per node, pod and container,
/// so the same instant always renders the same bytes. A pod's cgroup sums its containers (and its sandbox), and
/// the node's root cgroup sums its pods plus system services, as the real hierarchy does.
struct KubeletMetrics {
    /// One cgroup cAdvisor reports.
    struct Entity {
        enum Kind { case root, system, pod, sandbox, container }
        var kind: Kind
        var container = ""
        var id: String
        var image = ""
        var name = ""
        var namespace = ""
        var pod = ""
        var seed: UInt64
        /// CPU cores used on average.
        var cpuRate: Double
        /// Working set in bytes (mean).
        var memory: Double
        var startTime: Double
        /// Offset of this cgroup's sample timestamps (cAdvisor's housekeeping is per container).
        var timestampLag: Int64
    }

    let node: SimulatedNode
    let pods: [SimulatedPod]
    let seed: UInt64
    let startedAt: Date
    let now: Date
    let timestamps: Bool
    /// Seconds since the kubelet started.
    let t: Double
    /// The render instant in milliseconds, on a whole second.
    let nowMilliseconds: Int64

    init(node: SimulatedNode, pods: [SimulatedPod], seed: UInt64, startedAt: Date, now: Date, timestamps: Bool) {
        self.node = node
        self.pods = pods.sorted { $0.key < $1.key }
        self.seed = seed
        self.startedAt = startedAt
        self.now = now
        self.timestamps = timestamps
        self.t = max(0, now.timeIntervalSince(startedAt))
        self.nowMilliseconds = Int64(now.timeIntervalSince1970.rounded(.down)) * 1000
    }

    // MARK: - Entities

    /// A number in [0, 1) from `seed` and `salt`.
    static func unit(_ seed: UInt64, _ salt: UInt64) -> Double {
        var generator = SplitMix64(seed: seed ^ (salt &* 0x9E37_79B9_7F4A_7C15))
        return Double(generator.next() >> 11) / Double(1 << 53)
    }

    /// Whether a container has a running cgroup now.
    static func isRunning(_ container: SimulatedPod.Container, in pod: SimulatedPod) -> Bool {
        if case .running = pod.effectiveState(of: container) { return true }
        return false
    }

    /// The pods with cgroups: running ones.
    var runningPods: [SimulatedPod] { pods.filter { $0.phase == .running } }

    /// Every cgroup, in cAdvisor's order (by id).
    func entities() -> [Entity] {
        var result: [Entity] = []
        var podTotals: (cpu: Double, memory: Double) = (0, 0)
        let bootTime = startedAt.timeIntervalSince1970.rounded(.down)
        for pod in runningPods {
            let uid = pod.uid.isEmpty ? SimulatedPod.stableUID("pod/" + pod.key) : pod.uid
            let podSeed = StableHash.fnv1a(uid) ^ seed
            let slice =
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                + uid.replacingOccurrences(of: "-", with: "_") + ".slice"
            let started = max(bootTime, pod.creationTimestamp.timeIntervalSince1970.rounded(.down))
            let lag = Int64(podSeed % 10) * 1000
            var children: [Entity] = []
            let sandboxID = SimulatedPod.stableUID(uid + "/sandbox").replacingOccurrences(of: "-", with: "")
            children.append(
                Entity(
                    kind: .sandbox,
                    id: slice + "/cri-containerd-" + sandboxID + ".scope",
                    image: "registry.k8s.io/pause:3.10",
                    name: sandboxID,
                    namespace: pod.namespace,
                    pod: pod.name,
                    seed: podSeed ^ 0x5A,
                    cpuRate: 0.0001,
                    memory: 260_000 + 40_000 * KubeletMetrics.unit(podSeed, 1),
                    startTime: started,
                    timestampLag: lag
                )
            )
            for container in pod.containers where KubeletMetrics.isRunning(container, in: pod) {
                let containerSeed = podSeed ^ StableHash.fnv1a(container.name)
                let containerID = SimulatedPod.stableUID(uid + container.name).replacingOccurrences(
                    of: "-",
                    with: ""
                )
                children.append(
                    Entity(
                        kind: .container,
                        container: container.name,
                        id: slice + "/cri-containerd-" + containerID + ".scope",
                        image: container.image,
                        name: containerID,
                        namespace: pod.namespace,
                        pod: pod.name,
                        seed: containerSeed,
                        cpuRate: 0.002 + 0.25 * pow(KubeletMetrics.unit(containerSeed, 2), 2),
                        memory: (8 + 400 * pow(KubeletMetrics.unit(containerSeed, 3), 2)) * 1_048_576,
                        startTime: started + 2,
                        timestampLag: lag
                    )
                )
            }
            let cpu = children.reduce(0) { $0 + $1.cpuRate }
            let memory = children.reduce(0) { $0 + $1.memory }
            podTotals.cpu += cpu
            podTotals.memory += memory
            result.append(
                Entity(
                    kind: .pod,
                    id: slice,
                    namespace: pod.namespace,
                    pod: pod.name,
                    seed: podSeed,
                    cpuRate: cpu,
                    memory: memory,
                    startTime: started,
                    timestampLag: lag
                )
            )
            result.append(contentsOf: children)
        }
        let systemServices = ["containerd.service", "kubelet.service"]
        for (index, service) in systemServices.enumerated() {
            result.append(
                Entity(
                    kind: .system,
                    id: "/system.slice/" + service,
                    seed: seed ^ UInt64(index + 100),
                    cpuRate: 0.02 + 0.03 * Double(index),
                    memory: Double(60 + 40 * index) * 1_048_576,
                    startTime: bootTime,
                    timestampLag: Int64(index) * 1000
                )
            )
        }
        result.append(
            Entity(
                kind: .root,
                id: "/",
                seed: seed,
                cpuRate: podTotals.cpu + 0.15,
                memory: podTotals.memory + 900 * 1_048_576,
                startTime: bootTime,
                timestampLag: 0
            )
        )
        return result.sorted { $0.id < $1.id }
    }

    // MARK: - Values

    /// Cumulative CPU seconds of `entity`.
    func cpuSeconds(_ entity: Entity) -> Double {
        let age = max(0, startedAt.timeIntervalSince1970 + t - entity.startTime)
        return (entity.cpuRate * age * 1000).rounded() / 1000
    }

    /// The working set of `entity` now.
    func workingSet(_ entity: Entity) -> Double {
        let wave = 0.05 * sin(2 * Double.pi * t / 300 + 6.28 * KubeletMetrics.unit(entity.seed, 4))
        return (entity.memory * (1 + wave)).rounded()
    }

    /// A counter of `entity` growing at `rate` per second since it started.
    func counter(_ entity: Entity, rate: Double, salt: UInt64) -> Double {
        let age = max(0, startedAt.timeIntervalSince1970 + t - entity.startTime)
        return (rate * (0.5 + KubeletMetrics.unit(entity.seed, salt)) * age).rounded()
    }

    /// The timestamp of `entity`'s samples.
    func timestamp(_ entity: Entity) -> Int64? {
        timestamps ? nowMilliseconds - entity.timestampLag : nil
    }

    // MARK: - /metrics/cadvisor

    /// `/metrics/cadvisor`.
    func cadvisor() -> ByteBuffer {
        let entities = entities()
        var out = ExpositionText(capacity: max(4096, entities.count * 52 * 330))
        let version = node.nodeInfo
        out.family(
            "cadvisor_version_info",
            "A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
            "gauge"
        )
        out.sample(
            "cadvisor_version_info",
            [
                ("cadvisorRevision", ""), ("cadvisorVersion", ""), ("dockerVersion", ""),
                ("kernelVersion", version.kernelVersion), ("osVersion", version.osImage),
            ],
            1,
            nil
        )

        // Each cgroup's label text, escaped once, in three parts so extra labels slot in at their sorted place:
        // `container` | `id,image` | `name,namespace,pod`.
        let fragments = entities.map { entity -> (head: String, middle: String, tail: String) in
            (
                ExpositionText.pair("container", entity.container),
                ExpositionText.pair("id", entity.id) + "," + ExpositionText.pair("image", entity.image),
                ExpositionText.pair("name", entity.name) + "," + ExpositionText.pair("namespace", entity.namespace)
                    + "," + ExpositionText.pair("pod", entity.pod)
            )
        }
        let fragmentIndex = Dictionary(entities.enumerated().map { ($1.id, $0) }) { first, _ in first }
        func labels(_ entity: Entity, _ extra: [(String, String)] = []) -> String {
            let parts = fragments[fragmentIndex[entity.id]!]
            var early = ""
            var between = ""
            var late = ""
            for (key, value) in extra {
                let pair = "," + ExpositionText.pair(key, value)
                if key < "id" {
                    early += pair
                } else if key < "name" {
                    between += pair
                } else {
                    late += pair
                }
            }
            return parts.head + early + "," + parts.middle + between + "," + parts.tail + late
        }
        func each(
            _ name: String,
            _ help: String,
            _ type: String,
            where include: (Entity) -> Bool = { _ in true },
            extras: [[(String, String)]] = [[]],
            _ value: (Entity, Int) -> Double
        ) {
            out.family(name, help, type)
            for entity in entities where include(entity) {
                for (index, extra) in extras.enumerated() {
                    out.sample(name, labelText: labels(entity, extra), value(entity, index), timestamp(entity))
                }
            }
        }
        let containersOnly: (Entity) -> Bool = { $0.kind == .container }
        let withProcesses: (Entity) -> Bool = { $0.kind == .container || $0.kind == .sandbox }
        let withLimits: (Entity) -> Bool = { $0.kind == .container || $0.kind == .pod || $0.kind == .sandbox }
        let withFilesystem: (Entity) -> Bool = { $0.kind == .container || $0.kind == .root }
        let withNetwork: (Entity) -> Bool = { $0.kind == .sandbox || $0.kind == .root }
        let device = [[("device", "/dev/vda1")]]
        let interfaces: (Entity) -> [[(String, String)]] = { _ in [[("interface", "eth0")]] }

        each(
            "container_cpu_cfs_periods_total",
            "Number of elapsed enforcement period intervals.",
            "counter",
            where: containersOnly
        ) { entity, _ in counter(entity, rate: 10, salt: 10) }
        each(
            "container_cpu_cfs_throttled_periods_total",
            "Number of throttled period intervals.",
            "counter",
            where: containersOnly
        ) { entity, _ in counter(entity, rate: 0.2, salt: 11) }
        each(
            "container_cpu_cfs_throttled_seconds_total",
            "Total time duration the container has been throttled.",
            "counter",
            where: containersOnly
        ) { entity, _ in counter(entity, rate: 0.01, salt: 12) }
        each(
            "container_cpu_load_average_10s",
            "Value of container cpu load average over the last 10 seconds.",
            "gauge"
        ) { _, _ in 0 }
        each(
            "container_cpu_system_seconds_total",
            "Cumulative system cpu time consumed in seconds.",
            "counter"
        ) { entity, _ in (cpuSeconds(entity) * 0.3 * 1000).rounded() / 1000 }
        each(
            "container_cpu_usage_seconds_total",
            "Cumulative cpu time consumed in seconds.",
            "counter",
            extras: [[("cpu", "total")]]
        ) { entity, _ in cpuSeconds(entity) }
        each(
            "container_cpu_user_seconds_total",
            "Cumulative user cpu time consumed in seconds.",
            "counter"
        ) { entity, _ in (cpuSeconds(entity) * 0.7 * 1000).rounded() / 1000 }
        each(
            "container_file_descriptors",
            "Number of open file descriptors for the container.",
            "gauge",
            where: withProcesses
        ) { entity, _ in entity.kind == .sandbox ? 0 : (8 + 60 * KubeletMetrics.unit(entity.seed, 13)).rounded() }
        let filesystem: [(String, String, String, Double, UInt64)] = [
            ("container_fs_inodes_free", "Number of available Inodes", "gauge", 0, 20),
            ("container_fs_inodes_total", "Number of Inodes", "gauge", 0, 21),
            ("container_fs_io_current", "Number of I/Os currently in progress", "gauge", 0, 22),
            (
                "container_fs_io_time_seconds_total", "Cumulative count of seconds spent doing I/Os", "counter", 0.001,
                23
            ),
            (
                "container_fs_io_time_weighted_seconds_total", "Cumulative weighted I/O time in seconds", "counter",
                0.002, 24
            ),
            (
                "container_fs_limit_bytes",
                "Number of bytes that can be consumed by the container on this filesystem.", "gauge", 0, 25
            ),
            ("container_fs_read_seconds_total", "Cumulative count of seconds spent reading", "counter", 0.0005, 26),
            ("container_fs_reads_bytes_total", "Cumulative count of bytes read", "counter", 2048, 27),
            ("container_fs_reads_merged_total", "Cumulative count of reads merged", "counter", 0.1, 28),
            ("container_fs_reads_total", "Cumulative count of reads completed", "counter", 0.5, 29),
            ("container_fs_sector_reads_total", "Cumulative count of sector reads completed", "counter", 4, 30),
            ("container_fs_sector_writes_total", "Cumulative count of sector writes completed", "counter", 8, 31),
            (
                "container_fs_usage_bytes",
                "Number of bytes that are consumed by the container on this filesystem.", "gauge", 0, 32
            ),
            ("container_fs_write_seconds_total", "Cumulative count of seconds spent writing", "counter", 0.001, 33),
            ("container_fs_writes_bytes_total", "Cumulative count of bytes written", "counter", 4096, 34),
            ("container_fs_writes_merged_total", "Cumulative count of writes merged", "counter", 0.2, 35),
            ("container_fs_writes_total", "Cumulative count of writes completed", "counter", 1, 36),
        ]
        for (name, help, type, rate, salt) in filesystem {
            each(name, help, type, where: withFilesystem, extras: device) { entity, _ in
                let root = entity.kind == .root
                switch name {
                case "container_fs_inodes_free": return root ? 5_800_000 : 5_800_000
                case "container_fs_inodes_total": return 6_553_600
                case "container_fs_io_current": return 0
                case "container_fs_limit_bytes": return 103_865_303_040
                case "container_fs_usage_bytes":
                    let base =
                        root ? 21_474_836_480 : 4096 + 200_000_000 * pow(KubeletMetrics.unit(entity.seed, salt), 3)
                    return (base + 10 * t).rounded()
                default:
                    return counter(entity, rate: root ? rate * 40 : rate, salt: salt)
                }
            }
        }
        each("container_last_seen", "Last time a container was seen by the exporter", "gauge") { _, _ in
            Double(nowMilliseconds / 1000)
        }
        each("container_memory_cache", "Number of bytes of page cache memory.", "gauge") { entity, _ in
            (workingSet(entity) * 0.3).rounded()
        }
        each("container_memory_failcnt", "Number of memory usage hits limits", "counter") { _, _ in 0 }
        each(
            "container_memory_failures_total",
            "Cumulative count of memory allocation failures.",
            "counter",
            extras: [
                [("failure_type", "pgfault"), ("scope", "container")],
                [("failure_type", "pgfault"), ("scope", "hierarchy")],
                [("failure_type", "pgmajfault"), ("scope", "container")],
                [("failure_type", "pgmajfault"), ("scope", "hierarchy")],
            ]
        ) { entity, index in
            index >= 2 ? counter(entity, rate: 0.001, salt: 40) : counter(entity, rate: 50, salt: 41)
        }
        each("container_memory_mapped_file", "Size of memory mapped files in bytes.", "gauge") { entity, _ in
            (workingSet(entity) * 0.05).rounded()
        }
        each("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes", "gauge") { entity, _ in
            (entity.memory * 1.6).rounded()
        }
        each("container_memory_rss", "Size of RSS in bytes.", "gauge") { entity, _ in
            (workingSet(entity) * 0.8).rounded()
        }
        each("container_memory_swap", "Container swap usage in bytes.", "gauge") { _, _ in 0 }
        each(
            "container_memory_usage_bytes",
            "Current memory usage in bytes, including all memory regardless of when it was accessed",
            "gauge"
        ) { entity, _ in (workingSet(entity) * 1.3).rounded() }
        each("container_memory_working_set_bytes", "Current working set in bytes.", "gauge") { entity, _ in
            workingSet(entity)
        }
        let network: [(String, String, Double, UInt64)] = [
            ("container_network_receive_bytes_total", "Cumulative count of bytes received", 20_000, 50),
            ("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", 0, 51),
            (
                "container_network_receive_packets_dropped_total",
                "Cumulative count of packets dropped while receiving", 0.001, 52
            ),
            ("container_network_receive_packets_total", "Cumulative count of packets received", 30, 53),
            ("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", 15_000, 54),
            (
                "container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting",
                0, 55
            ),
            (
                "container_network_transmit_packets_dropped_total",
                "Cumulative count of packets dropped while transmitting", 0, 56
            ),
            ("container_network_transmit_packets_total", "Cumulative count of packets transmitted", 25, 57),
        ]
        for (name, help, rate, salt) in network {
            out.family(name, help, "counter")
            for entity in entities where withNetwork(entity) {
                for extra in interfaces(entity) {
                    let value = counter(entity, rate: entity.kind == .root ? rate * 50 : rate, salt: salt)
                    out.sample(name, labelText: labels(entity, extra), value, timestamp(entity))
                }
            }
        }
        each(
            "container_oom_events_total",
            "Count of out of memory events observed for the container",
            "counter"
        ) { _, _ in 0 }
        each(
            "container_processes",
            "Number of processes running inside the container.",
            "gauge",
            where: withProcesses
        ) { entity, _ in entity.kind == .sandbox ? 1 : (1 + 4 * KubeletMetrics.unit(entity.seed, 60)).rounded() }
        each(
            "container_sockets",
            "Number of open sockets for the container.",
            "gauge",
            where: withProcesses
        ) { entity, _ in entity.kind == .sandbox ? 0 : (2 + 30 * KubeletMetrics.unit(entity.seed, 61)).rounded() }
        each("container_spec_cpu_period", "CPU period of the container.", "gauge", where: withLimits) { _, _ in
            100_000
        }
        each("container_spec_cpu_shares", "CPU share of the container.", "gauge", where: withLimits) { entity, _ in
            entity.kind == .sandbox ? 2 : (102 + 920 * KubeletMetrics.unit(entity.seed, 62)).rounded()
        }
        each(
            "container_spec_memory_limit_bytes",
            "Memory limit for the container.",
            "gauge",
            where: withLimits
        ) { entity, _ in entity.kind == .sandbox ? 0 : (entity.memory * 4 / 1_048_576).rounded() * 1_048_576 }
        each(
            "container_spec_memory_reservation_limit_bytes",
            "Memory reservation limit for the container.",
            "gauge",
            where: withLimits
        ) { _, _ in 0 }
        each(
            "container_spec_memory_swap_limit_bytes",
            "Memory swap limit for the container.",
            "gauge",
            where: withLimits
        ) { _, _ in 0 }
        each(
            "container_start_time_seconds",
            "Start time of the container since unix epoch in seconds.",
            "gauge"
        ) { entity, _ in entity.startTime }
        each(
            "container_tasks_state",
            "Number of tasks in given state",
            "gauge",
            extras: ["iowaiting", "running", "sleeping", "stopped", "uninterruptible"].map { [("state", $0)] }
        ) { _, _ in 0 }
        each(
            "container_threads",
            "Number of threads running inside the container",
            "gauge",
            where: withProcesses
        ) { entity, _ in entity.kind == .sandbox ? 1 : (4 + 60 * KubeletMetrics.unit(entity.seed, 63)).rounded() }
        each(
            "container_threads_max",
            "Maximum number of threads allowed inside the container, infinity if value is zero",
            "gauge",
            where: withProcesses
        ) { _, _ in 0 }
        each(
            "container_ulimits_soft",
            "Soft ulimit values for the container root process. Unlimited if -1, except priority and nice",
            "gauge",
            where: withProcesses,
            extras: [[("ulimit", "max_open_files")]]
        ) { _, _ in 1_048_576 }

        let machine: [(String, String)] = [
            ("boot_id", SimulatedPod.stableUID("boot/" + node.name)),
            ("machine_id", String(StableHash.fnv1a(node.name), radix: 16)),
            ("system_uuid", SimulatedPod.stableUID("system/" + node.name)),
        ]
        out.family("machine_cpu_cores", "Number of logical CPU cores.", "gauge")
        out.sample("machine_cpu_cores", machine, Double(node.cpuCores), nil)
        out.family("machine_memory_bytes", "Amount of memory installed on the machine.", "gauge")
        out.sample("machine_memory_bytes", machine, Double(node.memoryBytes), nil)
        return out.buffer
    }

    // MARK: - /metrics/resource

    /// `/metrics/resource`.
    func resource() -> ByteBuffer {
        let entities = entities()
        let containers = entities.filter { $0.kind == .container }.sorted {
            ($0.namespace, $0.pod, $0.container) < ($1.namespace, $1.pod, $1.container)
        }
        let podEntities = entities.filter { $0.kind == .pod }.sorted { ($0.namespace, $0.pod) < ($1.namespace, $1.pod) }
        let root = entities.first { $0.kind == .root }!
        var out = ExpositionText(capacity: 4096 + containers.count * 600)
        func containerLabels(_ entity: Entity) -> [(String, String)] {
            [("container", entity.container), ("namespace", entity.namespace), ("pod", entity.pod)]
        }
        func podLabels(_ entity: Entity) -> [(String, String)] {
            [("namespace", entity.namespace), ("pod", entity.pod)]
        }
        out.family(
            "container_cpu_usage_seconds_total",
            "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
            "counter"
        )
        for entity in containers {
            out.sample(
                "container_cpu_usage_seconds_total",
                containerLabels(entity),
                cpuSeconds(entity),
                timestamp(entity)
            )
        }
        out.family(
            "container_memory_working_set_bytes",
            "[STABLE] Current working set of the container in bytes",
            "gauge"
        )
        for entity in containers {
            out.sample(
                "container_memory_working_set_bytes",
                containerLabels(entity),
                workingSet(entity),
                timestamp(entity)
            )
        }
        out.family(
            "container_start_time_seconds",
            "[STABLE] Start time of the container since unix epoch in seconds",
            "gauge"
        )
        for entity in containers {
            out.sample("container_start_time_seconds", containerLabels(entity), entity.startTime, timestamp(entity))
        }
        out.family(
            "node_cpu_usage_seconds_total",
            "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
            "counter"
        )
        out.sample("node_cpu_usage_seconds_total", [], cpuSeconds(root), timestamp(root))
        out.family("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", "gauge")
        out.sample("node_memory_working_set_bytes", [], workingSet(root), timestamp(root))
        out.family(
            "pod_cpu_usage_seconds_total",
            "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
            "counter"
        )
        for entity in podEntities {
            out.sample("pod_cpu_usage_seconds_total", podLabels(entity), cpuSeconds(entity), timestamp(entity))
        }
        out.family("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", "gauge")
        for entity in podEntities {
            out.sample("pod_memory_working_set_bytes", podLabels(entity), workingSet(entity), timestamp(entity))
        }
        out.family(
            "resource_scrape_error",
            "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise",
            "gauge"
        )
        out.sample("resource_scrape_error", [], 0, nil)
        return out.buffer
    }

    // MARK: - /metrics/probes

    /// `/metrics/probes`.
    func probes() -> ByteBuffer {
        var out = ExpositionText(capacity: 1024 + pods.count * 800)
        out.family(
            "prober_probe_total",
            "[ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.",
            "counter"
        )
        for pod in runningPods {
            for container in pod.containers where KubeletMetrics.isRunning(container, in: pod) {
                let containerSeed = StableHash.fnv1a(pod.uid + container.name) ^ seed
                let age = max(0, now.timeIntervalSince(max(pod.creationTimestamp, startedAt)))
                let probes = (age / 10).rounded(.down)
                let ready = pod.isReady(container)
                let labels: (String, String) -> [(String, String)] = { type, result in
                    [
                        ("container", container.name), ("namespace", pod.namespace), ("pod", pod.name),
                        ("pod_uid", pod.uid), ("probe_type", type), ("result", result),
                    ]
                }
                out.sample("prober_probe_total", labels("Liveness", "successful"), probes, nil)
                let failed = ready ? 0 : (probes * 0.5).rounded(.down)
                let early = (3 * KubeletMetrics.unit(containerSeed, 70)).rounded(.down)
                out.sample("prober_probe_total", labels("Readiness", "failed"), failed + early, nil)
                out.sample("prober_probe_total", labels("Readiness", "successful"), probes - failed, nil)
            }
        }
        return out.buffer
    }

    // MARK: - /metrics

    /// `/metrics`: the kubelet's own metrics (a representative subset of a real kubelet's families).
    func kubelet() -> ByteBuffer {
        var out = ExpositionText(capacity: 32 * 1024)
        let running = runningPods
        let containers = running.reduce(0) { total, pod in
            total + pod.containers.filter { KubeletMetrics.isRunning($0, in: pod) }.count
        }
        let version = node.nodeInfo.kubeletVersion
        let parts = version.dropFirst().split(separator: ".")
        let operations = [
            "container_status", "create_container", "exec_sync", "image_status", "list_containers", "list_images",
            "list_podsandbox", "podsandbox_status", "remove_container", "start_container", "status", "version",
        ]
        let age = t
        let unit: (UInt64) -> Double = { KubeletMetrics.unit(self.seed, $0) }

        out.family("go_goroutines", "Number of goroutines that currently exist.", "gauge")
        out.sample("go_goroutines", [], (300 + 2 * Double(running.count) + 20 * unit(1)).rounded(), nil)
        out.family("go_threads", "Number of OS threads created.", "gauge")
        out.sample("go_threads", [], (40 + 10 * unit(2)).rounded(), nil)
        out.family(
            "kubelet_cgroup_manager_duration_seconds",
            "[ALPHA] Duration in seconds for cgroup manager operations. Broken down by method.",
            "histogram"
        )
        let buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        for operation in ["create", "destroy", "update"] {
            let count = (age / 30 * (operation == "update" ? 4 : 1)).rounded(.down)
            var cumulative = 0.0
            for (index, bucket) in buckets.enumerated() {
                cumulative = (count * min(1, 0.4 + 0.15 * Double(index))).rounded(.down)
                out.sample(
                    "kubelet_cgroup_manager_duration_seconds_bucket",
                    [("le", GoFloat.format(bucket)), ("operation_type", operation)],
                    cumulative,
                    nil
                )
            }
            out.sample(
                "kubelet_cgroup_manager_duration_seconds_bucket",
                [("le", "+Inf"), ("operation_type", operation)],
                count,
                nil
            )
            out.sample(
                "kubelet_cgroup_manager_duration_seconds_sum",
                [("operation_type", operation)],
                (count * 0.012 * 1000).rounded() / 1000,
                nil
            )
            out.sample("kubelet_cgroup_manager_duration_seconds_count", [("operation_type", operation)], count, nil)
        }
        out.family("kubelet_node_name", "[ALPHA] The node's name. The count is always 1.", "gauge")
        out.sample("kubelet_node_name", [("node", node.name)], 1, nil)
        out.family(
            "kubelet_pleg_relist_duration_seconds",
            "[ALPHA] Duration in seconds for relisting pods in PLEG.",
            "histogram"
        )
        let relists = age.rounded(.down)
        for (index, bucket) in buckets.enumerated() {
            out.sample(
                "kubelet_pleg_relist_duration_seconds_bucket",
                [("le", GoFloat.format(bucket))],
                (relists * min(1, 0.6 + 0.1 * Double(index))).rounded(.down),
                nil
            )
        }
        out.sample("kubelet_pleg_relist_duration_seconds_bucket", [("le", "+Inf")], relists, nil)
        out.sample("kubelet_pleg_relist_duration_seconds_sum", [], (relists * 0.009 * 1000).rounded() / 1000, nil)
        out.sample("kubelet_pleg_relist_duration_seconds_count", [], relists, nil)
        out.family("kubelet_running_containers", "[ALPHA] Number of containers currently running", "gauge")
        out.sample("kubelet_running_containers", [("container_state", "created")], 0, nil)
        out.sample(
            "kubelet_running_containers",
            [("container_state", "exited")],
            Double(pods.count - running.count),
            nil
        )
        out.sample(
            "kubelet_running_containers",
            [("container_state", "running")],
            Double(containers + running.count),
            nil
        )
        out.sample("kubelet_running_containers", [("container_state", "unknown")], 0, nil)
        out.family(
            "kubelet_running_pods",
            "[ALPHA] Number of pods that have a running pod sandbox",
            "gauge"
        )
        out.sample("kubelet_running_pods", [], Double(running.count), nil)
        out.family(
            "kubelet_runtime_operations_errors_total",
            "[ALPHA] Cumulative number of runtime operation errors by operation type.",
            "counter"
        )
        out.sample(
            "kubelet_runtime_operations_errors_total",
            [("operation_type", "exec_sync")],
            (age / 3600).rounded(.down),
            nil
        )
        out.family(
            "kubelet_runtime_operations_total",
            "[ALPHA] Cumulative number of runtime operations by operation type.",
            "counter"
        )
        for (index, operation) in operations.enumerated() {
            out.sample(
                "kubelet_runtime_operations_total",
                [("operation_type", operation)],
                (age * (0.05 + Double(running.count) * 0.01 * Double(index % 4 + 1))).rounded(.down),
                nil
            )
        }
        out.family(
            "kubernetes_build_info",
            "[ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.",
            "gauge"
        )
        out.sample(
            "kubernetes_build_info",
            [
                ("build_date", "2024-12-10T11:37:37Z"), ("compiler", "gc"),
                ("git_commit", "0d5b8a8e2b1c6f6a9e4b3c2d1e0f9a8b7c6d5e4f"), ("git_tree_state", "clean"),
                ("git_version", version), ("go_version", "go1.22.9"),
                ("major", parts.count > 0 ? String(parts[0]) : "1"),
                ("minor", parts.count > 1 ? String(parts[1]) : "31"),
                ("platform", "\(node.nodeInfo.operatingSystem)/\(node.nodeInfo.architecture)"),
            ],
            1,
            nil
        )
        out.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter")
        out.sample("process_cpu_seconds_total", [], (age * 0.04 * 100).rounded() / 100, nil)
        out.family("process_max_fds", "Maximum number of open file descriptors.", "gauge")
        out.sample("process_max_fds", [], 1_048_576, nil)
        out.family("process_open_fds", "Number of open file descriptors.", "gauge")
        out.sample("process_open_fds", [], (40 + Double(running.count) * 2).rounded(), nil)
        out.family("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge")
        out.sample("process_resident_memory_bytes", [], (90 + 30 * unit(3)).rounded() * 1_048_576, nil)
        out.family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge")
        out.sample("process_start_time_seconds", [], startedAt.timeIntervalSince1970.rounded(.down), nil)
        out.family(
            "rest_client_requests_total",
            "[ALPHA] Number of HTTP requests, partitioned by status code, method, and host.",
            "counter"
        )
        for (code, method, rate) in [
            ("200", "GET", 0.3), ("200", "PATCH", 0.1), ("201", "POST", 0.02), ("404", "GET", 0.001),
        ] {
            out.sample(
                "rest_client_requests_total",
                [("code", code), ("host", "kubernetes.default.svc:443"), ("method", method)],
                (age * rate).rounded(.down),
                nil
            )
        }
        out.family(
            "volume_manager_total_volumes",
            "[ALPHA] Number of volumes in Volume Manager",
            "gauge"
        )
        for state in ["actual_state_of_world", "desired_state_of_world"] {
            out.sample(
                "volume_manager_total_volumes",
                [("plugin_name", "kubernetes.io/projected"), ("state", state)],
                Double(running.count),
                nil
            )
        }
        return out.buffer
    }
}
