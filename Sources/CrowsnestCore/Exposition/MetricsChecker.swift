/// The `check metrics` logic: validation in strict mode plus optional linting.
///
/// Big payloads are checked in pieces on several threads (``check(_:format:lint:maxErrors:pieces:)``) with exactly
/// the serial outcome: the payload is cut only where the serial parser starts a new family group
/// (``CheckChunking``), each piece is validated by its own strict parser, and the pieces are merged in order while
/// checking what crosses a cut (a family name used in two pieces, a sample name claimed by families in two pieces).
/// When a piece has a problem, or the merge finds one, everything from the start of that piece on is checked again
/// serially, the validator primed with what the clean pieces before it saw, so that errors, their order and their
/// line numbers are those of the serial check.
public enum MetricsChecker {
    /// The outcome of a check.
    public struct Result: Sendable {
        /// The format checked.
        public var format: ExpositionFormat
        /// Problems that make the payload invalid (empty = valid).
        public var errors: [ExpositionError]
        /// Lint advice (only with `lint`).
        public var warnings: [MetricsLinter.Warning]
    }

    /// Payloads smaller than this are checked on one thread (cutting would cost more than it saves).
    public static let parallelThreshold = 4 << 20

    /// How many pieces to cut a payload of `byteCount` bytes into for `processors` threads: 1 below
    /// ``parallelThreshold``, otherwise at least a few per processor and about one per 2 MiB (at most 1,024), each
    /// at least 1 MiB.
    ///
    /// Threads take pieces as they finish the previous one, so small pieces keep every thread busy
    /// to the end: the bytes of a piece do not tell how long it takes (a histogram line costs more than a gauge's).
    public static func pieceCount(byteCount: Int, processors: Int) -> Int {
        guard byteCount >= parallelThreshold, processors > 1 else { return 1 }
        return max(1, min(max(processors * 4, byteCount >> 21), byteCount >> 20, 1024))
    }

    /// Checks a payload on the calling thread; `format == nil` detects it (OpenMetrics when it ends with `# EOF`).
    public static func check(
        _ bytes: UnsafeRawBufferPointer,
        format: ExpositionFormat?,
        lint: Bool,
        maxErrors: Int = 100
    )
        -> Result
    {
        let format = format ?? ExpositionFormat.detect(bytes)
        return checkSerially(bytes, from: 0, after: Prefix(), format: format, lint: lint, maxErrors: maxErrors)
    }

    /// Checks a payload cut into up to `pieces` pieces validated concurrently; the result is the one of
    /// ``check(_:format:lint:maxErrors:)`` (same errors in the same order, same warnings).
    ///
    /// `bytes` must stay valid
    /// until the call returns.
    public static func check(
        _ bytes: UnsafeRawBufferPointer,
        format: ExpositionFormat?,
        lint: Bool,
        maxErrors: Int = 100,
        pieces: Int
    ) async -> Result {
        let format = format ?? ExpositionFormat.detect(bytes)
        let chunks = CheckChunking.chunks(bytes, count: pieces, format: format)
        if chunks.count == 1 { return check(bytes, format: format, lint: lint, maxErrors: maxErrors) }
        let payload = Payload(bytes: bytes)
        // Pieces are merged in payload order as they finish, while later ones are still being checked; the first
        // piece that is not clean, or that clashes with the pieces before it, and everything after it are checked
        // again serially.
        let merged = await withTaskGroup(of: (Int, PieceOutcome).self) {
            group -> (prefix: Prefix, firstRejected: Int?) in
            for (index, chunk) in chunks.enumerated() {
                group.addTask {
                    // After a rejected piece the rest is checked serially: pieces not yet started are skipped.
                    if Task.isCancelled {
                        return (index, PieceOutcome(isClean: false, lines: 0, families: [], claimedNames: [:]))
                    }
                    let piece = UnsafeRawBufferPointer(rebasing: payload.bytes[chunk.start..<chunk.end])
                    return (index, checkPiece(piece, isLast: index == chunks.count - 1, format: format, lint: lint))
                }
            }
            var prefix = Prefix()
            var waiting: [Int: PieceOutcome] = [:]
            var next = 0
            for await (index, outcome) in group {
                waiting[index] = outcome
                while let outcome = waiting.removeValue(forKey: next) {
                    guard outcome.isClean, prefix.append(outcome, lint: lint) else {
                        group.cancelAll()
                        return (prefix, next)
                    }
                    next += 1
                }
            }
            return (prefix, nil)
        }
        if let rejected = merged.firstRejected {
            return checkSerially(
                bytes,
                from: chunks[rejected].start,
                after: merged.prefix,
                format: format,
                lint: lint,
                maxErrors: maxErrors
            )
        }
        return Result(format: format, errors: [], warnings: lint ? merged.prefix.linter.warnings : [])
    }

    // MARK: Pieces

    /// A payload shared by the tasks checking its pieces; the caller keeps it alive for the whole check.
    private struct Payload: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
    }

    /// What checking one piece on its own found.
    private struct PieceOutcome: Sendable {
        /// Whether the piece is valid as a part of a payload (no error, no `# EOF` before the last piece).
        var isClean: Bool
        /// Lines in the piece.
        var lines: Int
        /// Family names of the piece's groups.
        var families: Set<String>
        /// Sample names the piece's families claim, with the claiming family.
        var claimedNames: [String: String]
        /// Hashes of `families` and of the keys of `claimedNames`, for the merge.
        var familyKeys: [UInt64]
        var claimKeys: [UInt64]
        /// The lint facts of the piece (only when linting).
        var linter: MetricsLinter?

        init(isClean: Bool, lines: Int, families: Set<String>, claimedNames: [String: String]) {
            self.isClean = isClean
            self.lines = lines
            self.families = families
            self.claimedNames = claimedNames
            familyKeys = families.map(Self.key)
            claimKeys = claimedNames.keys.map(Self.key)
        }

        static func key(_ name: String) -> UInt64 {
            var name = name
            return name.withUTF8 { SeriesHash.bytes(UnsafeRawBufferPointer($0)) }
        }
    }

    /// What the clean pieces before a cut saw: the state a serial check has at that cut.
    ///
    /// A piece may follow the pieces before it when no family name appears in both (a family group of the same
    /// name again) and no sample name is claimed in both (a family of one piece claiming, say, `x_count`, and a
    /// family of another claiming it too: the same family, already excluded, or two different ones, a clash). Both
    /// are checked on hashes of the names; a hash seen twice, clash or collision, sends the rest of the payload to
    /// the serial check, which is exact.
    private struct Prefix {
        var lines = 0
        var linter = MetricsLinter()
        /// The clean pieces merged so far, whose names are needed only when a serial check continues after them.
        private var pieces: [PieceOutcome] = []
        private var familyKeys = UInt64Table()
        private var claimKeys = UInt64Table()

        /// Adds `next` when it can follow; `false` (and this prefix no longer to be extended) when it cannot.
        mutating func append(_ next: PieceOutcome, lint: Bool) -> Bool {
            for key in next.familyKeys where familyKeys.insert(key, value: 0) != nil { return false }
            for key in next.claimKeys where claimKeys.insert(key, value: 0) != nil { return false }
            if lint, let pieceLinter = next.linter { linter.append(pieceLinter, lineOffset: lines) }
            lines += next.lines
            pieces.append(next)
            return true
        }

        /// The family names seen, and the sample names claimed (by their family), by the pieces merged.
        var families: Set<String> { pieces.reduce(into: []) { $0.formUnion($1.families) } }
        var claimedNames: [String: String] {
            pieces.reduce(into: [:]) { $0.merge($1.claimedNames) { current, _ in current } }
        }
    }

    private static func checkPiece(_ piece: UnsafeRawBufferPointer, isLast: Bool, format: ExpositionFormat, lint: Bool)
        -> PieceOutcome
    {
        if lint {
            var linter = MetricsLinter()
            var outcome = checkPiece(piece, isLast: isLast, format: format, visitor: &linter)
            outcome.linter = linter
            return outcome
        }
        var visitor = DiscardingVisitor()
        return checkPiece(piece, isLast: isLast, format: format, visitor: &visitor)
    }

    private static func checkPiece<Visitor: ExpositionVisitor>(
        _ piece: UnsafeRawBufferPointer,
        isLast: Bool,
        format: ExpositionFormat,
        visitor: inout Visitor
    ) -> PieceOutcome {
        var run = ParserRun(parser: ExpositionParser(format: format, mode: .strict), bytes: piece)
        // About one family per KiB at most in real payloads (a family-heavy one: one per 850 bytes).
        run.validator.reserveCapacity(families: piece.count >> 10)
        run.collectedErrors = []
        run.maxErrors = 2
        var failed = false
        do {
            try run.run(visitor: &visitor)
        } catch {
            failed = true
        }
        let errors = (run.collectedErrors?.count ?? 0) + (failed ? 1 : 0)
        var validator = run.validator
        var isClean: Bool
        if isLast {
            isClean = errors == 0
        } else if format == .text {
            isClean = errors == 0  // a piece before the last ends with a newline
        } else {
            // OpenMetrics before the last piece: the run's only complaint must be the missing `# EOF`, raised at
            // the end before the last family was closed; close it here.
            isClean = errors == 1 && !run.sawEOF
            if isClean {
                do {
                    try validator.finish(line: run.line)
                } catch {
                    isClean = false
                }
            }
        }
        if !isLast && run.sawEOF { isClean = false }
        return PieceOutcome(
            isClean: isClean,
            lines: run.line,
            families: validator.seenFamilies,
            claimedNames: validator.claimedNames
        )
    }

    // MARK: Serial

    /// Checks `bytes[start...]` as the serial check does after `prefix` (clean pieces ending at `start`).
    private static func checkSerially(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int,
        after prefix: Prefix,
        format: ExpositionFormat,
        lint: Bool,
        maxErrors: Int
    ) -> Result {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        if lint {
            var linter = MetricsLinter()
            let errors = validate(rest, after: prefix, format: format, maxErrors: maxErrors, visitor: &linter)
            var all = prefix.linter
            all.append(linter, lineOffset: 0)
            return Result(format: format, errors: errors, warnings: all.warnings)
        }
        var visitor = DiscardingVisitor()
        let errors = validate(rest, after: prefix, format: format, maxErrors: maxErrors, visitor: &visitor)
        return Result(format: format, errors: errors, warnings: [])
    }

    /// ``ExpositionParser/validate(_:visitor:maxErrors:)`` in strict mode, continuing the line count and the
    /// validator's cross-family memory of `prefix`.
    private static func validate<Visitor: ExpositionVisitor>(
        _ bytes: UnsafeRawBufferPointer,
        after prefix: Prefix,
        format: ExpositionFormat,
        maxErrors: Int,
        visitor: inout Visitor
    ) -> [ExpositionError] {
        let parser = ExpositionParser(format: format, mode: .strict)
        let continuing =
            prefix.lines > 0
            ? (
                prefix.lines,
                StrictValidator(format: format, seenFamilies: prefix.families, claimedNames: prefix.claimedNames)
            )
            : nil
        return parser.validate(bytes, visitor: &visitor, maxErrors: maxErrors, continuing: continuing)
    }
}
