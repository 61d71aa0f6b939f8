/// What a request is about, derived from its path, method and query as apiserver's `RequestInfoFactory` does
/// (`k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`). Authorization and routing both use it.
struct RequestInfo: Sendable, Equatable {
    var isResourceRequest = false
    /// The path (decoded).
    var path: String
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `proxy`.
    var verb: String
    var apiPrefix = ""
    var apiGroup = ""
    var apiVersion = ""
    var namespace = ""
    var resource = ""
    var subresource = ""
    var name = ""
    /// The path segments from the resource on (`pods`, `web-0`, `proxy`, `metrics`).
    var parts: [String] = []

    /// Parses `segments` (the decoded path split on `/`, empty segments removed) for `method` and `query`.
    init(method: String, path: String, segments: [String], query: QueryParameters) {
        self.path = path
        let lowerMethod = method.lowercased()
        self.verb = lowerMethod
        var current = segments
        guard current.count >= 3, current[0] == "api" || current[0] == "apis" else { return }
        apiPrefix = current[0]
        current.removeFirst()
        if apiPrefix == "apis" {
            guard current.count >= 3 else { return }
            apiGroup = current[0]
            current.removeFirst()
        }
        isResourceRequest = true
        apiVersion = current[0]
        current.removeFirst()

        var verbFromMethod = false
        if let first = current.first, first == "proxy" || first == "watch" {
            guard current.count >= 2 else {
                isResourceRequest = false
                return
            }
            verb = first
            current.removeFirst()
        } else {
            verbFromMethod = true
            switch method {
            case "POST": verb = "create"
            case "GET", "HEAD": verb = "get"
            case "PUT": verb = "update"
            case "PATCH": verb = "patch"
            case "DELETE": verb = "delete"
            default: verb = ""
            }
        }
        if current.first == "namespaces" {
            if current.count > 1 {
                namespace = current[1]
                if current.count > 2, current[2] != "status", current[2] != "finalize" {
                    current.removeFirst(2)
                }
            }
        }
        parts = current
        if parts.count >= 3, verb != "proxy" { subresource = parts[2] }
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 1 { resource = parts[0] }

        if name.isEmpty, verb == "get" {
            verb = query.isWatch ? "watch" : "list"
        }
        if name.isEmpty, verb == "delete" { verb = "deletecollection" }
        _ = verbFromMethod
    }

    /// `pods/proxy` etc.
    var resourceWithSubresource: String {
        subresource.isEmpty ? resource : resource + "/" + subresource
    }
}
