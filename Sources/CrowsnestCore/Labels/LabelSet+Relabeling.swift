extension LabelSet {
    /// Whether `name` is a reserved label name that Prometheus removes from target labels after relabeling:
    /// it starts with `__` (`__meta_*`, `__tmp*`, `__address__`, `__scheme__`, `__metrics_path__`, `__param_*`,
    /// `__scrape_interval__`, ...) and is not `__name__`.
    public static func isMetaLabelName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count >= 2, utf8.starts(with: "__".utf8) else { return false }
        return !utf8.elementsEqual("__name__".utf8)
    }

    /// Removes every label whose name starts with `__`, except `__name__`, as Prometheus does to a target's labels
    /// once relabeling is done.
    public mutating func removeMetaLabels() {
        removeAll { Self.isMetaLabelName($0.name) }
    }

    /// This label set without the labels whose names start with `__` (except `__name__`).
    public func droppingMetaLabels() -> LabelSet {
        var copy = self
        copy.removeMetaLabels()
        return copy
    }
}
