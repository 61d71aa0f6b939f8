/// Target labels pre-rendered for the fast path.
struct PreparedTargetLabels {
    var names: [[UInt8]] = []
    var values: [String] = []
    /// `name="value",…` of the non-empty target labels.
    var block: [UInt8] = []

    /// Non-empty target labels (those written on every sample).
    var writtenCount = 0
    /// Bit n set when a target label name has n bytes (n < 63): a quick reject for collision checks.
    var lengthMask: UInt64 = 0

    init(_ labels: [Label]) {
        for label in labels {
            names.append(Array(label.name.utf8))
            values.append(label.value)
            lengthMask |= 1 &<< UInt64(min(label.name.utf8.count, 63))
            guard !label.value.isEmpty else { continue }
            writtenCount += 1
            if !block.isEmpty { block.append(UInt8(ascii: ",")) }
            ExpositionWriter.appendLabelName(label.name, into: &block)
            block.append(contentsOf: "=\"".utf8)
            ExpositionWriter.appendEscapedLabelValue(label.value.utf8, into: &block)
            block.append(UInt8(ascii: "\""))
        }
    }
}
