/// One label: a name and its value, as UTF-8 strings.
public struct Label: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The label name, such as `namespace`.
    public var name: String
    /// The label value; an empty value means "label absent" in Prometheus semantics.
    public var value: String

    /// Creates a label.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Orders by name (byte order), then by value.
    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    /// The text shown in messages and logs.
    public var description: String { "\(name)=\(value.debugDescription)" }
}

/// An ordered set of labels with unique names, sorted by name (byte order), like Prometheus' `labels.Labels`.
///
/// Used for target labels, relabeling input/output and the parsed sample model. The hot scrape path does not
/// build `LabelSet`s per sample; it works on byte ranges.
public struct LabelSet: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The labels, sorted by name, names unique.
    public private(set) var labels: [Label]

    /// Creates an empty label set.
    public init() { self.labels = [] }

    /// Creates a label set from labels in any order; a later duplicate name replaces an earlier one.
    public init(_ labels: some Sequence<Label>) {
        self.labels = []
        for label in labels { self[label.name] = label.value }
    }

    /// Creates a label set from a dictionary literal.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }

    /// The number of labels.
    public var count: Int { labels.count }

    /// Whether the set holds no label.
    public var isEmpty: Bool { labels.isEmpty }

    private func index(of name: String) -> (found: Bool, index: Int) {
        var low = 0
        var high = labels.count
        while low < high {
            let mid = (low + high) / 2
            let candidate = labels[mid].name
            if candidate == name { return (true, mid) }
            if candidate.utf8.lexicographicallyPrecedes(name.utf8) { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    /// The value of `name`, or `nil` when the label is absent.
    ///
    /// Setting `nil` or `""` removes the label.
    public subscript(name: String) -> String? {
        get {
            let (found, index) = index(of: name)
            return found ? labels[index].value : nil
        }
        set {
            let (found, index) = index(of: name)
            switch (found, newValue) {
            case (true, .some(let value)) where !value.isEmpty: labels[index].value = value
            case (true, _): labels.remove(at: index)
            case (false, .some(let value)) where !value.isEmpty: labels.insert(Label(name, value), at: index)
            case (false, _): break
            }
        }
    }

    /// The value of `name`, or `""` when absent (Prometheus' `labels.Get`).
    public func get(_ name: String) -> String { self[name] ?? "" }

    /// Removes every label whose name satisfies `predicate`.
    public mutating func removeAll(where predicate: (Label) throws -> Bool) rethrows {
        try labels.removeAll(where: predicate)
    }

    /// Iterates the labels in name order.
    public func makeIterator() -> IndexingIterator<[Label]> { labels.makeIterator() }

    /// The text shown in messages and logs.
    public var description: String { "{" + labels.map(\.description).joined(separator: ", ") + "}" }
}
