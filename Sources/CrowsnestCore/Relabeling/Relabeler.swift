import Crypto

/// A compiled list of Prometheus relabel rules (`relabel_configs` or `metric_relabel_configs`), applied in order
/// with Prometheus' semantics (`model/relabel/relabel.go`).
///
/// For each rule the values of `source_labels` (absent labels count as empty) are joined with `separator`, then:
///
/// | action | effect |
/// |---|---|
/// | `replace` | if `regex` matches the joined value, set the label named by `target_label` (with `$` references expanded) to `replacement` (expanded); an empty result deletes the label; a target that expands to an invalid name does nothing |
/// | `keep` / `drop` | drop the label set when `regex` does not match / matches the joined value |
/// | `keepequal` / `dropequal` | drop the label set when the joined value differs from / equals the value of `target_label` |
/// | `hashmod` | set `target_label` to `md5(value)` (last 8 bytes, big-endian) modulo `modulus` |
/// | `labelmap` | for every label whose *name* matches `regex`, copy its value to the name given by `replacement` |
/// | `labeldrop` / `labelkeep` | remove the labels whose names match / do not match `regex` |
/// | `lowercase` / `uppercase` | set `target_label` to the joined value in lower / upper case (Go's simple case mapping) |
///
/// Setting a label to an empty value removes it, as in Prometheus. Two corner cases differ on purpose: `labelmap`
/// ignores a replacement that expands to an empty name (Prometheus would create a label without a name), and it
/// visits labels in name order (Prometheus visits the labels it started with, then those earlier rules added, which
/// matters only when two labels map to one name and one of them was added by an earlier rule).
///
/// A `Relabeler` is immutable and `Sendable`: one instance is meant to be shared by every concurrent scrape.
/// Rules whose regex needs the regex engine memoise its outcome per input string in a bounded, thread-safe cache
/// (label values repeat from scrape to scrape); the common regex shapes are matched without any engine.
public struct Relabeler: Sendable {
    /// How label names produced by rules are checked (Prometheus' `metric_name_validation_scheme`).
    public enum NameValidation: String, Sendable, Hashable, CaseIterable {
        /// `[a-zA-Z_][a-zA-Z0-9_]*` — what the text 0.0.4 and OpenMetrics 1.0 formats can carry unquoted.
        case legacy
        /// Any non-empty UTF-8 text (Prometheus 3's default).
        case utf8
    }

    /// The default number of memoised regex outcomes per rule.
    public static let defaultCacheCapacity = 4096

    /// The rules, as given.
    public let rules: [RelabelRule]
    /// How produced label names are checked.
    public let nameValidation: NameValidation
    private let steps: [Step]

    /// Validates and compiles `rules`.
    ///
    /// - Parameters:
    ///   - rules: the rules, applied in order.
    ///   - nameValidation: how label names are checked. `.legacy` (the default) because Crowsnest re-emits text
    ///     0.0.4 and OpenMetrics 1.0, whose label names are legacy names; Prometheus 3 itself defaults to `.utf8`.
    ///   - cacheCapacity: how many regex outcomes each rule memoises (0 disables the caches).
    /// - Throws: `RelabelError` naming the first invalid rule and field, with Prometheus' message.
    public init(
        rules: [RelabelRule],
        nameValidation: NameValidation = .legacy,
        cacheCapacity: Int = Relabeler.defaultCacheCapacity
    ) throws(RelabelError) {
        var steps: [Step] = []
        steps.reserveCapacity(rules.count)
        for (index, rule) in rules.enumerated() {
            let regex = try rule.validated(index: index, nameValidation: nameValidation)
            steps.append(Step(rule: rule, regex: regex, nameValidation: nameValidation, cacheCapacity: cacheCapacity))
        }
        self.rules = rules
        self.nameValidation = nameValidation
        self.steps = steps
    }

    /// Whether there are no rules (processing changes nothing and keeps everything).
    public var isEmpty: Bool { steps.isEmpty }

    /// Applies the rules to `labels` in place.
    ///
    /// - Returns: `false` when a `keep`, `drop`, `keepequal` or `dropequal` rule dropped the label set; `labels`
    ///   then holds the state reached when it was dropped and should be discarded.
    public func process(_ labels: inout LabelSet) -> Bool {
        for step in steps where !step.apply(to: &labels) {
            return false
        }
        return true
    }

    /// The number of regex outcomes currently memoised, over all rules (for tests and diagnostics).
    var cachedEntryCount: Int {
        steps.reduce(0) { total, step in total + step.cachedEntryCount }
    }

    /// The relabeled copy of `labels`, or `nil` when it is dropped.
    public func processed(_ labels: LabelSet) -> LabelSet? {
        var copy = labels
        return process(&copy) ? copy : nil
    }

    /// Prometheus' `hashmod`: the MD5 digest of `value`'s UTF-8 bytes, its last 8 bytes read as a big-endian
    /// `UInt64`, modulo `modulus` (which must not be 0).
    public static func hashmod(_ value: String, modulus: UInt64) -> UInt64 {
        precondition(modulus > 0, "hashmod modulus must not be 0")
        var md5 = Insecure.MD5()
        var bytes = value
        bytes.withUTF8 { md5.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        var result: UInt64 = 0
        for (index, byte) in md5.finalize().enumerated() where index >= 8 {
            result = result << 8 | UInt64(byte)
        }
        return result % modulus
    }
}

// MARK: - Compiled steps

extension Relabeler {
    /// A regex used as a yes/no test, memoised when it needs the regex engine.
    struct Matcher: Sendable {
        let regex: PrometheusRegex
        let cache: RelabelCache<Bool>?

        init(_ regex: PrometheusRegex, cacheCapacity: Int) {
            self.regex = regex
            cache = regex.usesFastPath ? nil : RelabelCache(capacity: cacheCapacity)
        }

        func matches(_ input: String) -> Bool {
            guard let cache else { return regex.matches(input) }
            return cache.value(for: input) { regex.matches($0) }
        }
    }

    /// What a `replace` rule does to one input.
    enum ReplaceOutcome: Sendable {
        case unchanged
        /// Set `name` to `value`; an empty value deletes the label.
        case set(name: String, value: String)
    }

    struct Replace: Sendable {
        let regex: PrometheusRegex
        let target: ReplacementTemplate
        let replacement: ReplacementTemplate
        let nameValidation: NameValidation
        let cache: RelabelCache<ReplaceOutcome>?

        func outcome(_ input: String) -> ReplaceOutcome {
            guard let cache else { return compute(input) }
            return cache.value(for: input, compute)
        }

        private func compute(_ input: String) -> ReplaceOutcome {
            if !target.hasVariables && !replacement.hasVariables {
                // Static target and value: only whether the regex matches matters.
                guard regex.matches(input) else { return .unchanged }
                return .set(name: target.expand([]), value: replacement.expand([]))
            }
            guard let groups = regex.captures(in: input) else { return .unchanged }
            let name = target.expand(groups)
            guard nameValidation.isValidLabelName(name) else { return .unchanged }
            return .set(name: name, value: replacement.expand(groups))
        }
    }

    struct LabelMap: Sendable {
        let regex: PrometheusRegex
        let replacement: ReplacementTemplate
        let cache: RelabelCache<String?>?

        /// The new name for a label called `name`, or `nil` when the regex does not match it.
        func newName(for name: String) -> String? {
            guard let cache else { return compute(name) }
            return cache.value(for: name, compute)
        }

        private func compute(_ name: String) -> String? {
            guard let groups = regex.captures(in: name) else { return nil }
            return replacement.expand(groups)
        }
    }

    enum Operation: Sendable {
        case keep(Matcher)
        case drop(Matcher)
        case keepEqual(target: String)
        case dropEqual(target: String)
        case replace(Replace)
        case lowercase(target: String)
        case uppercase(target: String)
        case hashmod(target: String, modulus: UInt64)
        case labelMap(LabelMap)
        case labelDrop(Matcher)
        case labelKeep(Matcher)
    }

    struct Step: Sendable {
        let sourceLabels: [String]
        let separator: String
        let operation: Operation

        init(rule: RelabelRule, regex: PrometheusRegex, nameValidation: NameValidation, cacheCapacity: Int) {
            sourceLabels = rule.sourceLabels
            separator = rule.separator
            func template(_ text: String) -> ReplacementTemplate {
                ReplacementTemplate(text, groupNames: regex.captureGroupNames)
            }
            // Matching with the engine is what is worth memoising; the fast paths are cheaper than a lookup.
            let capacity = regex.usesFastPath ? 0 : cacheCapacity
            switch rule.action {
            case .keep: operation = .keep(Matcher(regex, cacheCapacity: cacheCapacity))
            case .drop: operation = .drop(Matcher(regex, cacheCapacity: cacheCapacity))
            case .keepequal: operation = .keepEqual(target: rule.targetLabel)
            case .dropequal: operation = .dropEqual(target: rule.targetLabel)
            case .replace:
                operation = .replace(
                    Replace(
                        regex: regex,
                        target: template(rule.targetLabel),
                        replacement: template(rule.replacement),
                        nameValidation: nameValidation,
                        cache: RelabelCache(capacity: capacity)
                    )
                )
            case .lowercase: operation = .lowercase(target: rule.targetLabel)
            case .uppercase: operation = .uppercase(target: rule.targetLabel)
            case .hashmod: operation = .hashmod(target: rule.targetLabel, modulus: rule.modulus)
            case .labelmap:
                operation = .labelMap(
                    LabelMap(
                        regex: regex,
                        replacement: template(rule.replacement),
                        cache: RelabelCache(capacity: capacity)
                    )
                )
            case .labeldrop: operation = .labelDrop(Matcher(regex, cacheCapacity: cacheCapacity))
            case .labelkeep: operation = .labelKeep(Matcher(regex, cacheCapacity: cacheCapacity))
            }
        }

        /// The number of memoised outcomes of this step.
        var cachedEntryCount: Int {
            switch operation {
            case .keep(let matcher), .drop(let matcher), .labelDrop(let matcher), .labelKeep(let matcher):
                matcher.cache?.count ?? 0
            case .replace(let replace): replace.cache?.count ?? 0
            case .labelMap(let map): map.cache?.count ?? 0
            default: 0
            }
        }

        /// The source label values joined with the separator.
        private func sourceValue(_ labels: LabelSet) -> String {
            switch sourceLabels.count {
            case 0:
                return ""
            case 1:
                return labels.get(sourceLabels[0])
            default:
                var value = ""
                for (index, name) in sourceLabels.enumerated() {
                    if index > 0 { value += separator }
                    value += labels.get(name)
                }
                return value
            }
        }

        /// Applies the step; `false` when the label set is dropped.
        func apply(to labels: inout LabelSet) -> Bool {
            switch operation {
            case .keep(let matcher):
                return matcher.matches(sourceValue(labels))
            case .drop(let matcher):
                return !matcher.matches(sourceValue(labels))
            case .keepEqual(let target):
                return labels.get(target).utf8.elementsEqual(sourceValue(labels).utf8)
            case .dropEqual(let target):
                return !labels.get(target).utf8.elementsEqual(sourceValue(labels).utf8)
            case .replace(let replace):
                if case .set(let name, let value) = replace.outcome(sourceValue(labels)) {
                    Self.set(&labels, name, value)
                }
            case .lowercase(let target):
                Self.set(&labels, target, GoCaseMapping.lowercased(sourceValue(labels)))
            case .uppercase(let target):
                Self.set(&labels, target, GoCaseMapping.uppercased(sourceValue(labels)))
            case .hashmod(let target, let modulus):
                Self.set(&labels, target, String(Relabeler.hashmod(sourceValue(labels), modulus: modulus)))
            case .labelMap(let map):
                // Iterate over the labels as they were before this rule, like Prometheus' `Builder.Range`.
                for label in labels.labels {
                    if let name = map.newName(for: label.name), !name.isEmpty {
                        labels[name] = label.value
                    }
                }
            case .labelDrop(let matcher):
                // Look first: removing copies the (usually shared) label storage even when nothing goes.
                if labels.labels.contains(where: { matcher.matches($0.name) }) {
                    labels.removeAll { matcher.matches($0.name) }
                }
            case .labelKeep(let matcher):
                if labels.labels.contains(where: { !matcher.matches($0.name) }) {
                    labels.removeAll { !matcher.matches($0.name) }
                }
            }
            return true
        }

        /// Sets `name` to `value` (removing it when `value` is empty), without touching the label set when the
        /// label already has exactly that value, so shared label storage is not copied for nothing.
        private static func set(_ labels: inout LabelSet, _ name: String, _ value: String) {
            if labels.get(name).utf8.elementsEqual(value.utf8) { return }
            labels[name] = value
        }
    }
}
