/// A `meta/v1` `Status` failure, the body every API-server error carries.
///
/// The shapes and messages follow apimachinery's `k8s.io/apimachinery/pkg/api/errors` constructors.
struct KubeStatus: Error, Sendable, Equatable {
    /// One entry of `details.causes`.
    struct Cause: Sendable, Equatable {
        var reason: String
        var message: String
        var field: String?
    }

    var code: Int
    var reason: String
    var message: String
    var detailsName: String?
    var detailsGroup: String?
    var detailsKind: String?
    var causes: [Cause] = []
    var retryAfterSeconds: Int?
    /// `metadata.continue` (only on the 410 for an expired `continue` token).
    var continueToken: String?
    /// Whether a `details` object is written even when empty (`"details":{}`), as some constructors do.
    var emptyDetails = false

    /// The JSON body.
    var json: JSONValue {
        var metadata: [(String, JSONValue)] = []
        if let continueToken { metadata.append(("continue", .string(continueToken))) }
        var members: [(String, JSONValue)] = [
            ("kind", "Status"), ("apiVersion", "v1"), ("metadata", .object(metadata)), ("status", "Failure"),
            ("message", .string(message)),
        ]
        // `reason` is omitted when empty (StatusReasonUnknown, as for errors that are not API statuses).
        if !reason.isEmpty { members.append(("reason", .string(reason))) }
        var details: [(String, JSONValue)] = []
        if let detailsName { details.append(("name", .string(detailsName))) }
        if let detailsGroup { details.append(("group", .string(detailsGroup))) }
        if let detailsKind { details.append(("kind", .string(detailsKind))) }
        if !causes.isEmpty {
            details.append(
                (
                    "causes",
                    .array(
                        causes.map { cause in
                            var fields: [(String, JSONValue)] = []
                            if !cause.reason.isEmpty { fields.append(("reason", .string(cause.reason))) }
                            fields.append(("message", .string(cause.message)))
                            if let field = cause.field { fields.append(("field", .string(field))) }
                            return .object(fields)
                        }
                    )
                )
            )
        }
        if let retryAfterSeconds { details.append(("retryAfterSeconds", .int(retryAfterSeconds))) }
        if !details.isEmpty || emptyDetails { members.append(("details", .object(details))) }
        members.append(("code", .int(code)))
        return .object(members)
    }

    // MARK: - The constructors apimachinery has

    static let unauthorized = KubeStatus(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// `errors.NewForbidden`: `pods "web-0" is forbidden: …` or `pods is forbidden: …`.
    static func forbidden(resource: String, group: String = "", name: String?, detail: String) -> KubeStatus {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let message: String
        if resource.isEmpty {
            message = "forbidden: \(detail)"
        } else if let name, !name.isEmpty {
            message = "\(qualified) \"\(name)\" is forbidden: \(detail)"
        } else {
            message = "\(qualified) is forbidden: \(detail)"
        }
        return KubeStatus(
            code: 403,
            reason: "Forbidden",
            message: message,
            detailsName: (name?.isEmpty ?? true) ? nil : name,
            detailsGroup: group.isEmpty ? nil : group,
            detailsKind: resource.isEmpty ? nil : resource,
            emptyDetails: true
        )
    }

    /// `errors.NewNotFound`: `pods "web-0" not found`, `endpointslices.discovery.k8s.io "x" not found`.
    static func notFound(resource: String, group: String = "", name: String) -> KubeStatus {
        KubeStatus(
            code: 404,
            reason: "NotFound",
            message: "\(group.isEmpty ? resource : resource + "." + group) \"\(name)\" not found",
            detailsName: name,
            detailsGroup: group.isEmpty ? nil : group,
            detailsKind: resource
        )
    }

    /// The 404 for a path no handler serves.
    static let pathNotFound = KubeStatus(
        code: 404,
        reason: "NotFound",
        message: "the server could not find the requested resource",
        emptyDetails: true
    )

    /// `errors.NewBadRequest`.
    static func badRequest(_ message: String) -> KubeStatus {
        KubeStatus(code: 400, reason: "BadRequest", message: message)
    }

    /// `errors.NewMethodNotSupported`.
    static func methodNotAllowed(resource: String, verb: String) -> KubeStatus {
        KubeStatus(
            code: 405,
            reason: "MethodNotAllowed",
            message: "\(verb) is not supported on resources of kind \"\(resource)\"",
            detailsKind: resource
        )
    }

    /// The 406 a request gets when it accepts no media type the server can produce.
    static let notAcceptable = KubeStatus(
        code: 406,
        reason: "NotAcceptable",
        message: "only the following media types are accepted: application/json, application/yaml, "
            + "application/vnd.kubernetes.protobuf, application/json;stream=watch, "
            + "application/vnd.kubernetes.protobuf;stream=watch"
    )

    /// `errors.NewResourceExpired` (410 `Expired`).
    static func expired(_ message: String, continueToken: String? = nil) -> KubeStatus {
        KubeStatus(code: 410, reason: "Expired", message: message, continueToken: continueToken)
    }

    /// `errors.NewTooManyRequests` (429 with `details.retryAfterSeconds`).
    static func tooManyRequests(message: String, retryAfterSeconds: Int) -> KubeStatus {
        KubeStatus(code: 429, reason: "TooManyRequests", message: message, retryAfterSeconds: retryAfterSeconds)
    }

    /// `errors.NewInternalError`.
    static func internalError(_ message: String) -> KubeStatus {
        KubeStatus(
            code: 500,
            reason: "InternalError",
            message: "Internal error occurred: \(message)",
            causes: [Cause(reason: "", message: message)]
        )
    }

    /// `errors.NewServiceUnavailable`.
    static func serviceUnavailable(_ message: String) -> KubeStatus {
        KubeStatus(code: 503, reason: "ServiceUnavailable", message: message)
    }

    /// `errors.NewTimeoutError` (504 `Timeout`, sent with `Retry-After: 1`).
    static func timeout(_ message: String, retryAfterSeconds: Int = 1, causes: [Cause] = []) -> KubeStatus {
        KubeStatus(
            code: 504,
            reason: "Timeout",
            message: "Timeout: \(message)",
            causes: causes,
            retryAfterSeconds: retryAfterSeconds
        )
    }

    /// `errors.NewRequestEntityTooLargeError`.
    static func requestEntityTooLarge(_ message: String) -> KubeStatus {
        KubeStatus(
            code: 413,
            reason: "RequestEntityTooLarge",
            message: "Request entity too large: \(message)"
        )
    }
}
