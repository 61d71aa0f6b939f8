import Foundation
import NIOCore

extension APIServer {
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, answered from the cluster's policy.
    func selfSubjectAccessReview(_ request: HTTPRequest, context: RequestContext, writer: ResponseWriter) async throws {
        let identity = context.identity ?? Identity(user: "system:anonymous")
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(request.body.readableBytesView))
                as? [String: Any],
            (object["kind"] as? String ?? "SelfSubjectAccessReview") == "SelfSubjectAccessReview"
        else {
            try await writer.status(
                .badRequest("the object provided is unrecognized (must be of type SelfSubjectAccessReview)")
            )
            return
        }
        let spec = object["spec"] as? [String: Any] ?? [:]
        let resource = spec["resourceAttributes"] as? [String: Any]
        let nonResource = spec["nonResourceAttributes"] as? [String: Any]
        guard (resource == nil) != (nonResource == nil) else {
            let detail = "exactly one of nonResourceAttributes or resourceAttributes must be specified"
            try await writer.status(
                KubeStatus(
                    code: 422,
                    reason: "Invalid",
                    message:
                        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": \(detail)",
                    detailsGroup: "authorization.k8s.io",
                    detailsKind: "SelfSubjectAccessReview",
                    causes: [
                        KubeStatus.Cause(
                            reason: "FieldValueInvalid",
                            message: "Invalid value: \"null\": \(detail)",
                            field: "spec.resourceAttributes"
                        )
                    ]
                )
            )
            return
        }
        let allowed: Bool
        var specJSON: [(String, JSONValue)] = []
        if let resource {
            let verb = resource["verb"] as? String ?? ""
            let name = resource["resource"] as? String ?? ""
            let subresource = resource["subresource"] as? String ?? ""
            let namespace = resource["namespace"] as? String ?? ""
            let group = resource["group"] as? String ?? ""
            let full = subresource.isEmpty ? name : name + "/" + subresource
            // The policy models the core group and discovery.k8s.io; any other group is for system:masters only.
            allowed =
                ["", "*", "discovery.k8s.io"].contains(group)
                ? cluster.policy.isAllowed(identity, verb: verb, resource: full, namespace: namespace)
                : identity.effectiveGroups.contains("system:masters")
            var attributes: [(String, JSONValue)] = []
            for key in ["namespace", "verb", "group", "version", "resource", "subresource", "name"] {
                if let value = resource[key] as? String, !value.isEmpty { attributes.append((key, .string(value))) }
            }
            specJSON.append(("resourceAttributes", .object(attributes)))
        } else {
            let path = nonResource?["path"] as? String ?? ""
            let verb = nonResource?["verb"] as? String ?? ""
            allowed = cluster.policy.isAllowed(identity, verb: verb, nonResourcePath: path)
            specJSON.append(("nonResourceAttributes", .object([("path", .string(path)), ("verb", .string(verb))])))
        }
        var status: [(String, JSONValue)] = [("allowed", .bool(allowed))]
        if allowed { status.append(("reason", "RBAC: allowed by the simulator's policy")) }
        try await writer.json(
            201,
            .object([
                ("kind", "SelfSubjectAccessReview"), ("apiVersion", "authorization.k8s.io/v1"),
                ("metadata", .object([("creationTimestamp", .null)])), ("spec", .object(specJSON)),
                ("status", .object(status)),
            ])
        )
    }
}
