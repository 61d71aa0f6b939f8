extension RelabelRule {
    /// The keys of one `relabel_configs` entry.
    static let keys = ["source_labels", "separator", "target_label", "regex", "modulus", "replacement", "action"]

    /// Decodes a `relabel_configs` / `metric_relabel_configs` list.
    ///
    /// Types and label names are checked here, per
    /// element; then each rule goes through the relabel engine's own validation (`RelabelRule.validate`, the check
    /// `Relabeler(rules:)` runs: Prometheus' `relabel.Config.Validate` plus regex compilation), whose error is
    /// reported at the field it names.
    static func decodeList(_ node: ConfigNode, field: String, decoder d: ConfigDecoder) -> [RelabelRule] {
        guard case .sequence(let items) = node.kind else {
            d.error(.wrongType, at: node, field, "expected a list of relabel rules, got \(node.typeName)")
            return []
        }
        var rules: [RelabelRule] = []
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let (rule, fields) = decode(item, field: itemField, decoder: d) else { continue }
            // The compiled-rule validation: the same check `Relabeler(rules:)` performs.
            do throws(RelabelError) {
                try rule.validate(index: index)
                rules.append(rule)
            } catch {
                let key = error.field.rawValue
                d.error(.invalidValue, at: fields.position(key), fields.path(key), error.message)
            }
        }
        return rules
    }

    /// The rule written at `node`, when it decodes without problems (`decodeList` reports them).
    static func decodeQuietly(_ node: ConfigNode) -> RelabelRule? {
        decode(node, field: "", decoder: ConfigDecoder(file: "")).map(\.0)
    }

    private static func decode(
        _ node: ConfigNode,
        field: String,
        decoder d: ConfigDecoder
    ) -> (RelabelRule, ConfigFields)? {
        guard let fields = d.mapping(node, field: field, known: keys) else { return nil }
        let before = d.problems.count
        var rule = RelabelRule()
        if let labels = d.stringList(fields, "source_labels") {
            for (index, (name, labelNode)) in labels.enumerated() where !ConfigText.isLabelName(name) {
                d.error(
                    .invalidValue,
                    at: labelNode,
                    fields.path("source_labels") + "[\(index)]",
                    "\(ConfigText.quote(name)) is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
                )
            }
            rule.sourceLabels = labels.map(\.0)
        }
        if let separator = d.string(fields, "separator") { rule.separator = separator }
        if let target = d.string(fields, "target_label") { rule.targetLabel = target }
        if let regex = d.string(fields, "regex") { rule.regex = regex }
        if let node = fields["modulus"], let text = d.string(node, fields.path("modulus")) {
            if let modulus = UInt64(text) {
                rule.modulus = modulus
            } else {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("modulus"),
                    "expected a non-negative integer, got \(ConfigText.quote(text))"
                )
            }
        }
        if let replacement = d.string(fields, "replacement") { rule.replacement = replacement }
        if let node = fields["action"], let text = d.string(node, fields.path("action")) {
            // Prometheus lowercases the action before matching; so do we.
            if let action = RelabelAction(configValue: text) {
                rule.action = action
            } else {
                var reason = "unknown action \(ConfigText.quote(text))"
                let names = RelabelAction.allCases.map(\.rawValue)
                if let suggestion = ConfigText.suggestion(for: text, among: names) {
                    reason += "; did you mean '\(suggestion)'?"
                } else {
                    reason += "; expected one of \(names.joined(separator: ", "))"
                }
                d.error(.invalidValue, at: node, fields.path("action"), reason)
                return nil
            }
        }
        return d.problems.count == before ? (rule, fields) : nil
    }
}
