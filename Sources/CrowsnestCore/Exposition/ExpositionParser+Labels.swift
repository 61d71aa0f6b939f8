// Label sets `{name="value", …}`: the general reader, and the short loop for labels named as the previous sample
// line named them (`LineRepetitionTests` checks both give the same outcome).

// The special bytes of the format this file reads (file-private in each parser file, so the module has no
// global `space` or `hash`).
private let quote = UInt8(ascii: "\"")
private let closeBrace = UInt8(ascii: "}")
private let comma = UInt8(ascii: ",")
private let equals = UInt8(ascii: "=")

extension ParserRun {
    /// Parses `name="value", …}` from just after `{`, or, `afterRepeatedLabels`, from just after the closing quote
    /// of the labels `labels` already holds (the previous line's, repeated); returns the index after `}`.
    mutating func parseLabels(
        _ start: Int,
        _ end: Int,
        allowMetricName: Bool,
        afterRepeatedLabels: Bool = false,
        into labels: inout LabelTokenBuffer,
        metricName: (Int, Int, Bool) -> Void
    ) throws(ExpositionError) -> Int {
        var index = start
        var first = true
        var sameNamesAsPreviousLine = true
        if afterRepeatedLabels {
            index = try afterLabel(index, end)
            first = false
        }
        // Labels named as the previous sample line named them in the same places (checked then, and distinct),
        // written `name="value"` and separated by bare commas: the usual shape of a family's lines, read without
        // the general reader's branches. Anything else goes to the general reader, from where this stopped.
        while repeatsPreviousLine, let previous = labels.previousLineUnquotedName(at: labels.count) {
            let length = previous.nameEnd - previous.nameStart
            let valueStart = index + length + 2
            guard valueStart < end, bytes[index + length] == equals, bytes[index + length + 1] == quote,
                sameBytes(index, previous.nameStart, length)
            else { break }
            let (valueEnd, valueEscaped) = try readQuoted(valueStart, end)
            labels.append(
                LabelToken(
                    nameStart: index,
                    nameEnd: index + length,
                    nameQuoted: false,
                    nameEscaped: false,
                    valueStart: valueStart,
                    valueEnd: valueEnd,
                    valueEscaped: valueEscaped
                )
            )
            first = false
            index = valueEnd + 1
            guard index < end else { throw error(index, "unterminated label set") }
            if bytes[index] == comma {
                index += 1
                continue
            }
            if bytes[index] == closeBrace { return index + 1 }
            index = try afterLabel(index, end)  // blanks (text) before `,` or `}`, or the general reader's error
            break
        }
        while true {
            if format == .text { index = skipBlanks(index, end) }
            guard index < end else { throw error(index, "unterminated label set") }
            if bytes[index] == closeBrace {
                if !first && format == .openMetrics && bytes[index - 1] == comma {
                    throw error(index - 1, "trailing comma in label set")
                }
                return index + 1
            }
            if !first && format == .openMetrics && bytes[index - 1] != comma {
                throw error(index, "expected ',' or '}'")
            }
            // Label name, legacy or quoted.
            let nameStart: Int
            let nameEnd: Int
            var nameQuoted = false
            var nameEscaped = false
            if bytes[index] == quote {
                let (contentEnd, escaped) = try readQuoted(index + 1, end)
                nameStart = index + 1
                nameEnd = contentEnd
                nameQuoted = true
                nameEscaped = escaped
                index = contentEnd + 1
                var lookahead = index
                if format == .text { lookahead = skipBlanks(index, end) }
                if lookahead < end, bytes[lookahead] != equals {
                    // A quoted string without `=`: the metric name (`{"my.metric", …}`).
                    guard allowMetricName && first, nameEnd > nameStart else {
                        throw error(nameStart - 1, "expected '=' after the label name")
                    }
                    metricName(nameStart, nameEnd, nameEscaped)
                    index = lookahead
                    first = false
                    if index < end && bytes[index] == comma {
                        index += 1
                    } else if index < end && bytes[index] != closeBrace {
                        throw error(index, "expected ',' or '}'")
                    }
                    if index < end, bytes[index - 1] == comma, format == .openMetrics, bytes[index] == closeBrace {
                        throw error(index - 1, "trailing comma in label set")
                    }
                    continue
                }
                guard nameEnd > nameStart else { throw error(nameStart - 1, "empty label name") }
                sameNamesAsPreviousLine = false
            } else if let previous = labels.previousLineUnquotedName(at: labels.count),
                case let length = previous.nameEnd - previous.nameStart,
                index + length + 1 < end, bytes[index + length] == equals, sameBytes(index, previous.nameStart, length)
            {
                // The name the previous sample line had in this place (already checked then), followed by `=`.
                nameStart = index
                index += length
                nameEnd = index
            } else {
                guard NameSyntax.isLabelNameStart(bytes[index]) else { throw error(index, "invalid label name") }
                nameStart = index
                index += 1
                while index < end, NameSyntax.isLabelNameContinue(bytes[index]) { index += 1 }
                nameEnd = index
                sameNamesAsPreviousLine = false
            }
            if index + 1 < end && bytes[index] == equals && bytes[index + 1] == quote {
                index += 2  // `="`, the common spelling
            } else {
                if format == .text { index = skipBlanks(index, end) }
                guard index < end, bytes[index] == equals else {
                    throw error(index, "expected '=' after the label name")
                }
                index += 1
                if format == .text { index = skipBlanks(index, end) }
                guard index < end, bytes[index] == quote else { throw error(index, "expected a quoted label value") }
                index += 1
            }
            let valueStart = index
            let (valueEnd, valueEscaped) = try readQuoted(valueStart, end)
            index = valueEnd + 1
            let token = LabelToken(
                nameStart: nameStart,
                nameEnd: nameEnd,
                nameQuoted: nameQuoted,
                nameEscaped: nameEscaped,
                valueStart: valueStart,
                valueEnd: valueEnd,
                valueEscaped: valueEscaped
            )
            // Every name so far equal to the previous line's name in its place: distinct, as those were.
            if !sameNamesAsPreviousLine {
                let nameLength = nameEnd - nameStart
                let firstByte = bytes[nameStart]
                for other in labels.tokens
                where other.nameEnd - other.nameStart == nameLength && bytes[other.nameStart] == firstByte
                    && bytesEqual(other.nameStart, other.nameEnd, nameStart, nameEnd)
                {
                    throw error(nameStart, "duplicate label name \"\(excerpt(nameStart, nameEnd))\"")
                }
            }
            labels.append(token)
            first = false
            index = try afterLabel(index, end)
        }
    }

    /// Reads what follows a label value's closing quote (at `index - 1`): blanks, then `,` (skipped) or `}` (not
    /// skipped).
    @inline(__always)
    func afterLabel(_ index: Int, _ end: Int) throws(ExpositionError) -> Int {
        var index = index
        if format == .text { index = skipBlanks(index, end) }
        guard index < end else { throw error(index, "unterminated label set") }
        if bytes[index] == comma {
            index += 1
        } else if bytes[index] != closeBrace {
            throw error(index, "expected ',' or '}'")
        }
        return index
    }
}
