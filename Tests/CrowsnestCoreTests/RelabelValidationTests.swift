import CrowsnestCore
import Testing

/// A rule Prometheus refuses, with the field and message it must be refused with.
struct RelabelInvalidCase: Sendable, CustomTestStringConvertible {
    var rule: RelabelRule
    var code: RelabelError.Code
    var field: RelabelRule.Field
    var message: String
    var nameValidation: Relabeler.NameValidation = .legacy

    var testDescription: String { message }
}

private let invalidCases: [RelabelInvalidCase] = [
    // Prometheus' TestRelabelValidate.
    RelabelInvalidCase(
        rule: RelabelRule(action: .replace),
        code: .missingField,
        field: .targetLabel,
        message: "relabel configuration for replace action requires 'target_label' value"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(action: .lowercase),
        code: .missingField,
        field: .targetLabel,
        message: "relabel configuration for lowercase action requires 'target_label' value"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(targetLabel: "${3}", action: .lowercase),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"${3}\" is invalid 'target_label' for lowercase action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(
            sourceLabels: ["a"],
            targetLabel: "0${3}",
            regex: "some-([^-]+)-([^,]+)",
            replacement: "${1}"
        ),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"0${3}\" is invalid 'target_label' for replace action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(
            sourceLabels: ["a"],
            targetLabel: "-${3}",
            regex: "some-([^-]+)-([^,]+)",
            replacement: "${1}"
        ),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"-${3}\" is invalid 'target_label' for replace action"
    ),
    // The other checks of Config.Validate.
    RelabelInvalidCase(
        rule: RelabelRule(targetLabel: "1abc"),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"1abc\" is invalid 'target_label' for replace action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(targetLabel: "foo-bar"),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"foo-bar\" is invalid 'target_label' for replace action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "h", action: .hashmod),
        code: .missingField,
        field: .modulus,
        message: "relabel configuration for hashmod requires non-zero modulus"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], modulus: 4, action: .hashmod),
        code: .missingField,
        field: .targetLabel,
        message: "relabel configuration for hashmod action requires 'target_label' value"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "shard_$1", modulus: 4, action: .hashmod),
        code: .invalidValue,
        field: .targetLabel,
        message: "\"shard_$1\" is invalid 'target_label' for hashmod action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "b", replacement: "x", action: .uppercase),
        code: .fieldNotAllowed,
        field: .replacement,
        message: "'replacement' can not be set for uppercase action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "b", replacement: "", action: .keepequal),
        code: .fieldNotAllowed,
        field: .replacement,
        message: "'replacement' can not be set for keepequal action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "b", action: .dropequal),
        code: .missingField,
        field: .targetLabel,
        message: "relabel configuration for dropequal action requires 'target_label' value"
    ).with(rule: RelabelRule(sourceLabels: ["a"], action: .dropequal)),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "b", regex: "x", action: .keepequal),
        code: .fieldNotAllowed,
        field: .regex,
        message: "keepequal action requires only 'source_labels' and 'target_label', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], separator: ",", targetLabel: "b", action: .dropequal),
        code: .fieldNotAllowed,
        field: .separator,
        message: "dropequal action requires only 'source_labels' and 'target_label', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], targetLabel: "b", modulus: 3, action: .dropequal),
        code: .fieldNotAllowed,
        field: .modulus,
        message: "dropequal action requires only 'source_labels' and 'target_label', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(regex: "(.*)", replacement: "-$1", action: .labelmap),
        code: .invalidValue,
        field: .replacement,
        message: "\"-$1\" is invalid 'replacement' for labelmap action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(regex: "(.*)", replacement: "", action: .labelmap),
        code: .invalidValue,
        field: .replacement,
        message: "\"\" is invalid 'replacement' for labelmap action"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], regex: "x", action: .labeldrop),
        code: .fieldNotAllowed,
        field: .sourceLabels,
        message: "labeldrop action requires only 'regex', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(targetLabel: "t", regex: "x", action: .labelkeep),
        code: .fieldNotAllowed,
        field: .targetLabel,
        message: "labelkeep action requires only 'regex', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(regex: "x", replacement: "y", action: .labelkeep),
        code: .fieldNotAllowed,
        field: .replacement,
        message: "labelkeep action requires only 'regex', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(separator: "", regex: "x", action: .labeldrop),
        code: .fieldNotAllowed,
        field: .separator,
        message: "labeldrop action requires only 'regex', and no other fields"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(regex: "x", modulus: 2, action: .labeldrop),
        code: .fieldNotAllowed,
        field: .modulus,
        message: "labeldrop action requires only 'regex', and no other fields"
    ),
    // Field syntax Prometheus checks while reading YAML.
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["app.kubernetes.io/name"], regex: "x", action: .keep),
        code: .invalidValue,
        field: .sourceLabels,
        message: "\"app.kubernetes.io/name\" is not a valid label name"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: [""], regex: "x", action: .keep),
        code: .invalidValue,
        field: .sourceLabels,
        message: "\"\" is not a valid label name",
        nameValidation: .utf8
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], regex: "(unclosed", action: .keep),
        code: .invalidRegex,
        field: .regex,
        message: "error parsing regexp: missing closing ): `^(?s:(unclosed)$`"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(sourceLabels: ["a"], regex: "(?=lookahead)", action: .drop),
        code: .invalidRegex,
        field: .regex,
        message: "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
    ),
    RelabelInvalidCase(
        rule: RelabelRule(targetLabel: "", action: .replace),
        code: .missingField,
        field: .targetLabel,
        message: "relabel configuration for replace action requires 'target_label' value",
        nameValidation: .utf8
    ),
]

extension RelabelInvalidCase {
    fileprivate func with(rule: RelabelRule) -> RelabelInvalidCase {
        var copy = self
        copy.rule = rule
        return copy
    }
}

@Suite("Relabeling: rule validation")
struct RelabelValidationTests {
    @Test("invalid rules are refused, naming the field", arguments: invalidCases)
    func invalid(_ testCase: RelabelInvalidCase) {
        let valid = RelabelRule(targetLabel: "ok", replacement: "1")
        let error = #expect(throws: RelabelError.self) {
            try Relabeler(rules: [valid, testCase.rule], nameValidation: testCase.nameValidation)
        }
        #expect(error?.code == testCase.code)
        #expect(error?.field == testCase.field)
        #expect(error?.message == testCase.message)
        #expect(error?.ruleIndex == 1)
        #expect(error?.description == "relabel rule 1, field '\(testCase.field)': \(testCase.message)")
        #expect(error?.shortDescription == "relabel rule: \(testCase.code.rawValue) in \(testCase.field)")
        if testCase.code == .invalidRegex {
            #expect(error?.regexError != nil)
        }
    }

    @Test("valid rules are accepted")
    func valid() throws {
        let rules = [
            RelabelRule(sourceLabels: ["a"], targetLabel: "${3}", regex: "some-([^-]+)-([^,]+)", replacement: "${1}"),
            RelabelRule(targetLabel: "label${1}"),
            RelabelRule(targetLabel: "$1"),
            RelabelRule(targetLabel: "foo${bar}foo"),
            RelabelRule(targetLabel: "_${1}_"),
            RelabelRule(targetLabel: "__address__"),
            RelabelRule(sourceLabels: ["a"], targetLabel: "h", modulus: 1, action: .hashmod),
            RelabelRule(regex: "(.*)", replacement: "bar_${1}", action: .labelmap),
            RelabelRule(regex: "(.*)", action: .labelmap),
            RelabelRule(regex: "x", action: .labeldrop),
            RelabelRule(action: .labelkeep),
            RelabelRule(sourceLabels: ["a"], targetLabel: "b", action: .keepequal),
            RelabelRule(targetLabel: "b", action: .lowercase),
            RelabelRule(sourceLabels: ["a"], separator: "", regex: "", replacement: "", action: .keep),
            RelabelRule(sourceLabels: ["a"], action: .drop),
            RelabelRule(sourceLabels: ["a"], targetLabel: "x", modulus: 7, action: .replace),  // modulus ignored
        ]
        _ = try Relabeler(rules: rules)
        for (index, rule) in rules.enumerated() {
            try rule.validate(index: index)
        }
    }

    @Test("UTF-8 name validation accepts any non-empty name")
    func utf8Names() throws {
        let rules = [
            RelabelRule(sourceLabels: ["app.kubernetes.io/name"], targetLabel: "foo-bar"),
            RelabelRule(targetLabel: "0${1}"),
            RelabelRule(targetLabel: "h.x", modulus: 3, action: .hashmod),
            RelabelRule(regex: "(.*)", replacement: "-$1", action: .labelmap),
        ]
        _ = try Relabeler(rules: rules, nameValidation: .utf8)
        #expect(throws: RelabelError.self) { try Relabeler(rules: rules, nameValidation: .legacy) }
    }

    @Test(
        "target_label templates (Prometheus' TestTargetLabelValidity)",
        arguments: [
            ("-label", false), ("label", true), ("label${1}", true), ("${1}label", true), ("${1}", true), ("${", false),
            ("$", false), ("${}", false), ("foo${", false), ("$1", true), ("asd$2asd", true), ("-foo${1}bar-", false),
            ("_${1}_", true), ("foo${bar}foo", true), ("1${x}", false), ("${1}2", true), ("a$b$c", true),
            ("a$", false), ("a${b", false), ("a${b}}", false), ("é$1", false),
        ]
    )
    func templateValidity(_ template: String, _ valid: Bool) {
        let rule = RelabelRule(sourceLabels: ["a"], targetLabel: template)
        let accepted = (try? rule.validate()) != nil
        #expect(accepted == valid)
    }

    @Test("legacy label names")
    func legacyNames() {
        let legacy = Relabeler.NameValidation.legacy
        for name in ["a", "_", "__name__", "A_9", "abc123"] {
            #expect(legacy.isValidLabelName(name), "\(name)")
        }
        for name in ["", "9a", "a-b", "a.b", "é", "a b", "a$"] {
            #expect(!legacy.isValidLabelName(name), "\(name)")
        }
        #expect(Relabeler.NameValidation.utf8.isValidLabelName("a.b/é"))
        #expect(!Relabeler.NameValidation.utf8.isValidLabelName(""))
    }
}
