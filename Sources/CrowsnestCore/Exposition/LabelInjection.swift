/// Prometheus' target-label injection (`mutateSampleLabels` in its scrape loop), on decoded label sets.
public enum LabelInjection {
    /// The prefix a scraped label colliding with a target label gets under `honor_labels: false`.
    public static let exportedPrefix = "exported_"

    /// Adds `target` labels to a scraped sample's `labels`.
    ///
    /// - `honorLabels == false`: target labels win; a scraped label whose name a non-empty target label takes is
    ///   kept as `exported_<name>` (prefixed again while that name is taken); shorter names are resolved first.
    /// - `honorLabels == true`: scraped labels win; a target label is added only where the sample lacks it.
    /// - A target label with an empty value removes the label.
    public static func inject(target: [Label], into labels: LabelSet, honorLabels: Bool) -> LabelSet {
        var result = labels
        if honorLabels {
            for label in target where result.get(label.name).isEmpty {
                result[label.name] = label.value
            }
            return result
        }
        var conflicting: [Label] = []
        for label in target {
            let existing = result.get(label.name)
            if !existing.isEmpty { conflicting.append(Label(label.name, existing)) }
            result[label.name] = label.value
        }
        // Stable sort by name length, as Prometheus' resolveConflictingExposedLabels does.
        let ordered = conflicting.enumerated().sorted {
            $0.element.name.utf8.count == $1.element.name.utf8.count
                ? $0.offset < $1.offset : $0.element.name.utf8.count < $1.element.name.utf8.count
        }
        for (_, label) in ordered {
            var name = label.name
            while true {
                name = exportedPrefix + name
                if result.get(name).isEmpty {
                    result[name] = label.value
                    break
                }
            }
        }
        return result
    }
}
