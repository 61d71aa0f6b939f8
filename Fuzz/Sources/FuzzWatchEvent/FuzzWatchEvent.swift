import CrowsnestCore
import Foundation
import FuzzSupport
import NIOCore

@testable import CrowsnestKube

/// The process entry point: libFuzzer's driver on ``fuzzWatchEvent(_:_:)`` (see `runFuzzer`).
@_cdecl("FuzzWatchEvent_main")
public func fuzzWatchEventMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { fuzzWatchEvent(UnsafeRawPointer($0), $1) }
}

/// libFuzzer entry point for discovery's JSON decoding: the watch stream (line splitting, `ERROR` detection,
/// `PodWatchEvent` / `StatusWatchEvent`) and `PodList` pages, down to the targets computed from each pod.
///
/// Input layout: one selector byte, then the bytes of a watch stream (newline-delimited JSON events) — the same
/// bytes are also decoded as one `PodList` page.
/// - selector bits 0–2: chunk size for the line splitter (1, 2, 3, 7, 16, 64, 512 bytes or all at once);
/// - bit 3: the cluster's `relabel_configs` (Prometheus `role: pod`) instead of the default annotation rules.
///
/// Invariants checked:
/// 1. decoding never crashes, whatever the bytes (a bad event is a thrown error, as in `ClusterDiscovery.apply`);
/// 2. the line splitter yields the same lines whatever the chunking;
/// 3. every target computed from a decoded pod has a proxy path that `ProxyPath.build` accepts and that stays
///    under `/api/v1/namespaces/{namespace}/pods/` with no `.`/`..` segment, `?` or `#`;
/// 4. every target carries the `cluster` label, and its key names the pod it came from;
/// 5. each line is also decoded as a node, Service and EndpointSlice event: a node's targets stay under
///    `/api/v1/nodes/{node}/proxy/`, the targets behind a Service (with the slices and pods of the same input)
///    under its namespace's pod proxy, with the same path checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWatchEvent(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.takeByte()
    let stream = input.takeRest()
    let rules = selector & 8 == 0 ? WatchFuzzRules.defaultRules : WatchFuzzRules.relabeled
    let decoder = JSONDecoder()

    var others = OtherResources()
    let lines = splitLines(stream, chunkSize: WatchFuzzRules.chunkSizes[Int(selector & 7)])
    let reference = splitLines(stream, chunkSize: 0)
    fuzzCheck(lines == reference, "chunked line splitting differs from whole-buffer splitting for \(excerpt(stream))")

    for line in lines.prefix(64) {
        let data = Data(line)
        if ClusterDiscovery.isErrorEvent(line) {
            _ = try? decoder.decode(StatusWatchEvent.self, from: data)
            continue
        }
        decodeOtherResources(data, decoder: decoder, into: &others)
        guard let event = try? decoder.decode(PodWatchEvent.self, from: data), let pod = event.object.podInfo else {
            continue
        }
        others.pods[pod.key] = pod
        checkTargets(rules.targets(for: pod), pod: pod, rules: rules)
    }
    checkOtherResources(others, rules: rules)

    if let list = try? decoder.decode(PodListJSON.self, from: Data(stream)) {
        for item in (list.items ?? []).prefix(64) {
            guard let pod = item.podInfo else { continue }
            checkTargets(rules.targets(for: pod), pod: pod, rules: rules)
        }
    }
    _ = try? decoder.decode(StatusJSON.self, from: Data(stream))
    return 0
}

/// The rules and chunkings the target uses.
private enum WatchFuzzRules {
    static let chunkSizes = [1, 2, 3, 7, 16, 64, 512, 0]

    static let defaultRules = PodTargetRules(cluster: "fuzz", staticLabels: LabelSet([Label("env", "test")]))

    /// A typical `role: pod` configuration: keep annotated pods, take path, scheme and port from annotations.
    static let relabeled: PodTargetRules = {
        let rules = [
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                regex: "true",
                action: .keep
            ),
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
                targetLabel: "__metrics_path__",
                regex: "(.+)"
            ),
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"],
                targetLabel: "__scheme__",
                regex: "(https?)"
            ),
            RelabelRule(
                sourceLabels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                targetLabel: "__address__",
                regex: "([^:]+)(?::\\d+)?;(\\d+)",
                replacement: "$1:$2"
            ),
            RelabelRule(regex: "__meta_kubernetes_pod_label_(.+)", action: .labelmap),
        ]
        let relabeler = try! Relabeler(rules: rules)
        return PodTargetRules(cluster: "fuzz", relabeler: relabeler)
    }()
}

/// Lines as `ClusterDiscovery.watch` sees them: chunks through `LineSplitter`, then the unterminated rest.
/// `chunkSize` 0 means one chunk.
private func splitLines(_ stream: [UInt8], chunkSize: Int) -> [[UInt8]] {
    var splitter = LineSplitter(maximumLineLength: 1 << 20)
    var lines: [[UInt8]] = []
    let size = chunkSize == 0 ? max(1, stream.count) : chunkSize
    var offset = 0
    do {
        while offset < stream.count {
            let end = min(stream.count, offset + size)
            lines += try splitter.append(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
        }
    } catch {
        fuzzCheck(false, "a line under the length limit was refused")
    }
    if let last = splitter.finish() { lines.append(last) }
    return lines
}

/// Invariants 3 and 4.
private func checkTargets(_ result: PodTargets, pod: PodInfo, rules: PodTargetRules) {
    for target in result.targets {
        fuzzCheck(
            target.labels.contains { $0.name == "cluster" && $0.value == rules.cluster },
            "target without cluster label: \(target)"
        )
        fuzzCheck(
            target.key.namespace == pod.namespace && target.key.pod == pod.name,
            "target key \(target.key) for pod \(pod.key)"
        )
        let path: String
        do {
            path = try ProxyPath.build(
                namespace: target.key.namespace,
                pod: target.key.pod,
                scheme: target.scheme,
                port: target.key.port,
                path: target.path
            )
        } catch {
            fuzzCheck(false, "a target's proxy path is refused (\(error)): \(target)")
            return
        }
        let prefix = "/api/v1/namespaces/\(ProxyPath.encode(pod.namespace))/pods/"
        fuzzCheck(path.hasPrefix(prefix), "proxy path \(path.debugDescription) escapes \(prefix)")
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        fuzzCheck(
            !segments.contains { $0 == "." || $0 == ".." } && !path.contains("?") && !path.contains("#"),
            "proxy path \(path.debugDescription) has a dot segment, ? or #"
        )
    }
}

/// Nodes, Services, EndpointSlices and pods decoded from one input.
private struct OtherResources {
    var nodes: [NodeInfo] = []
    var services: [ServiceInfo] = []
    var slices: [EndpointSliceInfo] = []
    var pods: [String: PodInfo] = [:]
}

/// Decodes `data` as a node, a Service and an EndpointSlice event (each may fail; none may crash).
private func decodeOtherResources(_ data: Data, decoder: JSONDecoder, into others: inout OtherResources) {
    if let node = try? decoder.decode(ResourceWatchEvent<NodeJSON>.self, from: data).object.nodeInfo {
        others.nodes.append(node)
    }
    if let service = try? decoder.decode(ResourceWatchEvent<ServiceJSON>.self, from: data).object.serviceInfo {
        others.services.append(service)
    }
    if let slice = try? decoder.decode(ResourceWatchEvent<EndpointSliceJSON>.self, from: data).object.sliceInfo {
        others.slices.append(slice)
    }
}

/// Invariant 5.
private func checkOtherResources(_ others: OtherResources, rules: PodTargetRules) {
    let nodeRules = NodeTargetRules(cluster: rules.cluster, paths: KubeletPath.allCases)
    for node in others.nodes.prefix(16) {
        for target in nodeRules.targets(for: node).targets {
            guard let path = try? ProxyPath.node(target.key.pod, path: target.path) else {
                fuzzCheck(false, "a node target's proxy path is refused: \(target)")
                return
            }
            let prefix = "/api/v1/nodes/\(ProxyPath.encode(node.name))/proxy/"
            fuzzCheck(target.key.pod == node.name, "node target key \(target.key) for node \(node.name)")
            fuzzCheck(path.hasPrefix(prefix), "node proxy path \(path.debugDescription) escapes \(prefix)")
            fuzzCheck(
                !path.split(separator: "/").contains { $0 == "." || $0 == ".." } && !path.contains("?"),
                "node proxy path \(path.debugDescription) has a dot segment or ?"
            )
        }
    }
    for service in others.services.prefix(8) {
        let slices = others.slices.filter { $0.serviceKey == service.key }
        let result = rules.targets(for: service, slices: slices, pods: others.pods)
        for target in result.targets {
            fuzzCheck(target.key.namespace == service.namespace, "service target \(target.key) outside \(service.key)")
            let pod = PodInfo(namespace: target.key.namespace, name: target.key.pod)
            checkTargets(PodTargets(targets: [target]), pod: pod, rules: rules)
        }
    }
}
