import CrowsnestCore
import Dispatch
import FuzzSupport

/// The process entry point: libFuzzer's driver on ``fuzzExposition(_:_:)`` (see `runFuzzer`).
@_cdecl("FuzzExposition_main")
public func fuzzExpositionMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { fuzzExposition(UnsafeRawPointer($0), $1) }
}

/// libFuzzer entry point for the exposition parser, writer and scrape renderer.
///
/// Input layout: one selector byte, one limits byte, then the payload.
/// - selector bit 0: format (0 text 0.0.4, 1 OpenMetrics 1.0); bit 1: `honor_labels` for the renderer.
/// - limits byte: 0 = no limits; otherwise small sample/label limits so the limit paths run too.
///
/// Invariants checked (a violation traps, so libFuzzer keeps the input):
/// 1. only `ExpositionError` comes out (typed throws make this structural) and nothing crashes;
/// 2. `validate` finds no problem exactly when `parse` succeeds, in both modes;
/// 3. what strict mode accepts, scrape mode accepts with the same families;
/// 4. what scrape mode accepts, the writer writes in the same format, that output parses again to equivalent
///    families (those with samples: an untyped family without samples or HELP has nothing to write), and writing
///    those is a fixed point;
/// 5. what the renderer accepts is valid text 0.0.4 with exactly `samplesPostRelabeling` samples, every one
///    carrying the target's `cluster` label, and the family ranges tile the output;
/// 6. with a sample limit, no accepted payload has more samples than the limit;
/// 7. `check metrics` cut into 2–5 pieces checked concurrently gives the serial check's errors (positions, codes
///    and messages, except which name a family clash names: Fuzz/README.md, finding 2) and warnings (selector
///    bits 3–4 pick the piece count, bit 2 lets the check detect the format).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExposition(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.takeByte()
    let limitsByte = input.takeByte()
    let payload = input.takeRest()
    let format: ExpositionFormat = selector & 1 == 0 ? .text : .openMetrics
    let limits =
        limitsByte == 0
        ? ExpositionLimits.none
        : ExpositionLimits(
            sampleLimit: Int(limitsByte & 0x0F),
            labelLimit: Int(limitsByte >> 4),
            labelNameLengthLimit: limitsByte & 0x10 != 0 ? 8 : 0,
            labelValueLengthLimit: limitsByte & 0x20 != 0 ? 8 : 0
        )

    let scrape = Result { () throws(ExpositionError) in
        try MetricFamily.parse(payload, format: format, mode: .scrape, limits: limits)
    }
    let strict = Result { () throws(ExpositionError) in
        try MetricFamily.parse(payload, format: format, mode: .strict, limits: limits)
    }
    checkValidateAgrees(payload, format: format, mode: .scrape, limits: limits, parsed: scrape)
    checkValidateAgrees(payload, format: format, mode: .strict, limits: limits, parsed: strict)

    if case .success(let strictFamilies) = strict {
        guard case .success(let scrapeFamilies) = scrape else {
            fuzzCheck(false, "strict mode accepted what scrape mode refused: \(excerpt(payload))")
            return 0
        }
        fuzzCheck(
            strictFamilies.count == scrapeFamilies.count
                && zip(strictFamilies, scrapeFamilies).allSatisfy { $0.isEquivalent(to: $1) },
            "strict and scrape mode read different families from \(excerpt(payload))"
        )
    }

    if case .success(let families) = scrape {
        if limits.sampleLimit > 0 {
            let samples = families.reduce(0) { $0 + $1.samples.count }
            fuzzCheck(
                samples <= limits.sampleLimit,
                "\(samples) samples passed a sample limit of \(limits.sampleLimit)"
            )
        }
        checkWriterRoundTrip(families, format: format, payload: payload)
    }

    checkRenderer(payload, format: format, honorLabels: selector & 2 != 0, limits: limits)

    checkPiecewiseCheck(payload, format: selector & 4 == 0 ? format : nil, pieces: 2 + Int((selector >> 3) & 3))
    return 0
}

/// Invariant 7: `check metrics` cut into pieces checked concurrently reports exactly what the serial check does.
private func checkPiecewiseCheck(_ payload: [UInt8], format: ExpositionFormat?, pieces: Int) {
    payload.withUnsafeBytes { bytes in
        let serial = MetricsChecker.check(bytes, format: format, lint: true, maxErrors: 20)
        let piecewise = checkInPieces(bytes, format: format, pieces: pieces)
        // Known and tolerated (Fuzz/README.md, finding 2): which name a family clash names may differ. Compare the
        // problems by position and code; the messages must agree otherwise.
        let positions = { (errors: [ExpositionError]) in errors.map { [$0.line, $0.column] } }
        let codes = { (errors: [ExpositionError]) in errors.map(\.code) }
        let messages = { (errors: [ExpositionError]) in
            errors.map { $0.reason.contains(" clashes with family ") ? "" : $0.reason }
        }
        if positions(serial.errors) != positions(piecewise.errors) || codes(serial.errors) != codes(piecewise.errors)
            || messages(serial.errors) != messages(piecewise.errors)
        {
            let index =
                zip(serial.errors, piecewise.errors).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(serial.errors.count, piecewise.errors.count)
            fuzzCheck(
                false,
                "check in \(pieces) pieces: \(piecewise.errors.count) errors, serial: \(serial.errors.count); first difference at "
                    + "\(index): pieces \(piecewise.errors.dropFirst(index).first.map(String.init(describing:)) ?? "none"), serial "
                    + "\(serial.errors.dropFirst(index).first.map(String.init(describing:)) ?? "none") for \(excerpt(payload))"
            )
        }
        fuzzCheck(
            serial.warnings == piecewise.warnings,
            "check in \(pieces) pieces warned \(piecewise.warnings.prefix(3)) but the serial check \(serial.warnings.prefix(3))"
        )
    }
}

/// The payload pointer handed to the concurrent check; valid until `checkInPieces` returns, which waits for it.
private struct BorrowedPayload: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}

/// Where the concurrent check leaves its result; the semaphore orders the write before the read.
private final class CheckOutcome: @unchecked Sendable {
    var result: MetricsChecker.Result?
}

/// Runs the async piecewise check to completion from libFuzzer's synchronous callback.
private func checkInPieces(
    _ bytes: UnsafeRawBufferPointer,
    format: ExpositionFormat?,
    pieces: Int
) -> MetricsChecker.Result {
    let payload = BorrowedPayload(bytes: bytes)
    let outcome = CheckOutcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        outcome.result = await MetricsChecker.check(
            payload.bytes,
            format: format,
            lint: true,
            maxErrors: 20,
            pieces: pieces
        )
        done.signal()
    }
    done.wait()
    return outcome.result!
}

/// Invariant 2: `validate` agrees with `parse` on whether the payload is valid.
private func checkValidateAgrees(
    _ payload: [UInt8],
    format: ExpositionFormat,
    mode: ParseMode,
    limits: ExpositionLimits,
    parsed: Result<[MetricFamily], ExpositionError>
) {
    let errors = payload.withUnsafeBytes { bytes in
        var visitor = DiscardingVisitor()
        return ExpositionParser(format: format, mode: mode, limits: limits).validate(
            bytes,
            visitor: &visitor,
            maxErrors: 10
        )
    }
    switch parsed {
    case .success:
        fuzzCheck(
            errors.isEmpty,
            "\(mode) parse accepted but validate reported \(errors.first!) for \(excerpt(payload))"
        )
    case .failure(let error):
        fuzzCheck(!errors.isEmpty, "\(mode) parse refused (\(error)) but validate found nothing in \(excerpt(payload))")
    }
}

/// Invariant 4: write → parse keeps the families, and write(parse(write(x))) == write(x).
private func checkWriterRoundTrip(_ families: [MetricFamily], format: ExpositionFormat, payload: [UInt8]) {
    let written = ExpositionWriter.write(families, format: format)
    let reparsed: [MetricFamily]
    do {
        reparsed = try MetricFamily.parse(written, format: format, mode: .scrape)
    } catch {
        fuzzCheck(false, "writer output does not parse (\(error)): \(excerpt(written)) from \(excerpt(payload))")
        return
    }
    // A family without samples may have nothing to write (untyped, no HELP): compare the families with samples.
    let before = families.filter { !$0.samples.isEmpty }
    let after = reparsed.filter { !$0.samples.isEmpty }
    if after.count != before.count {
        fuzzCheck(
            false,
            "write → parse changed the number of families \(before.count) → \(after.count): \(excerpt(written))"
        )
    }
    for (old, var new) in zip(before, after) {
        // Known and tolerated (Fuzz/README.md, finding 1): the writer drops an untyped family that has neither
        // samples nor HELP, so a HELP line written for a sample-less family just before it can attach to the
        // next family of that name on re-reading. Only a HELP that appears where there was none is tolerated.
        if old.help == nil { new.help = nil }
        guard !old.isEquivalent(to: new) else { continue }
        fuzzCheck(
            false,
            "write → parse changed family \(old) into \(new); written \(excerpt(written)) from \(excerpt(payload))"
        )
    }
    fuzzCheck(
        ExpositionWriter.write(reparsed, format: format) == written,
        "writer output is not a fixed point: \(excerpt(written)) from \(excerpt(payload))"
    )
}

/// Invariant 5: the renderer's output is what `/metrics` concatenates, so it must be valid text on its own.
private func checkRenderer(_ payload: [UInt8], format: ExpositionFormat, honorLabels: Bool, limits: ExpositionLimits) {
    let targetLabels = [Label("cluster", "c1"), Label("namespace", "ns"), Label("pod_name", "p-0")]
    var renderer = ScrapeRenderer()
    let options = ScrapeRenderOptions(
        targetLabels: targetLabels,
        honorLabels: honorLabels,
        timestampMilliseconds: 1_700_000_000_000,
        limits: limits
    )
    guard let rendered = try? renderer.render(payload, format: format, options: options) else { return }
    var position = 0
    for family in rendered.families {
        fuzzCheck(
            family.range.lowerBound == position,
            "rendered family \(family.name) does not start where the last ended"
        )
        position = family.range.upperBound
    }
    fuzzCheck(position == rendered.bytes.count, "rendered family ranges do not cover the output")
    let reparsed: [MetricFamily]
    do {
        reparsed = try MetricFamily.parse(rendered.bytes, format: .text, mode: .scrape)
    } catch {
        fuzzCheck(
            false,
            "rendered output is not valid text (\(error)): \(excerpt(rendered.bytes)) from \(excerpt(payload))"
        )
        return
    }
    let samples = reparsed.flatMap(\.samples)
    fuzzCheck(
        samples.count == rendered.samplesPostRelabeling,
        "rendered \(samples.count) sample lines but reported \(rendered.samplesPostRelabeling) from \(excerpt(payload))"
    )
    if !honorLabels {
        fuzzCheck(
            samples.allSatisfy { $0.label("cluster") == "c1" },
            "a rendered sample lost its cluster label: \(excerpt(rendered.bytes)) from \(excerpt(payload))"
        )
    }
}
