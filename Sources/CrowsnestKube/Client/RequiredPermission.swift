public import CrowsnestCore
import Foundation

/// One permission the gateway needs in a cluster, as a `SelfSubjectAccessReview` asks it: the health page's RBAC
/// self-check covers exactly the roles a cluster file enables.
public struct RequiredPermission: Sendable, Hashable, CustomStringConvertible {
    /// `get`, `list` or `watch`.
    public var verb: String
    /// The API group (`""` = core).
    public var group: String
    /// The resource (`pods`, `nodes`, `services`, `endpointslices`).
    public var resource: String
    /// The subresource (`proxy`), or empty.
    public var subresource: String
    /// The namespace; empty = cluster-wide.
    public var namespace: String

    /// Creates a permission.
    public init(verb: String, group: String = "", resource: String, subresource: String = "", namespace: String = "") {
        self.verb = verb
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
    }

    /// `list pods`, `get nodes/proxy`, `watch pods in shop`: as `kubectl auth can-i` reads.
    public var description: String {
        let what = subresource.isEmpty ? resource : resource + "/" + subresource
        return namespace.isEmpty ? "\(verb) \(what)" : "\(verb) \(what) in \(namespace)"
    }

    /// Every permission `config` needs: pods list/watch and pods/proxy get (per watched namespace, or cluster-wide);
    /// with `nodes:`, nodes list/watch and nodes/proxy get; with `services: true`, services and endpointslices
    /// list/watch.
    public static func required(by config: ClusterConfig) -> [RequiredPermission] {
        let namespaces = config.discovery.namespaces.isEmpty ? [""] : config.discovery.namespaces
        var result: [RequiredPermission] = []
        for namespace in namespaces {
            result += [
                RequiredPermission(verb: "list", resource: "pods", namespace: namespace),
                RequiredPermission(verb: "watch", resource: "pods", namespace: namespace),
                RequiredPermission(verb: "get", resource: "pods", subresource: "proxy", namespace: namespace),
            ]
            if config.services {
                result += [
                    RequiredPermission(verb: "list", resource: "services", namespace: namespace),
                    RequiredPermission(verb: "watch", resource: "services", namespace: namespace),
                    RequiredPermission(
                        verb: "list",
                        group: "discovery.k8s.io",
                        resource: "endpointslices",
                        namespace: namespace
                    ),
                    RequiredPermission(
                        verb: "watch",
                        group: "discovery.k8s.io",
                        resource: "endpointslices",
                        namespace: namespace
                    ),
                ]
            }
        }
        if config.nodes.isEnabled {
            result += [
                RequiredPermission(verb: "list", resource: "nodes"),
                RequiredPermission(verb: "watch", resource: "nodes"),
                RequiredPermission(verb: "get", resource: "nodes", subresource: "proxy"),
            ]
        }
        return result
    }

    /// The `SelfSubjectAccessReview` asking for this permission.
    var reviewJSON: [UInt8] {
        struct Attributes: Encodable {
            var verb: String
            var group: String
            var resource: String
            var subresource: String
            var namespace: String
        }
        struct Spec: Encodable { var resourceAttributes: Attributes }
        struct Review: Encodable {
            var apiVersion = "authorization.k8s.io/v1"
            var kind = "SelfSubjectAccessReview"
            var spec: Spec
        }
        let review = Review(
            spec: Spec(
                resourceAttributes: Attributes(
                    verb: verb,
                    group: group,
                    resource: resource,
                    subresource: subresource,
                    namespace: namespace
                )
            )
        )
        return Array((try? JSONEncoder().encode(review)) ?? Data())
    }
}
