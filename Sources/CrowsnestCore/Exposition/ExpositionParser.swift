#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Prometheus text 0.0.4 and OpenMetrics 1.0 payloads from bytes, handing a visitor byte offsets instead of
/// strings.
///
/// The parser allocates nothing per sample: it finds line ends with `memchr`, splits on the few special bytes and
/// calls the visitor with offsets into the payload. Escapes are left in place (flagged), so label values can be
/// copied into another payload verbatim and are decoded only when a caller needs them as text.
///
/// Both modes check syntax, names, number grammar, duplicate label names, UTF-8 of label values, limits and
/// (OpenMetrics) the `# EOF` terminator. ``ParseMode/strict`` adds the rules of the specs and of Prometheus' strict
/// parsers; see ``StrictValidator``.
public struct ExpositionParser: Sendable {
    /// The format of the payload.
    public var format: ExpositionFormat
    /// Strict (`check metrics`) or scrape (tolerant) rules.
    public var mode: ParseMode
    /// Sample, label and size limits; zero means none.
    public var limits: ExpositionLimits
    /// Whether a sample line takes over what it shares with the sample line before it: the name and leading labels
    /// it repeats byte for byte (not read again), and the label names it writes in the same places (read without
    /// the general reader's branches). Same outcome; off only in tests that compare the two.
    var repeatsPreviousLine = true

    /// Creates a parser.
    public init(format: ExpositionFormat, mode: ParseMode = .scrape, limits: ExpositionLimits = .none) {
        self.format = format
        self.mode = mode
        self.limits = limits
    }

    /// What a successful parse saw.
    public struct Summary: Sendable, Hashable {
        /// Samples read.
        public var sampleCount: Int
        /// Family groups read (declared or implied).
        public var familyCount: Int
        /// Lines read.
        public var lineCount: Int
    }

    /// Parses `bytes`, calling `visitor` for every metadata line and sample in order.
    @discardableResult
    public func parse<Visitor: ExpositionVisitor>(_ bytes: UnsafeRawBufferPointer, visitor: inout Visitor)
        throws(ExpositionError) -> Summary
    {
        if limits.bodySizeLimit > 0 && bytes.count > limits.bodySizeLimit {
            throw ExpositionError(
                .limit,
                line: 0,
                column: 0,
                "payload of \(bytes.count) bytes exceeds the body size limit of \(limits.bodySizeLimit) bytes"
            )
        }
        var run = ParserRun(parser: self, bytes: bytes)
        try run.run(visitor: &visitor)
        return Summary(sampleCount: run.sampleCount, familyCount: run.family.ordinal + 1, lineCount: run.line)
    }

    /// Checks `bytes` and returns every problem found (up to `maxErrors`), continuing with the next line after
    /// each; `visitor` sees what parsed. An empty result means the payload is valid.
    public func validate<Visitor: ExpositionVisitor>(
        _ bytes: UnsafeRawBufferPointer,
        visitor: inout Visitor,
        maxErrors: Int = 100
    ) -> [ExpositionError] {
        if limits.bodySizeLimit > 0 && bytes.count > limits.bodySizeLimit {
            return [ExpositionError(.limit, line: 0, column: 0, "payload exceeds the body size limit of \(limits.bodySizeLimit) bytes")]
        }
        return validate(bytes, visitor: &visitor, maxErrors: maxErrors, continuing: nil)
    }

    /// ``validate(_:visitor:maxErrors:)``, optionally continuing a payload: `bytes` follow `continuing.lines` lines
    /// whose families `continuing.validator` already saw (the pieces of `check metrics`, ``MetricsChecker``).
    func validate<Visitor: ExpositionVisitor>(
        _ bytes: UnsafeRawBufferPointer,
        visitor: inout Visitor,
        maxErrors: Int,
        continuing: (lines: Int, validator: StrictValidator)?
    ) -> [ExpositionError] {
        var run = ParserRun(parser: self, bytes: bytes)
        if let continuing {
            run.line = continuing.lines
            run.validator = continuing.validator
        }
        run.collectedErrors = []
        run.maxErrors = max(1, maxErrors)
        do {
            try run.run(visitor: &visitor)
        } catch {
            run.collectedErrors?.append(error)
        }
        return Array((run.collectedErrors ?? []).prefix(max(1, maxErrors)))
    }

    /// Parses an array of bytes; see ``parse(_:visitor:)-(UnsafeRawBufferPointer,_)``.
    @discardableResult
    public func parse<Visitor: ExpositionVisitor>(_ bytes: [UInt8], visitor: inout Visitor)
        throws(ExpositionError) -> Summary
    {
        let result: Result<Summary, ExpositionError> = bytes.withUnsafeBytes { buffer in
            do throws(ExpositionError) {
                return .success(try parse(buffer, visitor: &visitor))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

// MARK: - The parse run

private let newline = UInt8(ascii: "\n")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let hash = UInt8(ascii: "#")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let comma = UInt8(ascii: ",")
private let equals = UInt8(ascii: "=")

/// Character classes of legacy (unquoted) names.
enum NameSyntax {
    @inline(__always)
    static func isMetricNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
    }

    @inline(__always)
    static func isMetricNameContinue(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte &- 48 < 11 || byte == UInt8(ascii: "_")  // 48..58 = digits and ':'
    }

    @inline(__always)
    static func isLabelNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isLabelNameContinue(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 97 < 26 || byte &- 48 < 10 || byte == UInt8(ascii: "_")
    }

    /// Whether `text` is a legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), writable without quotes.
    static func isLegacyMetricName(_ text: some Collection<UInt8>) -> Bool {
        guard let first = text.first, isMetricNameStart(first) else { return false }
        return text.dropFirst().allSatisfy(isMetricNameContinue)
    }

    /// Whether `text` is a legacy label name (`[a-zA-Z_][a-zA-Z0-9_]*`), writable without quotes.
    static func isLegacyLabelName(_ text: some Collection<UInt8>) -> Bool {
        guard let first = text.first, isLabelNameStart(first) else { return false }
        return text.dropFirst().allSatisfy(isLabelNameContinue)
    }
}

struct ParserRun {
    let format: ExpositionFormat
    let strict: Bool
    let limits: ExpositionLimits
    let bytes: UnsafeRawBufferPointer
    let count: Int
    let repeatsPreviousLine: Bool

    var line = 0
    var lineStart = 0
    var family = FamilyToken.none
    var familyHasSamples = false
    /// Whether the current family's name was written unquoted (so its bytes are a valid legacy name).
    var familyNameIsLegacy = false
    var sampleCount = 0
    var sawEOF = false
    /// The strict rules (used only when `strict`): a plain stored value, not an optional, so that each sample
    /// mutates it in place instead of copying it out of and back into an `Optional`.
    var validator: StrictValidator
    /// When set, line errors are collected here and parsing continues with the next line.
    var collectedErrors: [ExpositionError]?
    var maxErrors = 1

    init(parser: ExpositionParser, bytes: UnsafeRawBufferPointer) {
        self.format = parser.format
        self.strict = parser.mode == .strict
        self.limits = parser.limits
        self.bytes = bytes
        self.count = bytes.count
        self.repeatsPreviousLine = parser.repeatsPreviousLine
        validator = StrictValidator(format: parser.format)
    }

    @inline(__always)
    func error(_ offset: Int, _ reason: String, code: ExpositionError.Code = .syntax) -> ExpositionError {
        ExpositionError(code, line: line, column: offset - lineStart + 1, reason)
    }

    mutating func run<Visitor: ExpositionVisitor>(visitor: inout Visitor) throws(ExpositionError) {
        guard let base = bytes.baseAddress, count > 0 else {
            if format == .openMetrics { throw ExpositionError(.syntax, line: 1, column: 1, "missing # EOF") }
            return
        }
        // Handed down by `inout` (not read from `self`), so mutating it while `self` is read needs no copy.
        var scratch = ParseScratch(labels: LabelTokenBuffer(capacity: 16), validator: validator)
        defer { validator = scratch.validator }
        var start = 0
        while start < count {
            line += 1
            lineStart = start
            let end: Int
            if let found = memchr(base + start, Int32(newline), count - start) {
                end = base.distance(to: UnsafeRawPointer(found))
            } else {
                end = count
            }
            do throws(ExpositionError) {
                if sawEOF { throw error(start, "content after # EOF") }
                try parseLine(start, end, scratch: &scratch, visitor: &visitor)
            } catch {
                guard collectedErrors != nil else { throw error }
                collectedErrors!.append(error)
                if collectedErrors!.count >= maxErrors { return }
                if sawEOF { return }
            }
            start = end + 1
        }
        if strict && format == .text && bytes[count - 1] != newline {
            throw ExpositionError(.syntax, line: line, column: 0, "the last line does not end with a newline")
        }
        if format == .openMetrics && !sawEOF {
            throw ExpositionError(.syntax, line: line, column: 0, "missing # EOF at the end of the payload")
        }
        if strict {
            try scratch.validator.finish(line: line)
        }
    }

    @inline(__always)
    func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always)
    func skipBlanks(_ index: Int, _ end: Int) -> Int {
        var index = index
        while index < end, isBlank(bytes[index]) { index += 1 }
        return index
    }

    mutating func parseLine<Visitor: ExpositionVisitor>(
        _ start: Int,
        _ end: Int,
        scratch: inout ParseScratch,
        visitor: inout Visitor
    ) throws(ExpositionError) {
        var index = start
        if format == .text {
            index = skipBlanks(start, end)
            if index == end { return }
        } else if index == end {
            throw error(start, "blank line (OpenMetrics allows none)")
        }
        if bytes[index] == hash {
            // Metadata may start another family: the next sample line must not take over this family's name.
            scratch.previousSample = .none
            try parseComment(index, end, scratch: &scratch, visitor: &visitor)
        } else {
            try parseSample(index, end, scratch: &scratch, visitor: &visitor)
        }
    }

    // MARK: Comments and metadata

    mutating func parseComment<Visitor: ExpositionVisitor>(
        _ start: Int,
        _ end: Int,
        scratch: inout ParseScratch,
        visitor: inout Visitor
    ) throws(ExpositionError) {
        var index = start + 1
        if format == .openMetrics {
            guard index < end, bytes[index] == space else { throw error(index, "comment lines are not allowed") }
            index += 1
            let keywordStart = index
            while index < end, bytes[index] != space { index += 1 }
            let keyword = UnsafeRawBufferPointer(rebasing: bytes[keywordStart..<index])
            if keyword.elementsEqual("EOF".utf8) && index == end {
                sawEOF = true
                return
            }
            let kind: MetadataKind
            if keyword.elementsEqual("HELP".utf8) {
                kind = .help
            } else if keyword.elementsEqual("TYPE".utf8) {
                kind = .type
            } else if keyword.elementsEqual("UNIT".utf8) {
                kind = .unit
            } else {
                throw error(keywordStart, "unknown metadata keyword (expected HELP, TYPE, UNIT or EOF)")
            }
            guard index < end else { throw error(index, "metadata line without a metric name") }
            index += 1
            try parseMetadata(kind, index, end, scratch: &scratch, visitor: &visitor)
            return
        }
        // Text: `# HELP name …` and `# TYPE name type` are metadata; every other comment is ignored.
        index = skipBlanks(index, end)
        let keywordStart = index
        while index < end, !isBlank(bytes[index]) { index += 1 }
        let keyword = UnsafeRawBufferPointer(rebasing: bytes[keywordStart..<index])
        let kind: MetadataKind
        if keyword.elementsEqual("HELP".utf8) {
            kind = .help
        } else if keyword.elementsEqual("TYPE".utf8) {
            kind = .type
        } else {
            return
        }
        index = skipBlanks(index, end)
        guard index < end else { return }  // `# HELP` without a name is a comment, as for Prometheus' parsers.
        try parseMetadata(kind, index, end, scratch: &scratch, visitor: &visitor)
    }

    /// Reads a metric name (legacy or quoted) at `index`; returns its content range, quoted and escaped flags.
    @inline(__always)
    func readMetricName(_ index: Int, _ end: Int, what: StaticString) throws(ExpositionError) -> (
        start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int
    ) {
        guard index < end else { throw error(index, "missing \(what)") }
        if bytes[index] == quote {
            let (contentEnd, escaped) = try readQuoted(index + 1, end)
            guard contentEnd > index + 1 else { throw error(index, "empty quoted \(what)") }
            return (index + 1, contentEnd, true, escaped, contentEnd + 1)
        }
        guard NameSyntax.isMetricNameStart(bytes[index]) else { throw error(index, "invalid \(what)") }
        var cursor = index + 1
        while cursor < end, NameSyntax.isMetricNameContinue(bytes[cursor]) { cursor += 1 }
        return (index, cursor, false, false, cursor)
    }

    /// Reads a sample's metric name outside braces. Most samples start with their family's name, already checked
    /// when the family began: only the bytes after it are scanned then (the result is the same as a full scan).
    /// `startsWithFamilyName` tells ``assignFamily(_:_:_:quoted:startsWithFamilyName:)`` not to compare again.
    @inline(__always)
    mutating func readSampleMetricName(_ index: Int, _ end: Int) throws(ExpositionError) -> (
        name: (start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int), startsWithFamilyName: Bool
    ) {
        if familyNameIsLegacy && family.ordinal >= 0 {
            let length = family.nameEnd - family.nameStart
            if length <= end - index && sameBytes(index, family.nameStart, length) {
                var cursor = index + length
                while cursor < end, NameSyntax.isMetricNameContinue(bytes[cursor]) { cursor += 1 }
                return ((index, cursor, false, false, cursor), true)
            }
        }
        return (try readMetricName(index, end, what: "metric name"), false)
    }

    mutating func parseMetadata<Visitor: ExpositionVisitor>(
        _ kind: MetadataKind,
        _ start: Int,
        _ end: Int,
        scratch: inout ParseScratch,
        visitor: inout Visitor
    ) throws(ExpositionError) {
        let name = try readMetricName(start, end, what: "metric name in metadata")
        var index = name.next
        var valueStart = end
        if index < end {
            guard isBlank(bytes[index]) else { throw error(index, "invalid character after the metric name") }
            if format == .openMetrics {
                guard bytes[index] == space else { throw error(index, "expected a single space") }
                valueStart = index + 1
            } else {
                valueStart = skipBlanks(index, end)
            }
        } else if format == .openMetrics {
            throw error(index, "metadata line without a value")
        } else if kind == .type {
            throw error(index, "TYPE line without a type")
        }
        index = valueStart
        try placeMetadata(kind, name: name, at: start)
        switch kind {
        case .help:
            var escaped = false
            var cursor = valueStart
            while cursor < end {
                if bytes[cursor] == backslash { escaped = true }
                cursor += 1
            }
            family.helpStart = valueStart
            family.helpEnd = end
            family.helpEscaped = escaped
            try checkUTF8(valueStart, end)
        case .type:
            var wordEnd = valueStart
            while wordEnd < end, !isBlank(bytes[wordEnd]) { wordEnd += 1 }
            let word = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<wordEnd])
            guard let type = MetricType(word: word, format: format) else {
                throw error(valueStart, "unknown metric type \"\(String(decoding: word.prefix(32), as: UTF8.self))\"")
            }
            if format == .openMetrics ? wordEnd != end : skipBlanks(wordEnd, end) != end {
                throw error(wordEnd, "unexpected text after the metric type")
            }
            family.type = type
            family.hasType = true
        case .unit:
            family.unitStart = valueStart
            family.unitEnd = end
            try checkUTF8(valueStart, end)
        }
        if strict {
            try scratch.validator.metadata(kind, family: family, bytes: bytes, line: line, column: start - lineStart + 1)
        }
        try visitor.visitMetadata(kind, family: family, bytes: bytes)
    }

    /// Attaches a metadata line to the current family or starts a new family group.
    mutating func placeMetadata(
        _ kind: MetadataKind,
        name: (start: Int, end: Int, quoted: Bool, escaped: Bool, next: Int),
        at offset: Int
    ) throws(ExpositionError) {
        let sameName =
            family.ordinal >= 0
            && bytesEqual(family.nameStart, family.nameEnd, name.start, name.end)
        if sameName && !familyHasSamples {
            let repeated: Bool
            switch kind {
            case .help: repeated = family.hasHelp
            case .type: repeated = family.hasType
            case .unit: repeated = family.hasUnit
            }
            if !repeated { return }
            if strict || format == .openMetrics {
                throw error(offset, "second \(kind.word) line for metric family", code: .semantics)
            }
            // Scrape mode, text: a repeated line updates the family, like Prometheus' scrape parser.
            return
        }
        if sameName && kind == .help && format == .text && !family.hasHelp {
            return  // Text allows HELP after the samples (Prometheus' strict text parser does too).
        }
        if sameName && strict {
            throw error(offset, "\(kind.word) line for a metric family after its samples", code: .semantics)
        }
        family = FamilyToken(
            nameStart: name.start,
            nameEnd: name.end,
            nameEscaped: name.escaped,
            type: .unknown,
            helpStart: -1,
            helpEnd: -1,
            helpEscaped: false,
            unitStart: -1,
            unitEnd: -1,
            ordinal: family.ordinal + 1,
            hasType: false
        )
        familyHasSamples = false
        familyNameIsLegacy = !name.quoted
    }

    /// Whether `bytes[a..<a + length]` equals `bytes[b..<b + length]`, compared a word at a time (the last word
    /// overlapping, or masked for a range under eight bytes) where the payload holds eight bytes past both ranges'
    /// starts; `memcmp` otherwise.
    @inline(__always)
    func sameBytes(_ a: Int, _ b: Int, _ length: Int) -> Bool {
        let base = bytes.baseAddress!
        guard length > 0, max(a, b) + max(length, 8) <= count else {
            return length <= 0 || memcmp(base + a, base + b, length) == 0
        }
        if length < 8 {
            let difference = base.loadUnaligned(fromByteOffset: a, as: UInt64.self)
                ^ base.loadUnaligned(fromByteOffset: b, as: UInt64.self)
            return difference << (64 - UInt64(length) * 8) == 0
        }
        var offset = 0
        while offset + 8 < length {
            if base.loadUnaligned(fromByteOffset: a + offset, as: UInt64.self)
                != base.loadUnaligned(fromByteOffset: b + offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        return base.loadUnaligned(fromByteOffset: a + length - 8, as: UInt64.self)
            == base.loadUnaligned(fromByteOffset: b + length - 8, as: UInt64.self)
    }

    @inline(__always)
    func bytesEqual(_ aStart: Int, _ aEnd: Int, _ bStart: Int, _ bEnd: Int) -> Bool {
        let length = aEnd - aStart
        guard length == bEnd - bStart else { return false }
        return sameBytes(aStart, bStart, length)
    }

    // MARK: Samples

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
        let shared = previous.lineStart >= 0
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

        // Limits.
        sampleCount += 1
        if limits.sampleLimit > 0 && sampleCount > limits.sampleLimit {
            throw error(start, "sample limit of \(limits.sampleLimit) exceeded", code: .limit)
        }
        if limits.labelLimit > 0 && scratch.labels.count > limits.labelLimit {
            throw error(start, "label limit of \(limits.labelLimit) exceeded", code: .limit)
        }
        if limits.labelNameLengthLimit > 0 || limits.labelValueLengthLimit > 0 {
            for label in scratch.labels.tokens {
                if limits.labelNameLengthLimit > 0 && label.nameEnd - label.nameStart > limits.labelNameLengthLimit {
                    throw error(label.nameStart, "label name longer than \(limits.labelNameLengthLimit) bytes", code: .limit)
                }
                if limits.labelValueLengthLimit > 0 && label.valueEnd - label.valueStart > limits.labelValueLengthLimit
                {
                    throw error(
                        label.valueStart,
                        "label value longer than \(limits.labelValueLengthLimit) bytes",
                        code: .limit
                    )
                }
            }
        }

        let suffix =
            repeatedSuffix
            ?? assignFamily(nameStart, nameEnd, nameEscaped, quoted: nameQuoted, startsWithFamilyName: startsWithFamilyName)
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

    /// How many bytes `bytes[a...]` and `bytes[b...]` (`a < b`) have in common at their start, at most `limit`.
    @inline(__always)
    func sharedPrefixLength(_ a: Int, _ b: Int, limit: Int) -> Int {
        let first = bytes.baseAddress! + a
        let second = bytes.baseAddress! + b
        let lastWord = count - b - 8  // the last offset a word can be read at (from both: a < b)
        var offset = 0
        while offset < limit && offset <= lastWord {
            let difference = (first.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                ^ second.loadUnaligned(fromByteOffset: offset, as: UInt64.self)).littleEndian
            if difference != 0 { return min(limit, offset &+ difference.trailingZeroBitCount &>> 3) }
            offset &+= 8
        }
        while offset < limit && first.load(fromByteOffset: offset, as: UInt8.self) == second.load(fromByteOffset: offset, as: UInt8.self) {
            offset &+= 1
        }
        return min(offset, limit)
    }

    /// Finds the family of a sample named `bytes[start..<end]`: the current one when the name is the family name
    /// plus a suffix its type allows, otherwise a new implied family of unknown type. `startsWithFamilyName`: the
    /// caller already found the name to start with the current family's.
    mutating func assignFamily(
        _ start: Int,
        _ end: Int,
        _ escaped: Bool,
        quoted: Bool,
        startsWithFamilyName: Bool = false
    ) -> SampleSuffix {
        if family.ordinal >= 0 {
            let familyLength = family.nameEnd - family.nameStart
            let nameLength = end - start
            if startsWithFamilyName
                || (nameLength >= familyLength && bytesEqual(family.nameStart, family.nameEnd, start, start + familyLength))
            {
                let suffixBytes = UnsafeRawBufferPointer(rebasing: bytes[(start + familyLength)..<end])
                if let suffix = Self.matchSuffix(suffixBytes, type: family.type, format: format) { return suffix }
            }
        }
        family = FamilyToken(
            nameStart: start,
            nameEnd: end,
            nameEscaped: escaped,
            type: .unknown,
            helpStart: -1,
            helpEnd: -1,
            helpEscaped: false,
            unitStart: -1,
            unitEnd: -1,
            ordinal: family.ordinal + 1,
            hasType: false
        )
        familyHasSamples = false
        familyNameIsLegacy = !quoted
        return .none
    }

    static func matchSuffix(_ suffix: UnsafeRawBufferPointer, type: MetricType, format: ExpositionFormat)
        -> SampleSuffix?
    {
        if suffix.isEmpty {
            switch (type, format) {
            case (.counter, .openMetrics), (.histogram, _), (.gaugeHistogram, _): return nil
            case (.info, .openMetrics): return nil
            default: return SampleSuffix.none
            }
        }
        func equals(_ text: StaticString) -> Bool {
            suffix.count == text.utf8CodeUnitCount
                && memcmp(suffix.baseAddress!, text.utf8Start, suffix.count) == 0
        }
        switch (type, format) {
        case (.counter, .openMetrics):
            if equals("_total") { return .total }
            if equals("_created") { return .created }
        case (.summary, _):
            if equals("_sum") { return .sum }
            if equals("_count") { return .count }
            if format == .openMetrics && equals("_created") { return .created }
        case (.histogram, _):
            if equals("_bucket") { return .bucket }
            if equals("_sum") { return .sum }
            if equals("_count") { return .count }
            if format == .openMetrics && equals("_created") { return .created }
        case (.gaugeHistogram, _):
            if equals("_bucket") { return .bucket }
            if equals("_gsum") { return .gsum }
            if equals("_gcount") { return .gcount }
        case (.info, .openMetrics):
            if equals("_info") { return .info }
        default:
            break
        }
        return nil
    }

    /// Reads a quoted string's content from `start` (just after the opening quote); returns the index of the
    /// closing quote and whether the content holds escapes. Non-ASCII content is checked to be UTF-8 in the same
    /// pass's wake (only when a byte ≥ 0x80 was seen).
    @inline(__always)
    func readQuoted(_ start: Int, _ end: Int) throws(ExpositionError) -> (end: Int, escaped: Bool) {
        var index = start
        var escaped = false
        // Eight bytes at a time: the first quote, backslash or non-ASCII byte of a word is found by its bit
        // position (the lowest flag of the has-byte test is exact). A word may reach past the line's end, never
        // past the payload; a find past `end` means the string is unterminated.
        if let base = bytes.baseAddress {
            let wordsEnd = min(end, count - 7)  // a word read at an index before this stays inside the payload
            while index < wordsEnd {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let found = SWAR.hasByte(word, quote) | SWAR.hasByte(word, backslash) | word & SWAR.highBits
                if found == 0 {
                    index &+= 8
                    continue
                }
                let position = index + found.trailingZeroBitCount >> 3
                guard position < end else {
                    index = end
                    break
                }
                let byte = bytes[position]
                if byte == quote { return (position, escaped) }
                if byte == backslash && !(position + 1 < end && bytes[position + 1] >= 0x80) {
                    escaped = true
                    index = position + 2
                    continue
                }
                index = position  // non-ASCII (maybe escaped): the byte-wise loop below checks UTF-8
                break
            }
        }
        var highBits: UInt8 = 0
        while index < end {
            let byte = bytes[index]
            highBits |= byte
            if byte == quote {
                if highBits >= 0x80 { try checkUTF8(start, index) }
                return (index, escaped)
            }
            if byte == backslash {
                escaped = true
                index += 1
                guard index < end else { break }
                highBits |= bytes[index]  // an escaped byte must be UTF-8 too
            }
            index += 1
        }
        throw error(start - 1, "unterminated quoted string")
    }

    @inline(__always)
    func checkUTF8(_ start: Int, _ end: Int) throws(ExpositionError) {
        var index = start
        while index < end {
            if bytes[index] >= 0x80 {
                if !UTF8Validation.isValid(bytes, index, end) { throw error(index, "invalid UTF-8") }
                return
            }
            index += 1
        }
    }

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
                    if index < end && bytes[index] == comma { index += 1 } else if index < end && bytes[index] != closeBrace {
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
                guard index < end, bytes[index] == equals else { throw error(index, "expected '=' after the label name") }
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

    func excerpt(_ start: Int, _ end: Int) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<min(end, start + 40)])
        return String(decoding: slice, as: UTF8.self)
    }
}

extension MetadataKind {
    var word: String {
        switch self {
        case .help: "HELP"
        case .type: "TYPE"
        case .unit: "UNIT"
        }
    }
}

/// Byte tests on eight bytes at once ("SIMD within a register").
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero exactly when some byte of `word` equals `byte` (the classic has-zero-byte test on `word ^ byte…`).
    @inline(__always)
    static func hasByte(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let spread = word ^ (ones &* UInt64(byte))
        return (spread &- ones) & ~spread & highBits
    }
}

/// UTF-8 checks on byte ranges.
enum UTF8Validation {
    /// Whether `bytes[start..<end]` is valid UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var iterator = UnsafeRawBufferPointer(rebasing: bytes[start..<end]).makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// The number of Unicode scalars in a valid UTF-8 range.
    static func countScalars(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        var scalars = 0
        for index in start..<end where bytes[index] & 0xC0 != 0x80 { scalars += 1 }
        return scalars
    }
}
