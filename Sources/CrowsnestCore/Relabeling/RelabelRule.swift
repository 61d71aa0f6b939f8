/// The action of one relabel rule, with Prometheus' names.
public enum RelabelAction: String, Sendable, Hashable, CaseIterable, Codable {
    case replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase
}

/// One Prometheus `relabel_config` / `metric_relabel_config` entry, as written in YAML.
///
/// Defaults are Prometheus' own: separator `;`, regex `(.*)`, replacement `$1`, action `replace`.
public struct RelabelRule: Sendable, Hashable {
    /// Labels whose values are joined with `separator` to form the regex input.
    public var sourceLabels: [String]
    /// The separator placed between source label values.
    public var separator: String
    /// The label written by `replace`, `hashmod`, `lowercase`, `uppercase` (and compared by `keepequal`/`dropequal`).
    public var targetLabel: String
    /// The regular expression (RE2 syntax, fully anchored), matched against the joined source values.
    public var regex: String
    /// The modulus for `hashmod`.
    public var modulus: UInt64
    /// The replacement, with `$1`, `${1}`, `${name}` references to regex groups.
    public var replacement: String
    /// What to do.
    public var action: RelabelAction

    /// Creates a rule; every argument defaults to Prometheus' default.
    public init(
        sourceLabels: [String] = [],
        separator: String = ";",
        targetLabel: String = "",
        regex: String = "(.*)",
        modulus: UInt64 = 0,
        replacement: String = "$1",
        action: RelabelAction = .replace
    ) {
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.targetLabel = targetLabel
        self.regex = regex
        self.modulus = modulus
        self.replacement = replacement
        self.action = action
    }
}
