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
        case .pods: try page(data, decoder, object as (PodJSON) -> (key: String, object: DiscoveredObject)?)
        case .nodes: try page(data, decoder, object as (NodeJSON) -> (key: String, object: DiscoveredObject)?)
        case .services: try page(data, decoder, object as (ServiceJSON) -> (key: String, object: DiscoveredObject)?)
        case .endpointSlices:
            try page(data, decoder, object as (EndpointSliceJSON) -> (key: String, object: DiscoveredObject)?)
        }
    }

    /// Decodes one watch event of `resource`.
    func decodeEvent(_ resource: DiscoveredResource, _ data: Data, decoder: JSONDecoder) throws -> Event {
        switch resource {
        case .pods:
            try event(data, decoder, \PodJSON.metadata?.resourceVersion, object)
        case .nodes:
            try event(data, decoder, \NodeJSON.metadata?.resourceVersion, object)
        case .services:
            try event(data, decoder, \ServiceJSON.metadata?.resourceVersion, object)
        case .endpointSlices:
            try event(data, decoder, \EndpointSliceJSON.metadata?.resourceVersion, object)
        }
    }

    /// A list page of `Item`s, each made a keyed object by `transform`.
    private func page<Item: Decodable & Sendable>(
        _ data: Data,
        _ decoder: JSONDecoder,
        _ transform: (Item) -> (key: String, object: DiscoveredObject)?
    ) throws -> Page {
        let list = try decoder.decode(ResourceListJSON<Item>.self, from: data)
        return Page(objects: (list.items ?? []).compactMap(transform), metadata: list.metadata)
    }

    /// A watch event of `Item`, its resourceVersion read at `version`.
    private func event<Item: Decodable & Sendable>(
        _ data: Data,
        _ decoder: JSONDecoder,
        _ version: KeyPath<Item, String?>,
        _ transform: (Item) -> (key: String, object: DiscoveredObject)?
    ) throws -> Event {
        let event = try decoder.decode(ResourceWatchEvent<Item>.self, from: data)
        return Event(type: event.type, resourceVersion: event.object[keyPath: version], object: transform(event.object))
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
