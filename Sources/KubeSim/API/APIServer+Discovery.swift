import NIOHTTP1

extension APIServer {
    /// `/version`, health checks and the legacy discovery documents (`/api`, `/apis`, `/api/v1`, …).
    ///
    /// Discovery answers with plain `application/json`, so clients asking for aggregated discovery
    /// (`as=APIGroupDiscoveryList`) fall back to the legacy documents, as they do with older servers.
    /// `/openapi/v2` and `/openapi/v3` answer 404, as servers without OpenAPI do.
    func serveNonResource(path: String, request: HTTPRequest, writer: ResponseWriter) async throws {
        let documents: [String: JSONValue] = [
            "/version": versionDocument,
            "/api": apiVersionsDocument(request),
            "/apis": APIServer.groupListDocument,
            "/api/v1": APIServer.coreResourceList,
            "/apis/authorization.k8s.io": APIServer.authorizationGroup.merging([
                ("kind", "APIGroup"), ("apiVersion", "v1"),
            ]),
            "/apis/authorization.k8s.io/v1": APIServer.authorizationResourceList,
            "/apis/discovery.k8s.io": APIServer.discoveryGroup.merging([("kind", "APIGroup"), ("apiVersion", "v1")]),
            "/apis/discovery.k8s.io/v1": APIServer.discoveryResourceList,
        ]
        let health = ["/healthz", "/livez", "/readyz"]
        guard documents[path] != nil || health.contains(path) else {
            try await writer.status(.pathNotFound)
            return
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            try await writer.status(
                KubeStatus(
                    code: 405,
                    reason: "MethodNotAllowed",
                    message: "the server does not allow this method on the requested resource",
                    emptyDetails: true
                )
            )
            return
        }
        if health.contains(path) {
            try await writer.text(200, "ok")
            return
        }
        try await writer.json(200, documents[path]!)
    }

    private var versionDocument: JSONValue {
        let configuration = cluster.configuration
        let (major, minor) = configuration.versionParts
        return .object([
            ("major", .string(major)), ("minor", .string(minor)), ("gitVersion", .string(configuration.gitVersion)),
            ("gitCommit", "0d5b8a8e2b1c6f6a9e4b3c2d1e0f9a8b7c6d5e4f"), ("gitTreeState", "clean"),
            ("buildDate", "2024-12-10T11:37:37Z"), ("goVersion", "go1.22.9"), ("compiler", "gc"),
            ("platform", .string(configuration.platform)),
        ])
    }

    private func apiVersionsDocument(_ request: HTTPRequest) -> JSONValue {
        let address = request.head.headers.first(name: "host") ?? "\(cluster.configuration.host):\(cluster.port ?? 0)"
        return .object([
            ("kind", "APIVersions"), ("versions", .array(["v1"])),
            (
                "serverAddressByClientCIDRs",
                .array([.object([("clientCIDR", "0.0.0.0/0"), ("serverAddress", .string(address))])])
            ),
        ])
    }

    static let authorizationGroup: JSONValue = .object([
        ("name", "authorization.k8s.io"),
        ("versions", .array([.object([("groupVersion", "authorization.k8s.io/v1"), ("version", "v1")])])),
        ("preferredVersion", .object([("groupVersion", "authorization.k8s.io/v1"), ("version", "v1")])),
    ])

    static let discoveryGroup: JSONValue = .object([
        ("name", "discovery.k8s.io"),
        ("versions", .array([.object([("groupVersion", "discovery.k8s.io/v1"), ("version", "v1")])])),
        ("preferredVersion", .object([("groupVersion", "discovery.k8s.io/v1"), ("version", "v1")])),
    ])

    static let discoveryResourceList: JSONValue = .object([
        ("kind", "APIResourceList"), ("apiVersion", "v1"), ("groupVersion", "discovery.k8s.io/v1"),
        (
            "resources",
            .array([
                .object([
                    ("name", "endpointslices"), ("singularName", "endpointslice"), ("namespaced", true),
                    ("kind", "EndpointSlice"),
                    (
                        "verbs",
                        .array(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
                    ),
                    ("storageVersionHash", "Nx3SIv6I0mE="),
                ])
            ])
        ),
    ])

    static let groupListDocument: JSONValue = .object([
        ("kind", "APIGroupList"), ("apiVersion", "v1"), ("groups", .array([authorizationGroup, discoveryGroup])),
    ])

    static let coreResourceList: JSONValue = .object([
        ("kind", "APIResourceList"), ("groupVersion", "v1"),
        (
            "resources",
            .array([
                .object([
                    ("name", "namespaces"), ("singularName", "namespace"), ("namespaced", false), ("kind", "Namespace"),
                    ("verbs", .array(["get", "list"])), ("shortNames", .array(["ns"])),
                    ("storageVersionHash", "Q3oi5N2YM8M="),
                ]),
                .object([
                    ("name", "nodes"), ("singularName", "node"), ("namespaced", false), ("kind", "Node"),
                    (
                        "verbs",
                        .array(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
                    ),
                    ("shortNames", .array(["no"])), ("storageVersionHash", "XwShjMxG9Fs="),
                ]),
                .object([
                    ("name", "nodes/proxy"), ("singularName", ""), ("namespaced", false), ("kind", "NodeProxyOptions"),
                    ("verbs", .array(["create", "delete", "get", "patch", "update"])),
                ]),
                .object([
                    ("name", "nodes/status"), ("singularName", ""), ("namespaced", false), ("kind", "Node"),
                    ("verbs", .array(["get", "patch", "update"])),
                ]),
                .object([
                    ("name", "pods"), ("singularName", "pod"), ("namespaced", true), ("kind", "Pod"),
                    (
                        "verbs",
                        .array(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
                    ),
                    ("shortNames", .array(["po"])), ("categories", .array(["all"])),
                    ("storageVersionHash", "xPOwRZ+Yhw8="),
                ]),
                .object([
                    ("name", "pods/proxy"), ("singularName", ""), ("namespaced", true), ("kind", "PodProxyOptions"),
                    ("verbs", .array(["create", "delete", "get", "patch", "update"])),
                ]),
                .object([
                    ("name", "pods/status"), ("singularName", ""), ("namespaced", true), ("kind", "Pod"),
                    ("verbs", .array(["get", "patch", "update"])),
                ]),
                .object([
                    ("name", "services"), ("singularName", "service"), ("namespaced", true), ("kind", "Service"),
                    (
                        "verbs",
                        .array(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
                    ),
                    ("shortNames", .array(["svc"])), ("categories", .array(["all"])),
                    ("storageVersionHash", "0/CO1lhkEBI="),
                ]),
                .object([
                    ("name", "services/proxy"), ("singularName", ""), ("namespaced", true),
                    ("kind", "ServiceProxyOptions"), ("verbs", .array(["create", "delete", "get", "patch", "update"])),
                ]),
                .object([
                    ("name", "services/status"), ("singularName", ""), ("namespaced", true), ("kind", "Service"),
                    ("verbs", .array(["get", "patch", "update"])),
                ]),
            ])
        ),
    ])

    static let authorizationResourceList: JSONValue = .object([
        ("kind", "APIResourceList"), ("apiVersion", "v1"), ("groupVersion", "authorization.k8s.io/v1"),
        (
            "resources",
            .array([
                .object([
                    ("name", "selfsubjectaccessreviews"), ("singularName", "selfsubjectaccessreview"),
                    ("namespaced", false),
                    ("kind", "SelfSubjectAccessReview"), ("verbs", .array(["create"])),
                ])
            ])
        ),
    ])
}

extension JSONValue {
    /// An object with `members` put first (for objects built from a shared body).
    func merging(_ members: [(String, JSONValue)]) -> JSONValue {
        guard case .object(let existing) = self else { return self }
        return .object(members + existing)
    }
}
