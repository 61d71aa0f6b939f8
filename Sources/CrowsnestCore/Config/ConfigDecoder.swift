/// Walks a `ConfigNode` tree for one file and collects every problem found (rather than stopping at the first).
///
/// Internal machinery shared by the cluster-file and global-config decoders. Messages produced here never quote a
/// value: callers quote values only for fields that are not secret (`ConfigText.quote`).
final class ConfigDecoder {
    /// The file being decoded, as it appears in every problem.
    let file: String
    /// Every problem found so far, in the order found.
    private(set) var problems: [ConfigProblem] = []

    init(file: String) { self.file = file }

    /// Whether an error (not just a warning) has been reported.
    var hasErrors: Bool { problems.containsError }

    func location(_ node: ConfigNode?) -> ConfigSourceLocation {
        guard let node else { return ConfigSourceLocation(file: file, line: 1, column: 1) }
        return ConfigSourceLocation(file: file, line: node.line, column: node.column)
    }

    func error(_ code: ConfigProblem.Code, at node: ConfigNode?, _ field: String, _ reason: String) {
        problems.append(ConfigProblem(.error, code: code, location: location(node), field: field, reason: reason))
    }

    func warning(_ code: ConfigProblem.Code, at node: ConfigNode?, _ field: String, _ reason: String) {
        problems.append(ConfigProblem(.warning, code: code, location: location(node), field: field, reason: reason))
    }

    func append(_ problem: ConfigProblem) { problems.append(problem) }

    // MARK: Mappings

    /// Reads a mapping node: reports a non-mapping, non-scalar keys, and unknown keys (with a "did you mean"
    /// suggestion drawn from `known`, or from `misplaced`, which maps keys of other sections to where they belong).
    ///
    /// Entries whose value is null count as absent. Returns `nil` when `node` is not a mapping.
    func mapping(
        _ node: ConfigNode,
        field: String,
        known: [String],
        misplaced: [String: String] = [:]
    ) -> ConfigFields? {
        guard case .mapping(let entries) = node.kind else {
            error(.wrongType, at: node, field, "expected a mapping, got \(node.typeName)")
            return nil
        }
        var fields = ConfigFields(node: node, base: field)
        for entry in entries {
            guard case .scalar(let key, _) = entry.key.kind else {
                error(.wrongType, at: entry.key, field, "mapping keys must be strings, got \(entry.key.typeName)")
                continue
            }
            let path = ConfigFields.join(field, key)
            if key == "<<" {
                error(.unknownField, at: entry.key, path, "YAML merge keys (<<) are not supported")
                continue
            }
            guard known.contains(key) else {
                var reason = "unknown field"
                if let spelled = PrometheusSpelling.suggestion(for: key, known: known, field: field) {
                    reason += "; did you mean '\(spelled)'? (Prometheus spells it '\(key)')"
                } else if let suggestion = ConfigText.suggestion(for: key, among: known) {
                    reason += "; did you mean '\(suggestion)'?"
                } else if let section = misplaced[key] {
                    reason += "; did you mean '\(section).\(key)' (under '\(section):')?"
                } else if let section = ConfigText.suggestion(for: key, among: Array(misplaced.keys)),
                    let home = misplaced[section]
                {
                    reason += "; did you mean '\(home).\(section)'?"
                }
                error(.unknownField, at: entry.key, path, reason)
                continue
            }
            fields.keys[key] = entry.key
            if !entry.value.isNull { fields.values[key] = entry.value }
        }
        return fields
    }

    // MARK: Scalars

    /// A string value; reports mappings and lists.
    ///
    /// `nil` when absent, null or of the wrong type.
    func string(_ fields: ConfigFields, _ key: String) -> String? {
        guard let node = fields[key] else { return nil }
        return string(node, fields.path(key))
    }

    func string(_ node: ConfigNode, _ field: String) -> String? {
        guard !node.isNull else { return nil }
        guard case .scalar(let text, _) = node.kind else {
            error(.wrongType, at: node, field, "expected a string, got \(node.typeName)")
            return nil
        }
        return text
    }

    /// A boolean (`true`/`false`, any case YAML 1.2 allows, quoted or not).
    func bool(_ fields: ConfigFields, _ key: String) -> Bool? {
        guard let node = fields[key], let text = string(node, fields.path(key)) else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            error(.invalidValue, at: node, fields.path(key), "expected true or false, got \(ConfigText.quote(text))")
            return nil
        }
    }

    /// A decimal integer in `range`.
    func int(_ fields: ConfigFields, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = fields[key], let text = string(node, fields.path(key)) else { return nil }
        return int(text, node, fields.path(key), in: range)
    }

    func int(_ text: String, _ node: ConfigNode, _ field: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = Int(text) else {
            error(.invalidValue, at: node, field, "expected an integer, got \(ConfigText.quote(text))")
            return nil
        }
        guard range.contains(value) else {
            let bound =
                range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            error(.invalidValue, at: node, field, "must be \(bound), got \(value)")
            return nil
        }
        return value
    }

    /// A Prometheus duration (`30s`, `1m30s`, `500ms`), strictly positive unless `allowZero`.
    func duration(_ fields: ConfigFields, _ key: String, allowZero: Bool = false) -> Duration? {
        guard let node = fields[key], let text = string(node, fields.path(key)) else { return nil }
        guard let value = Duration(prometheus: text) else {
            error(
                .invalidValue,
                at: node,
                fields.path(key),
                "invalid duration \(ConfigText.quote(text)); use Prometheus syntax like 30s, 1m30s, 500ms, 1h"
            )
            return nil
        }
        if !allowZero && value == .zero {
            error(.invalidValue, at: node, fields.path(key), "must be greater than 0")
            return nil
        }
        return value
    }

    /// A byte size (`50MiB`, `512KB`, `0`).
    func byteCount(_ fields: ConfigFields, _ key: String) -> ByteCount? {
        guard let node = fields[key], let text = string(node, fields.path(key)) else { return nil }
        guard let value = ByteCount(parsing: text) else {
            error(
                .invalidValue,
                at: node,
                fields.path(key),
                "invalid size \(ConfigText.quote(text)); use a number with a unit: B, KB, KiB, MB, MiB, GB, GiB, "
                    + "TB, TiB (KB = KiB = 1024 bytes, as in Prometheus), or 0 for no limit"
            )
            return nil
        }
        return value
    }

    /// A list of strings; a lone scalar is reported (not silently wrapped).
    ///
    /// `nil` when absent or wrong.
    func stringList(_ fields: ConfigFields, _ key: String) -> [(String, ConfigNode)]? {
        guard let node = fields[key] else { return nil }
        return stringList(node, fields.path(key))
    }

    func stringList(_ node: ConfigNode, _ field: String) -> [(String, ConfigNode)]? {
        guard case .sequence(let items) = node.kind else {
            error(.wrongType, at: node, field, "expected a list, got \(node.typeName)")
            return nil
        }
        var result: [(String, ConfigNode)] = []
        for (index, item) in items.enumerated() {
            if item.isNull {
                error(.wrongType, at: item, "\(field)[\(index)]", "expected a string, got null")
            } else if let text = string(item, "\(field)[\(index)]") {
                result.append((text, item))
            }
        }
        return result
    }
}

/// The known, non-null entries of one mapping, with the key nodes for positions.
struct ConfigFields {
    /// The mapping node itself.
    let node: ConfigNode
    /// The field path of the mapping (`""` for the document root).
    let base: String
    /// Values of known keys whose value is not null.
    var values: [String: ConfigNode] = [:]
    /// Key nodes of every known key present (null values included).
    var keys: [String: ConfigNode] = [:]

    init(node: ConfigNode, base: String) {
        self.node = node
        self.base = base
    }

    subscript(key: String) -> ConfigNode? { values[key] }

    /// Whether the key is present with a non-null value.
    func has(_ key: String) -> Bool { values[key] != nil }

    /// The field path of `key` in this mapping.
    func path(_ key: String) -> String { Self.join(base, key) }

    /// The best node to point at for `key`: its value, else its key, else the mapping.
    func position(_ key: String) -> ConfigNode { values[key] ?? keys[key] ?? node }

    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : base + "." + key }
}

extension ConfigDecoder {
    /// Reads a path field, resolves it (relative to `baseDirectory`, `~` against `homeDirectory`) and records it in
    /// `references`.
    ///
    /// `nil` when absent or invalid.
    func resolvePath(
        _ fields: ConfigFields,
        _ key: String,
        kind: ConfigFileReference.Kind,
        baseDirectory: String,
        homeDirectory: String?,
        into references: inout [ConfigFileReference]
    ) -> String? {
        guard let node = fields[key], let written = string(node, fields.path(key)) else { return nil }
        switch ConfigPaths.resolve(written, baseDirectory: baseDirectory, homeDirectory: homeDirectory) {
        case .success(let resolved):
            references.append(
                ConfigFileReference(
                    kind: kind,
                    path: resolved,
                    writtenPath: written,
                    field: fields.path(key),
                    location: location(node)
                )
            )
            return resolved
        case .failure(let failure):
            error(.invalidValue, at: node, fields.path(key), "\(ConfigText.quote(written)): \(failure.reason)")
            return nil
        }
    }
}
