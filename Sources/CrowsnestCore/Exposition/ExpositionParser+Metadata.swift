// Comment lines and the metadata they carry (HELP, TYPE, UNIT, and OpenMetrics' EOF): how a metadata line attaches
// to the current family or starts the next one.

// The special bytes of the format this file reads (file-private in each parser file, so the module has no
// global `space` or `hash`).
private let space = UInt8(ascii: " ")
private let backslash = UInt8(ascii: "\\")

extension ParserRun {
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
            try scratch.validator.metadata(
                kind,
                family: family,
                bytes: bytes,
                line: line,
                column: start - lineStart + 1
            )
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
}

extension MetadataKind {
    /// The keyword as written, for messages.
    var word: String {
        switch self {
        case .help: "HELP"
        case .type: "TYPE"
        case .unit: "UNIT"
        }
    }
}
