import FuzzSupport

@testable import CrowsnestCore

/// The process entry point: libFuzzer's driver on ``fuzzRelabelRegex(_:_:)`` (see `runFuzzer`).
@_cdecl("FuzzRelabelRegex_main")
public func fuzzRelabelRegexMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv) { fuzzRelabelRegex(UnsafeRawPointer($0), $1) }
}

/// libFuzzer entry point for `PrometheusRegex` (relabel `regex`, `=~` matchers) and the relabel rules built on it.
///
/// Input layout: one selector byte, then NUL-separated parts: `pattern \0 input \0 second input \0 replacement`.
/// The selector picks the relabel action (low nibble) and the name validation scheme (bit 4).
///
/// Invariants checked:
/// 1. compiling never crashes, whatever the pattern (errors are `PrometheusRegexError`);
/// 2. `matches` agrees with `captures`; group 0 is the whole input (unless an unbalanced `)` ends Prometheus'
///    anchoring group early); there is one group per capturing group + 1;
/// 3. the fast paths agree with the Pike VM (the regex compiled with `forceRegexEngine`) on match and groups;
/// 4. `expand` is non-nil exactly on a match;
/// 5. a relabeler built from the parts either refuses the rule or leaves only valid, non-empty label names with
///    non-empty values.
///
/// Matching must be linear in the input: libFuzzer's `-timeout` turns a super-linear blowup into a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRelabelRegex(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.takeByte()
    let parts = input.takeParts(separator: 0, maximumParts: 4).map { String(decoding: $0, as: UTF8.self) }
    let pattern = parts[0]
    let subjects = [parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : pattern]
    let replacement = parts.count > 3 ? parts[3] : "$1"

    if let regex = try? PrometheusRegex(pattern) {
        let engine = try? PrometheusRegex(pattern, forceRegexEngine: true)
        fuzzCheck(
            engine != nil,
            "the pattern compiles with fast paths but not on the engine: \(pattern.debugDescription)"
        )
        for subject in subjects {
            checkMatch(regex, engine: engine!, subject: subject, replacement: replacement)
        }
    }

    checkRelabeling(selector: selector, pattern: pattern, subjects: subjects, replacement: replacement)
    return 0
}

/// Invariants 2–4 for one subject.
private func checkMatch(_ regex: PrometheusRegex, engine: PrometheusRegex, subject: String, replacement: String) {
    let matched = regex.matches(subject)
    let groups = regex.captures(in: subject)
    let context = "pattern \(regex.pattern.debugDescription) on \(subject.debugDescription)"
    fuzzCheck(
        matched == (groups != nil),
        "matches() = \(matched) but captures() = \(String(describing: groups)) for \(context)"
    )
    if let groups {
        fuzzCheck(
            groups.count == regex.captureGroupCount + 1,
            "\(groups.count) groups for \(regex.captureGroupCount) capturing groups: \(context)"
        )
        // Prometheus wraps the pattern as `^(?s:PATTERN)$`, so only a pattern that closes that group early (an
        // unbalanced `)`, e.g. `a)|(b`) can match less than the whole input — as it does in Prometheus.
        fuzzCheck(
            groups[0].map(String.init) == subject || regex.pattern.contains(")"),
            "group 0 is not the whole input: \(context)"
        )
    }
    fuzzCheck(engine.matches(subject) == matched, "fast path and engine disagree on the match: \(context)")
    if regex.usesFastPath {
        // The fast paths report the whole match and the first group only; compare what they report.
        let engineGroups = engine.captures(in: subject)
        fuzzCheck((engineGroups == nil) == (groups == nil), "fast path and engine disagree on captures: \(context)")
        if let groups, let engineGroups {
            for index in 0..<min(groups.count, 2) {
                fuzzCheck(
                    groups[index].map(String.init) == engineGroups[index].map(String.init),
                    "group \(index): fast path \(String(describing: groups[index])) vs engine \(String(describing: engineGroups[index])): \(context)"
                )
            }
        }
    }
    fuzzCheck(
        (regex.expand(replacement, matching: subject) != nil) == matched,
        "expand() disagrees with matches(): \(context)"
    )
}

/// Invariant 5: a rule built from the parts, applied to a small label set.
private func checkRelabeling(selector: UInt8, pattern: String, subjects: [String], replacement: String) {
    let actions = RelabelAction.allCases
    let action = actions[Int(selector & 0x0F) % actions.count]
    let nameValidation: Relabeler.NameValidation = selector & 0x10 == 0 ? .legacy : .utf8
    var rule = RelabelRule(
        sourceLabels: ["__name__", "a"],
        targetLabel: selector & 0x20 == 0 ? "out" : "${1}_x",
        regex: pattern,
        modulus: action == .hashmod ? 7 : 0,
        replacement: replacement,
        action: action
    )
    if action == .keepequal || action == .dropequal {
        rule.regex = RelabelRule.defaultRegex
        rule.replacement = RelabelRule.defaultReplacement
        rule.targetLabel = "a"
    }
    if action == .labeldrop || action == .labelkeep {
        rule.sourceLabels = []
        rule.targetLabel = ""
        rule.replacement = RelabelRule.defaultReplacement
    }
    guard let relabeler = try? Relabeler(rules: [rule], nameValidation: nameValidation, cacheCapacity: 4) else {
        return
    }
    var labels = LabelSet(
        [Label("__name__", "up"), Label("a", subjects[0]), Label("b", subjects[1])].filter { !$0.value.isEmpty }
    )
    let kept = relabeler.process(&labels)
    guard kept else { return }
    for label in labels {
        fuzzCheck(
            nameValidation.isValidLabelName(label.name),
            "\(action) produced the invalid label name \(label.name.debugDescription) (pattern \(pattern.debugDescription))"
        )
        fuzzCheck(!label.value.isEmpty, "\(action) left label \(label.name) with an empty value")
    }
}
