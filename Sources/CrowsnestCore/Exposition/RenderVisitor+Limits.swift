// The renderer's limit checks on the paths that decode labels (a collision with a target label, relabeling) and
// the errors naming the over-long label. The comparisons and messages are `ExpositionLimits+Checking.swift`'s,
// shared with the parser; the fast path in `visitSample` checks only the longest value per line and comes here
// only to build the error.

extension RenderVisitor {
    /// Checks the label count and, when lengths are limited, every label's name and value length: of `set` when
    /// given (decoded labels, target labels injected), else of the scraped `labels` plus the target labels.
    func checkLimits(
        labelCount: Int,
        set: LabelSet?,
        labels: UnsafeBufferPointer<LabelToken>? = nil,
        bytes: UnsafeRawBufferPointer? = nil,
        line: Int
    ) throws(ExpositionError) {
        let limits = options.limits
        if limits.exceedsLabelLimit(labelCount) {
            throw limits.labelLimitError(line: line, column: 1)
        }
        guard limits.limitsLabelLengths else { return }
        var lengths: [(Int, Int)] = []
        if let set {
            lengths = set.map { ($0.name.utf8.count, $0.value.utf8.count) }
        } else if let labels {
            lengths = labels.map { ($0.nameEnd - $0.nameStart, $0.valueEnd - $0.valueStart) }
            lengths += target.names.indices.map { (target.names[$0].count, target.values[$0].utf8.count) }
        }
        for (name, value) in lengths {
            if limits.exceedsLabelNameLengthLimit(name) {
                throw limits.labelNameLengthError(line: line, column: 1)
            }
            if limits.exceedsLabelValueLengthLimit(value) {
                throw valueTooLong(set: set, labels: labels, bytes: bytes, line: line)
            }
        }
    }

    /// The over-limit error of ``checkLimits``, naming the label (found again: this is the failing path only).
    func valueTooLong(
        set: LabelSet?,
        labels: UnsafeBufferPointer<LabelToken>?,
        bytes: UnsafeRawBufferPointer?,
        line: Int
    ) -> ExpositionError {
        let limits = options.limits
        let limit = limits.labelValueLengthLimit
        if let set, let label = set.first(where: { $0.value.utf8.count > limit }) {
            return limits.labelValueLengthError(label: label.name, length: label.value.utf8.count, line: line)
        }
        if let labels, let bytes { return Self.valueTooLong(labels, bytes: bytes, limits: limits, line: line) }
        return limits.labelValueLengthError(line: line, column: 1)
    }

    /// The error for a sample whose label value is over the limit, naming the (first such) label: the message the
    /// health page shows for the failed scrape.
    static func valueTooLong(
        _ labels: UnsafeBufferPointer<LabelToken>,
        bytes: UnsafeRawBufferPointer,
        limits: ExpositionLimits,
        line: Int
    ) -> ExpositionError {
        let limit = limits.labelValueLengthLimit
        let label = labels.first { $0.valueEnd - $0.valueStart > limit }
        let name = label.map { Unescaping.labelName(bytes, $0) } ?? ""
        let length = label.map { $0.valueEnd - $0.valueStart } ?? 0
        return limits.labelValueLengthError(label: name, length: length, line: line)
    }
}
