/// What representation a client asked for in `Accept`.
enum ResponseRepresentation: Sendable, Equatable {
    /// The object itself (`PodList`, `Pod`).
    case object
    /// A server-side `meta.k8s.io` Table (kubectl get), in `v1` or `v1beta1`.
    case table(version: String)
    /// `PartialObjectMetadata(List)` (metadata-only clients).
    case partialMetadata(version: String)

    /// Negotiates from an `Accept` header; nil when nothing acceptable (406).
    static func negotiate(_ accept: String?) -> ResponseRepresentation? {
        guard let accept, !accept.trimmingSpaces.isEmpty else { return .object }
        var acceptsPlainJSON = false
        for entry in accept.split(separator: ",") {
            let fields = entry.split(separator: ";").map { String($0).trimmingSpaces }
            guard let type = fields.first?.lowercased() else { continue }
            var parameters: [String: String] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1] }
            }
            if let q = parameters["q"], let weight = Double(q), weight <= 0 { continue }
            switch type {
            case "application/json", "application/json;stream=watch":
                if let kind = parameters["as"] {
                    guard parameters["g"] == "meta.k8s.io", let version = parameters["v"],
                        version == "v1" || version == "v1beta1"
                    else { continue }
                    if kind == "Table" { return .table(version: version) }
                    if kind == "PartialObjectMetadata" || kind == "PartialObjectMetadataList" {
                        return .partialMetadata(version: version)
                    }
                    continue
                }
                acceptsPlainJSON = true
            case "*/*", "application/*":
                acceptsPlainJSON = true
            default:
                continue
            }
            if acceptsPlainJSON { return .object }
        }
        return acceptsPlainJSON ? .object : nil
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
