import Foundation
import Synchronization

/// The simulated EndpointSlice controller: after every change to pods or Services it recomputes the slices of
/// every Service with a selector and writes only what differs, so watchers see the MODIFIED, ADDED and DELETED
/// events a real controller would cause.
///
/// As the real controller: pods must have an IP and not be finished (Succeeded/Failed); `ready` is the pod's
/// readiness unless it is terminating, `serving` its readiness, `terminating` its deletion; named target ports
/// are resolved per pod (a pod without the named port gets no port for it), pods are grouped by their resolved
/// ports, and each group is cut into slices of at most ``maxEndpointsPerSlice`` endpoints. A Service whose
/// selector matches nothing keeps one empty placeholder slice. Slices it does not manage (another `managed-by`,
/// or of a Service without selector) are left alone.
final class EndpointSliceController: Sendable {
    /// The controller's `--max-endpoints-per-slice` default.
    static let maxEndpointsPerSlice = 100

    private let pods: PodStore
    private let nodes: ResourceStore<SimulatedNode>
    private let services: ResourceStore<SimulatedService>
    private let slices: ResourceStore<SimulatedEndpointSlice>
    /// Serialises reconciliations so each reads a consistent view and writes in order.
    private let running = Mutex(())

    init(
        pods: PodStore,
        nodes: ResourceStore<SimulatedNode>,
        services: ResourceStore<SimulatedService>,
        slices: ResourceStore<SimulatedEndpointSlice>
    ) {
        self.pods = pods
        self.nodes = nodes
        self.services = services
        self.slices = slices
    }

    /// Recomputes every managed slice.
    func reconcile() {
        running.withLock { _ in
            let allServices = services.all()
            let managed = slices.all().filter {
                $0.labels[SimulatedEndpointSlice.managedByLabel] == SimulatedEndpointSlice.controllerName
            }
            if allServices.isEmpty, managed.isEmpty { return }
            let allPods = pods.all()
            var zones: [String: String] = [:]
            for node in nodes.all() {
                if let zone = node.labels["topology.kubernetes.io/zone"] { zones[node.name] = zone }
            }
            var podsByNamespace: [String: [SimulatedPod]] = [:]
            for pod in allPods { podsByNamespace[pod.namespace, default: []].append(pod) }

            var desiredKeys = Set<String>()
            for service in allServices {
                guard let selector = service.selector, !selector.isEmpty else { continue }
                let desired = EndpointSliceController.slices(
                    for: service,
                    selector: selector,
                    pods: podsByNamespace[service.namespace] ?? [],
                    zones: zones,
                    existing: managed.filter {
                        $0.namespace == service.namespace && $0.serviceName == service.name
                    }
                )
                for slice in desired {
                    desiredKeys.insert(slice.key)
                    _ = try? slices.put(slice) { old, new in old == new }
                }
            }
            for slice in managed where !desiredKeys.contains(slice.key) {
                try? slices.delete(slice.name, namespace: slice.namespace)
            }
        }
    }

    /// The slices `service` should have, reusing the names (and creation times) of `existing` slices for the same
    /// port group.
    static func slices(
        for service: SimulatedService,
        selector: [String: String],
        pods: [SimulatedPod],
        zones: [String: String],
        existing: [SimulatedEndpointSlice]
    ) -> [SimulatedEndpointSlice] {
        var groups: [[SimulatedEndpointSlice.Port]: [SimulatedEndpointSlice.Endpoint]] = [:]
        var addressTypes: [[SimulatedEndpointSlice.Port]: String] = [:]
        for pod in pods.sorted(by: { $0.name < $1.name }) {
            guard !selector.isEmpty, selector.allSatisfy({ pod.labels[$0.key] == $0.value }) else { continue }
            guard let ip = pod.podIP, !ip.isEmpty, pod.phase != .succeeded, pod.phase != .failed else { continue }
            var ports: [SimulatedEndpointSlice.Port] = []
            for port in service.ports {
                let resolved: Int?
                switch port.targetPort {
                case .number(let number): resolved = number
                case .name(let name):
                    resolved =
                        pod.containers.lazy.flatMap(\.ports)
                        .first { $0.name == name && $0.protocol == port.protocol }?.containerPort
                }
                if let resolved {
                    ports.append(.init(name: port.name ?? "", port: resolved, protocol: port.protocol))
                }
            }
            ports.sort { ($0.name, $0.port ?? 0) < ($1.name, $1.port ?? 0) }
            let terminating = pod.deletionTimestamp != nil
            groups[ports, default: []].append(
                .init(
                    addresses: [ip],
                    ready: pod.ready && !terminating,
                    serving: pod.ready,
                    terminating: terminating,
                    targetRef: .init(kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid),
                    nodeName: pod.nodeName,
                    zone: pod.nodeName.flatMap { zones[$0] }
                )
            )
            addressTypes[ports] = ip.contains(":") ? "IPv6" : "IPv4"
        }
        if groups.isEmpty { groups[[]] = [] }

        var labels = service.labels
        labels[SimulatedEndpointSlice.serviceNameLabel] = service.name
        labels[SimulatedEndpointSlice.managedByLabel] = SimulatedEndpointSlice.controllerName
        if service.isHeadless { labels["service.kubernetes.io/headless"] = "" }
        let owner = SimulatedEndpointSlice.ObjectReference(
            kind: "Service",
            namespace: service.namespace,
            name: service.name,
            uid: service.uid
        )
        var result: [SimulatedEndpointSlice] = []
        let orderedGroups = groups.keys.sorted { describe($0) < describe($1) }
        for ports in orderedGroups {
            let endpoints = groups[ports]!
            var chunks: [[SimulatedEndpointSlice.Endpoint]] = []
            var start = 0
            repeat {
                chunks.append(Array(endpoints[start..<min(start + maxEndpointsPerSlice, endpoints.count)]))
                start += maxEndpointsPerSlice
            } while start < endpoints.count
            for (index, chunk) in chunks.enumerated() {
                let name = sliceName(service: service, group: describe(ports), index: index)
                let previous = existing.first { $0.name == name }
                result.append(
                    SimulatedEndpointSlice(
                        namespace: service.namespace,
                        name: name,
                        labels: labels,
                        creationTimestamp: previous?.creationTimestamp ?? Date(),
                        generateName: service.name + "-",
                        owner: owner,
                        addressType: addressTypes[ports] ?? "IPv4",
                        endpoints: chunk,
                        ports: ports
                    )
                )
            }
        }
        return result
    }

    private static func describe(_ ports: [SimulatedEndpointSlice.Port]) -> String {
        ports.map { "\($0.name)/\($0.protocol)/\($0.port ?? 0)" }.joined(separator: ",")
    }

    /// `SERVICE-xxxxx`, the generated name, stable for the Service, port group and chunk.
    static func sliceName(service: SimulatedService, group: String, index: Int) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var hash = StableHash.fnv1a(service.uid + "|" + group + "|" + String(index))
        var suffix = ""
        for _ in 0..<5 {
            suffix.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        let base = service.name.count > 57 ? String(service.name.prefix(57)) : service.name
        return base + "-" + suffix
    }
}
