import Synchronization

/// Who a rule applies to.
public enum Subject: Sendable, Hashable {
    /// One user name.
    case user(String)
    /// Every member of a group.
    case group(String)
}

/// One rule of the simulator's small RBAC model.
public struct AccessRule: Sendable, Equatable {
    /// Verbs (`get`, `list`, `watch`, `create`, …) or `*`.
    public var verbs: Set<String>
    /// Resources (`pods`, `pods/proxy`, `namespaces`, `nodes`, `nodes/proxy`, `services`, `endpointslices`, …)
    /// or `*`. Resource names are unique across the groups the simulator serves, so rules name no group.
    public var resources: Set<String>
    /// Namespaces the rule covers; nil = cluster-wide (a ClusterRoleBinding), which also covers cluster-scope
    /// requests such as `GET /api/v1/pods`.
    public var namespaces: Set<String>?

    /// Creates a rule.
    public init(verbs: Set<String>, resources: Set<String>, namespaces: Set<String>? = nil) {
        self.verbs = verbs
        self.resources = resources
        self.namespaces = namespaces
    }

    func covers(verb: String, resource: String, namespace: String) -> Bool {
        guard verbs.contains("*") || verbs.contains(verb) else { return false }
        guard resources.contains("*") || resources.contains(resource) else { return false }
        guard let namespaces else { return true }
        return !namespace.isEmpty && (namespaces.contains(namespace) || namespaces.contains("*"))
    }
}

/// The authorization model of a simulated cluster: per subject, rules that allow and rules that deny.
///
/// Members of `system:masters` may do anything (as in Kubernetes). Every authenticated user may read the
/// discovery paths (`/api`, `/apis`, `/version`, …) and create SelfSubjectAccessReviews. Deny rules are
/// checked first; they are not part of Kubernetes RBAC (which only allows) but model an authorizer or a
/// missing binding that fences off a namespace.
public final class AccessPolicy: Sendable {
    private struct Rules: Sendable {
        var allow: [Subject: [AccessRule]] = [:]
        var deny: [Subject: [AccessRule]] = [:]
    }

    private let rules = Mutex(Rules())

    /// Non-resource paths every authenticated user may GET (`system:discovery`, `system:public-info-viewer`).
    static let discoveryPaths: [String] = ["/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi"]

    /// Creates an empty policy (only `system:masters` can do anything).
    public init() {}

    /// Allows `verbs` on `resources` for `subject`, cluster-wide (`namespaces: nil`) or in some namespaces.
    public func allow(
        _ subject: Subject,
        verbs: Set<String>,
        resources: Set<String>,
        namespaces: Set<String>? = nil
    ) {
        rules.withLock {
            $0.allow[subject, default: []].append(
                AccessRule(verbs: verbs, resources: resources, namespaces: namespaces)
            )
        }
    }

    /// Denies `verbs` on `resources` for `subject` in `namespaces` (nil = everywhere), overriding any allow.
    public func deny(
        _ subject: Subject,
        verbs: Set<String> = ["*"],
        resources: Set<String> = ["*"],
        namespaces: Set<String>? = nil
    ) {
        rules.withLock {
            $0.deny[subject, default: []].append(AccessRule(verbs: verbs, resources: resources, namespaces: namespaces))
        }
    }

    /// The rules a Prometheus-style scraper needs: list and watch pods, get pods/proxy (cluster-wide or in
    /// `namespaces`).
    public func allowScraping(_ subject: Subject, namespaces: Set<String>? = nil) {
        allow(subject, verbs: ["get", "list", "watch"], resources: ["pods"], namespaces: namespaces)
        allow(subject, verbs: ["get"], resources: ["pods/proxy"], namespaces: namespaces)
    }

    /// The rules node targets need (what `crowsnest rbac --nodes` grants): list, watch and get `nodes`, get
    /// `nodes/proxy` — cluster-wide, as nodes are cluster-scoped.
    public func allowNodeScraping(_ subject: Subject) {
        allow(subject, verbs: ["get", "list", "watch"], resources: ["nodes"])
        allow(subject, verbs: ["get"], resources: ["nodes/proxy"])
    }

    /// The rules Service-endpoint discovery needs (what `crowsnest rbac --services` grants): list, watch and get
    /// `services` and `endpointslices` (cluster-wide, or in `namespaces`).
    public func allowServiceDiscovery(_ subject: Subject, namespaces: Set<String>? = nil) {
        allow(
            subject,
            verbs: ["get", "list", "watch"],
            resources: ["services", "endpointslices"],
            namespaces: namespaces
        )
    }

    /// Removes every rule of `subject`.
    public func removeRules(for subject: Subject) {
        rules.withLock {
            $0.allow[subject] = nil
            $0.deny[subject] = nil
        }
    }

    /// Removes every rule.
    public func removeAll() {
        rules.withLock { $0 = Rules() }
    }

    /// Whether `identity` may `verb` the `resource` (`pods`, `pods/proxy`) in `namespace` ("" = cluster scope).
    public func isAllowed(_ identity: Identity, verb: String, resource: String, namespace: String = "") -> Bool {
        let groups = identity.effectiveGroups
        if groups.contains("system:masters") { return true }
        let subjects = [Subject.user(identity.user)] + groups.map { Subject.group($0) }
        return rules.withLock { rules in
            for subject in subjects {
                for rule in rules.deny[subject] ?? []
                where rule.covers(verb: verb, resource: resource, namespace: namespace) {
                    return false
                }
            }
            for subject in subjects {
                for rule in rules.allow[subject] ?? []
                where rule.covers(verb: verb, resource: resource, namespace: namespace) {
                    return true
                }
            }
            return false
        }
    }

    /// Whether `identity` may `verb` the non-resource `path`.
    func isAllowed(_ identity: Identity, verb: String, nonResourcePath path: String) -> Bool {
        if identity.effectiveGroups.contains("system:masters") { return true }
        guard verb == "get" || verb == "head" else { return false }
        return AccessPolicy.discoveryPaths.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    /// Authorizes a parsed request.
    func isAllowed(_ identity: Identity, _ info: RequestInfo) -> Bool {
        if info.isResourceRequest {
            if info.apiGroup == "authorization.k8s.io",
                info.resource == "selfsubjectaccessreviews"
                    || info.resource == "selfsubjectrulesreviews", info.verb == "create"
            {
                return true
            }
            return isAllowed(
                identity,
                verb: info.verb,
                resource: info.resourceWithSubresource,
                namespace: info.namespace
            )
        }
        return isAllowed(identity, verb: info.verb, nonResourcePath: info.path)
    }

    /// The 403 Status for a denied request (`rbac` + `errors.NewForbidden`'s wording).
    static func forbiddenStatus(_ identity: Identity, _ info: RequestInfo) -> KubeStatus {
        if !info.isResourceRequest {
            return KubeStatus.forbidden(
                resource: "",
                name: nil,
                detail: "User \"\(identity.user)\" cannot \(info.verb) path \"\(info.path)\""
            )
        }
        let scope =
            info.namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(info.namespace)\""
        let detail =
            "User \"\(identity.user)\" cannot \(info.verb) resource \"\(info.resourceWithSubresource)\" in API group "
            + "\"\(info.apiGroup)\" \(scope)"
        return KubeStatus.forbidden(resource: info.resource, group: info.apiGroup, name: info.name, detail: detail)
    }
}
