import CrowsnestCore
import Foundation

extension ClusterDiscovery {
    /// A decoded list page: its objects by key, and the list's metadata.
    struct Page {
        var objects: [(key: String, object: DiscoveredObject)]
        var metadata: ListMetaJSON?
    }

    /// A decoded watch event: its type, the resourceVersion it carries, and its object (nil for a bookmark or an
    /// object without a name).
    struct Event {
        var type: String
        var resourceVersion: String?
        var object: (key: String, object: DiscoveredObject)?
    }

    /// Decodes a list page of `resource`.
    func decodePage(_ resource: DiscoveredResource, _ data: Data, decoder: JSONDecoder) throws -> Page {
        switch resource {
        case .pods:
            let list = try decoder.decode(ResourceListJSON<PodJSON>.self, from: data)
            return Page(objects: (list.items ?? []).compactMap(object), metadata: list.metadata)
        case .nodes:
            let list = try decoder.decode(ResourceListJSON<NodeJSON>.self, from: data)
            return Page(objects: (list.items ?? []).compactMap(object), metadata: list.metadata)
        case .services:
            let list = try decoder.decode(ResourceListJSON<ServiceJSON>.self, from: data)
            return Page(objects: (list.items ?? []).compactMap(object), metadata: list.metadata)
        case .endpointSlices:
            let list = try decoder.decode(ResourceListJSON<EndpointSliceJSON>.self, from: data)
            return Page(objects: (list.items ?? []).compactMap(object), metadata: list.metadata)
        }
    }

    /// Decodes one watch event of `resource`.
    func decodeEvent(_ resource: DiscoveredResource, _ data: Data, decoder: JSONDecoder) throws -> Event {
        switch resource {
        case .pods:
            let event = try decoder.decode(ResourceWatchEvent<PodJSON>.self, from: data)
            return Event(
                type: event.type,
                resourceVersion: event.object.metadata?.resourceVersion,
                object: object(event.object)
            )
        case .nodes:
            let event = try decoder.decode(ResourceWatchEvent<NodeJSON>.self, from: data)
            return Event(
                type: event.type,
                resourceVersion: event.object.metadata?.resourceVersion,
                object: object(event.object)
            )
        case .services:
            let event = try decoder.decode(ResourceWatchEvent<ServiceJSON>.self, from: data)
            return Event(
                type: event.type,
                resourceVersion: event.object.metadata?.resourceVersion,
                object: object(event.object)
            )
        case .endpointSlices:
            let event = try decoder.decode(ResourceWatchEvent<EndpointSliceJSON>.self, from: data)
            return Event(
                type: event.type,
                resourceVersion: event.object.metadata?.resourceVersion,
                object: object(event.object)
            )
        }
    }

    /// A pod, with its targets.
    func object(_ item: PodJSON) -> (key: String, object: DiscoveredObject)? {
        item.podInfo.map { ($0.key, .pod($0, rules.targets(for: $0))) }
    }

    /// A node, with its kubelet targets.
    func object(_ item: NodeJSON) -> (key: String, object: DiscoveredObject)? {
        item.nodeInfo.map { ($0.name, .node($0, nodeRules.targets(for: $0))) }
    }

    /// A Service.
    func object(_ item: ServiceJSON) -> (key: String, object: DiscoveredObject)? {
        item.serviceInfo.map { ($0.key, .service($0)) }
    }

    /// An EndpointSlice.
    func object(_ item: EndpointSliceJSON) -> (key: String, object: DiscoveredObject)? {
        item.sliceInfo.map { ($0.key, .endpointSlice($0)) }
    }
}
