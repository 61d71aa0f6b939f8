/// A label copied under a second name on every sample that has it and lacks the second name: a node target's
/// cAdvisor and resource series get `pod_name` equal to their own `pod`, so they join pod targets' series on
/// (`cluster`, `namespace`, `pod_name`).
public struct LabelCopy: Sendable, Hashable {
    /// The scraped label read (`pod`).
    public var source: String
    /// The label written (`pod_name`); a sample that already has it keeps its own.
    public var destination: String

    /// Creates a copy rule.
    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }

    /// `pod` → `pod_name`.
    public static let podName = LabelCopy(source: "pod", destination: "pod_name")

    /// Copies in a decoded label set (the slow path's form of the same rule).
    public func apply(to labels: inout LabelSet) {
        guard labels.get(destination).isEmpty else { return }
        let value = labels.get(source)
        if !value.isEmpty { labels[destination] = value }
    }
}
