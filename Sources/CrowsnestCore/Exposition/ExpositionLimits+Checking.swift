// The limit checks shared by the parser (which applies limits when asked to, as `check metrics` and the fuzzer do)
// and the scrape renderer (which applies them after label injection and relabeling, as Prometheus does): one
// definition of when each limit is exceeded and of the message saying so, so the two cannot drift apart.
//
// A check is a comparison, inlined into the callers' per-sample paths exactly as the comparison was written there
// before; a message is built only on the failing path. Where the message says where (line, column), the caller
// knows: the parser points at the offending bytes, the renderer at the sample line.

extension ExpositionLimits {
    // MARK: Checks (zero means no limit)

    /// Whether `samples` samples are over ``sampleLimit``.
    @inline(__always)
    func exceedsSampleLimit(_ samples: Int) -> Bool { sampleLimit > 0 && samples > sampleLimit }

    /// Whether `labels` labels on one sample are over ``labelLimit``.
    @inline(__always)
    func exceedsLabelLimit(_ labels: Int) -> Bool { labelLimit > 0 && labels > labelLimit }

    /// Whether a label name of `bytes` bytes is over ``labelNameLengthLimit``.
    @inline(__always)
    func exceedsLabelNameLengthLimit(_ bytes: Int) -> Bool { labelNameLengthLimit > 0 && bytes > labelNameLengthLimit }

    /// Whether a label value of `bytes` bytes is over ``labelValueLengthLimit``.
    @inline(__always)
    func exceedsLabelValueLengthLimit(_ bytes: Int) -> Bool {
        labelValueLengthLimit > 0 && bytes > labelValueLengthLimit
    }

    /// Whether a label's name or value length is limited at all: when not, no label needs looking at.
    @inline(__always)
    var limitsLabelLengths: Bool { labelNameLengthLimit > 0 || labelValueLengthLimit > 0 }

    /// Whether a payload of `bytes` bytes is over ``bodySizeLimit``.
    @inline(__always)
    func exceedsBodySizeLimit(_ bytes: Int) -> Bool { bodySizeLimit > 0 && bytes > bodySizeLimit }

    // MARK: Errors

    /// More samples than ``sampleLimit``.
    func sampleLimitError(line: Int, column: Int) -> ExpositionError {
        ExpositionError(.limit, line: line, column: column, "sample limit of \(sampleLimit) exceeded")
    }

    /// More labels on one sample than ``labelLimit``.
    func labelLimitError(line: Int, column: Int) -> ExpositionError {
        ExpositionError(.limit, line: line, column: column, "label limit of \(labelLimit) exceeded")
    }

    /// A label name longer than ``labelNameLengthLimit``.
    func labelNameLengthError(line: Int, column: Int) -> ExpositionError {
        ExpositionError(.limit, line: line, column: column, "label name longer than \(labelNameLengthLimit) bytes")
    }

    /// A label value longer than ``labelValueLengthLimit``, the label unnamed (the parser's message: its column
    /// points at the value).
    func labelValueLengthError(line: Int, column: Int) -> ExpositionError {
        ExpositionError(.limit, line: line, column: column, "label value longer than \(labelValueLengthLimit) bytes")
    }

    /// A label value longer than ``labelValueLengthLimit``, naming the label and the value's length under the
    /// configuration key: the message the health page shows for the failed scrape.
    func labelValueLengthError(label name: String, length: Int, line: Int) -> ExpositionError {
        ExpositionError(
            .limit,
            line: line,
            column: 1,
            "label \(name) has a value of \(length) bytes, over label_value_length_limit (\(labelValueLengthLimit))"
        )
    }

    /// A target label whose value is longer than ``labelValueLengthLimit``: every sample would fail, so the scrape
    /// fails before parsing (no line).
    func targetLabelValueLengthError(_ label: Label) -> ExpositionError {
        ExpositionError(
            .limit,
            line: 0,
            column: 0,
            "target label \(label.name) has a value of \(label.value.utf8.count) bytes, over "
                + "label_value_length_limit (\(labelValueLengthLimit))"
        )
    }

    /// A payload larger than ``bodySizeLimit``; with `payloadBytes`, the message says how large.
    func bodySizeError(payloadBytes: Int?) -> ExpositionError {
        if let payloadBytes {
            return ExpositionError(
                .limit,
                line: 0,
                column: 0,
                "payload of \(payloadBytes) bytes exceeds the body size limit of \(bodySizeLimit) bytes"
            )
        }
        return ExpositionError(
            .limit,
            line: 0,
            column: 0,
            "payload exceeds the body size limit of \(bodySizeLimit) bytes"
        )
    }
}
