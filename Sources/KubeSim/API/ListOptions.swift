/// The query parameters of a list or watch (`metav1.ListOptions`), parsed and validated with the API server's
/// errors.
struct ListOptions: Sendable {
    var labelSelector: LabelSelector = .everything
    var fieldSelector: FieldSelector = .everything
    var limit = 0
    var continueToken: ContinueToken?
    var resourceVersion: String?
    var resourceVersionMatch: String?
    var watch = false
    var allowWatchBookmarks = false
    var timeoutSeconds: Int?
    var sendInitialEvents: Bool?

    /// A field error of `ValidateListOptions`.
    struct FieldError {
        var field: String
        var type: String  // "Forbidden", "Unsupported value"
        var reason: String  // "FieldValueForbidden", "FieldValueNotSupported"
        var detail: String

        var text: String { "\(field): \(type): \(detail)" }
    }

    /// Parses and validates `query`, or returns the Status to answer with. `fieldLabels` are the field paths the
    /// resource supports in field selectors (pods' by default).
    static func parse(
        _ query: QueryParameters,
        isWatch: Bool,
        fieldLabels: Set<String> = FieldSelector.podFields
    ) -> Result<ListOptions, KubeStatus> {
        var options = ListOptions()
        options.watch = isWatch
        if query.malformed { return .failure(.badRequest("invalid query string")) }
        if let text = query.first("labelSelector"), !text.isEmpty {
            do {
                options.labelSelector = try LabelSelector(parsing: text)
            } catch {
                return .failure(.badRequest(error.message))
            }
        }
        if let text = query.first("fieldSelector"), !text.isEmpty {
            do {
                let selector = try FieldSelector(parsing: text)
                try selector.validate(fieldLabels)
                options.fieldSelector = selector
            } catch {
                return .failure(.badRequest(error.message))
            }
        }
        if let text = query.first("limit"), !text.isEmpty {
            guard let limit = Int64(text) else {
                return .failure(.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax"))
            }
            options.limit = limit > 0 ? Int(clamping: limit) : 0
        }
        if let text = query.first("timeoutSeconds"), !text.isEmpty {
            guard let seconds = Int64(text) else {
                return .failure(.badRequest("strconv.ParseInt: parsing \"\(text)\": invalid syntax"))
            }
            options.timeoutSeconds = Int(clamping: max(seconds, 0))
        }
        for flag in ["allowWatchBookmarks", "sendInitialEvents"] {
            if let text = query.first(flag), !text.isEmpty, QueryParameters.parseBool(text) == nil {
                return .failure(.badRequest("strconv.ParseBool: parsing \"\(text)\": invalid syntax"))
            }
        }
        options.allowWatchBookmarks = query.first("allowWatchBookmarks").flatMap(QueryParameters.parseBool) ?? false
        options.sendInitialEvents = query.first("sendInitialEvents").flatMap(QueryParameters.parseBool)
        if let text = query.first("resourceVersion"), !text.isEmpty { options.resourceVersion = text }
        if let text = query.first("resourceVersionMatch"), !text.isEmpty { options.resourceVersionMatch = text }
        let continueText = query.first("continue") ?? ""

        var errors: [FieldError] = []
        let match = options.resourceVersionMatch
        if isWatch {
            if options.sendInitialEvents != nil {
                if match != "NotOlderThan" {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
                        )
                    )
                }
                if options.sendInitialEvents == true, !options.allowWatchBookmarks {
                    errors.append(
                        FieldError(
                            field: "allowWatchBookmarks",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "sendInitialEvents requires setting allowWatchBookmarks to true"
                        )
                    )
                }
            }
            if let match {
                if options.sendInitialEvents == nil {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
                        )
                    )
                }
                if match != "NotOlderThan" {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Unsupported value",
                            reason: "FieldValueNotSupported",
                            detail: "\"\(match)\": supported values: \"NotOlderThan\""
                        )
                    )
                }
                if !continueText.isEmpty {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "resourceVersionMatch is forbidden when continue is provided"
                        )
                    )
                }
            }
        } else {
            if let match {
                if options.resourceVersion == nil {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "resourceVersionMatch is forbidden unless resourceVersion is provided"
                        )
                    )
                }
                if !continueText.isEmpty {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "resourceVersionMatch is forbidden when continue is provided"
                        )
                    )
                }
                if match != "Exact", match != "NotOlderThan" {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Unsupported value",
                            reason: "FieldValueNotSupported",
                            detail: "\"\(match)\": supported values: \"Exact\", \"NotOlderThan\", \"\""
                        )
                    )
                }
                if match == "Exact", options.resourceVersion == "0" {
                    errors.append(
                        FieldError(
                            field: "resourceVersionMatch",
                            type: "Forbidden",
                            reason: "FieldValueForbidden",
                            detail: "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
                        )
                    )
                }
            }
            if options.sendInitialEvents != nil {
                errors.append(
                    FieldError(
                        field: "sendInitialEvents",
                        type: "Forbidden",
                        reason: "FieldValueForbidden",
                        detail: "sendInitialEvents is forbidden for list"
                    )
                )
            }
        }
        if !errors.isEmpty { return .failure(KubeStatus.invalidListOptions(errors)) }

        if let resourceVersion = options.resourceVersion, resourceVersion != "0", Int(resourceVersion) == nil {
            return .failure(.badRequest("invalid resource version: \(resourceVersion)"))
        }
        if !continueText.isEmpty, !isWatch {
            if let resourceVersion = options.resourceVersion, resourceVersion != "0" {
                return .failure(.badRequest("specifying resource version is not allowed when using continue"))
            }
            switch ContinueToken.decode(continueText) {
            case .success(let token): options.continueToken = token
            case .failure(let error): return .failure(.badRequest("invalid continue token: \(error.message)"))
            }
        }
        return .success(options)
    }
}

extension KubeStatus {
    /// `errors.NewInvalid` on `ListOptions` (a 422) with one or more field errors.
    static func invalidListOptions(_ errors: [ListOptions.FieldError]) -> KubeStatus {
        let summary = errors.count == 1 ? errors[0].text : "[" + errors.map(\.text).joined(separator: ", ") + "]"
        return KubeStatus(
            code: 422,
            reason: "Invalid",
            message: "ListOptions.meta.k8s.io \"\" is invalid: \(summary)",
            detailsGroup: "meta.k8s.io",
            detailsKind: "ListOptions",
            causes: errors.map { Cause(reason: $0.reason, message: "\($0.type): \($0.detail)", field: $0.field) }
        )
    }
}
