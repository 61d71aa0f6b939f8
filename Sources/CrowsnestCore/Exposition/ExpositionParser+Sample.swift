// Sample lines: name, labels, value, timestamp and (OpenMetrics) exemplar, the limits, and the hand-over to the
// strict validator and the visitor. The hot path of every parse.

// The special bytes of the format this file reads (file-private in each parser file, so the module has no
// global `space` or `hash`).
private let space = UInt8(ascii: " ")
private let hash = UInt8(ascii: "#")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")

extension ParserRun {
    mutating func parseSample<Visitor: ExpositionVisitor>(
        _ start: Int,
        _ end: Int,
        scratch: inout ParseScratch,
        visitor: inout Visitor
    ) throws(ExpositionError) {
        var index = start
        var nameStart = -1
        var nameEnd = -1
        var nameQuoted = false
        var nameEscaped = false
        scratch.labels.removeAll()
        // What this line repeats of the previous sample line is taken over instead of parsed again.
        let previous = scratch.previousSample
        scratch.previousSample = .none
        let shared =
            previous.lineStart >= 0
            ? sharedPrefixLength(previous.lineStart, start, limit: min(previous.length, end - start)) : 0
        var startsWithFamilyName = false
        var repeatedSuffix: SampleSuffix?
        if bytes[index] != openBrace {
            if previous.nameLength > 0 && shared > previous.nameLength {
                // The previous line's name and the byte ending it: the same family, the same suffix.
                (nameStart, nameEnd) = (start, start + previous.nameLength)
                index = nameEnd
                repeatedSuffix = previous.suffix
            } else {
                let name: (start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int)
                (name, startsWithFamilyName) = try readSampleMetricName(index, end)
                guard !name.quoted else { throw error(index, "a quoted metric name belongs inside the braces") }
                (nameStart, nameEnd) = (name.start, name.end)
                index = name.next
            }
            if format == .text {
                let lookahead = skipBlanks(index, end)
                if lookahead < end && bytes[lookahead] == openBrace { index = lookahead }
            }
        }
        if index < end && bytes[index] == openBrace {
            var labelsStart = index + 1
            var repeatsLabels = false
            if repeatedSuffix != nil,
                let afterRepeated = scratch.labels.repeatPreviousLine(
                    shiftedBy: start - previous.lineStart,
                    before: start + shared
                )
            {
                labelsStart = afterRepeated
                repeatsLabels = true
            }
            index = try parseLabels(
                labelsStart,
                end,
                allowMetricName: nameStart < 0,
                afterRepeatedLabels: repeatsLabels,
                into: &scratch.labels
            ) {
                nameStart = $0
                nameEnd = $1
                nameQuoted = true
                nameEscaped = $2
            }
        }
        guard nameStart >= 0 else { throw error(start, "sample without a metric name") }

        // Value. Text allows the value right after a closing brace.
        let afterBrace = index > start && bytes[index - 1] == closeBrace
        guard index < end, isBlank(bytes[index]) || (format == .text && afterBrace) else {
            throw error(index, index < end ? "expected a space before the value" : "missing value")
        }
        if format == .openMetrics {
            guard bytes[index] == space else { throw error(index, "expected a single space before the value") }
            index += 1
        } else {
            index = skipBlanks(index, end)
        }
        let valueStart = index
        // Digits up to a blank or the line's end: a plain integer, the common value, checked by this scan alone.
        while index < end, NumberSyntax.isDigit(bytes[index]) { index += 1 }
        if index == valueStart || (index < end && !isBlank(bytes[index])) {
            while index < end, !isBlank(bytes[index]) { index += 1 }
            guard index > valueStart else { throw error(valueStart, "missing value") }
            guard NumberSyntax.isValidValue(bytes, valueStart, index, format: format) else {
                throw error(valueStart, "invalid value \"\(excerpt(valueStart, index))\"")
            }
        }
        let valueEnd = index

        // Timestamp and exemplar.
        var timestampStart = -1
        var timestampEnd = -1
        var timestamp: Double?
        var exemplarStart = -1
        if format == .text {
            index = skipBlanks(index, end)
            if index < end {
                timestampStart = index
                while index < end, !isBlank(bytes[index]) { index += 1 }
                timestampEnd = index
                guard let milliseconds = NumberSyntax.parseTextTimestamp(bytes, timestampStart, timestampEnd) else {
                    throw error(timestampStart, "invalid timestamp \"\(excerpt(timestampStart, timestampEnd))\"")
                }
                timestamp = Double(milliseconds)
                let rest = skipBlanks(index, end)
                if rest != end { throw error(rest, "unexpected text after the timestamp") }
            }
        } else if index < end {
            // index is at a blank: exactly one space, then a timestamp or an exemplar.
            guard bytes[index] == space, index + 1 < end else { throw error(index, "unexpected trailing whitespace") }
            index += 1
            if bytes[index] != hash {
                timestampStart = index
                while index < end, bytes[index] != space { index += 1 }
                timestampEnd = index
                guard let seconds = NumberSyntax.parseOpenMetricsTimestamp(bytes, timestampStart, timestampEnd)
                else {
                    throw error(timestampStart, "invalid timestamp \"\(excerpt(timestampStart, timestampEnd))\"")
                }
                timestamp = (seconds * 1000).rounded()  // milliseconds, as Prometheus stores them
                if index < end {
                    guard index + 1 < end, bytes[index + 1] == hash else {
                        throw error(index, "unexpected text after the timestamp")
                    }
                    index += 1
                }
            }
            if index < end {
                exemplarStart = index
                try parseExemplar(index, end)
            }
        }

        // Limits (checks and messages shared with the renderer: `ExpositionLimits+Checking.swift`).
        sampleCount += 1
        if limits.exceedsSampleLimit(sampleCount) {
            throw limits.sampleLimitError(line: line, column: column(start))
        }
        if limits.exceedsLabelLimit(scratch.labels.count) {
            throw limits.labelLimitError(line: line, column: column(start))
        }
        if limits.limitsLabelLengths {
            for label in scratch.labels.tokens {
                if limits.exceedsLabelNameLengthLimit(label.nameEnd - label.nameStart) {
                    throw limits.labelNameLengthError(line: line, column: column(label.nameStart))
                }
                if limits.exceedsLabelValueLengthLimit(label.valueEnd - label.valueStart) {
                    throw limits.labelValueLengthError(line: line, column: column(label.valueStart))
                }
            }
        }

        let suffix =
            repeatedSuffix
            ?? assignFamily(
                nameStart,
                nameEnd,
                nameEscaped,
                quoted: nameQuoted,
                startsWithFamilyName: startsWithFamilyName
            )
        familyHasSamples = true
        let sample = SampleToken(
            line: line,
            lineStart: lineStart,
            nameStart: nameStart,
            nameEnd: nameEnd,
            nameQuoted: nameQuoted,
            nameEscaped: nameEscaped,
            valueStart: valueStart,
            valueEnd: valueEnd,
            timestampStart: timestampStart,
            timestampEnd: timestampEnd,
            timestampMilliseconds: timestamp,
            exemplarStart: exemplarStart,
            exemplarEnd: exemplarStart >= 0 ? end : -1,
            suffix: suffix
        )
        let labelBuffer = scratch.labels.tokens
        if strict {
            try scratch.validator.sample(
                sample,
                labels: labelBuffer,
                labelHashes: scratch.labels.labelHashes,
                repeatedLabels: scratch.labels.repeatedCount,
                family: family,
                bytes: bytes
            )
        }
        try visitor.visitSample(sample, labels: labelBuffer, family: family, bytes: bytes)
        guard repeatsPreviousLine else { return }
        scratch.previousSample = PreviousSample(
            lineStart: start,
            length: end - start,
            nameLength: bytes[start] == openBrace ? 0 : nameEnd - nameStart,
            suffix: suffix
        )
    }

    /// Checks an OpenMetrics exemplar ` # {labels} value [timestamp]` starting at `#`.
    mutating func parseExemplar(_ start: Int, _ end: Int) throws(ExpositionError) {
        var index = start + 1
        guard index < end, bytes[index] == space, index + 1 < end, bytes[index + 1] == openBrace else {
            throw error(start, "invalid exemplar (expected \"# {labels} value\")")
        }
        index += 2
        var exemplarLabels = LabelTokenBuffer(capacity: 4)
        index = try parseLabels(index, end, allowMetricName: false, into: &exemplarLabels) { _, _, _ in }
        var runes = 0
        for label in exemplarLabels.tokens {
            runes += UTF8Validation.countScalars(bytes, label.nameStart, label.nameEnd)
            runes += UTF8Validation.countScalars(bytes, label.valueStart, label.valueEnd)
        }
        if runes > 128 { throw error(start, "exemplar labels longer than 128 characters") }
        guard index < end, bytes[index] == space, index + 1 < end else {
            throw error(index, "exemplar without a value")
        }
        index += 1
        let valueStart = index
        while index < end, bytes[index] != space { index += 1 }
        guard NumberSyntax.isValidValue(bytes, valueStart, index, format: .openMetrics) else {
            throw error(valueStart, "invalid exemplar value")
        }
        if index < end {
            index += 1
            let timestampStart = index
            while index < end, bytes[index] != space { index += 1 }
            guard index == end, NumberSyntax.parseOpenMetricsTimestamp(bytes, timestampStart, index) != nil else {
                throw error(timestampStart, "invalid exemplar timestamp")
            }
        }
    }
}
