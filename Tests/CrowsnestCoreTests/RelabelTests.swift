import CrowsnestCore
import Testing

/// One table case: input labels, rules, and the expected labels (`nil` = dropped).
struct RelabelCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [String: String]
    var rules: [RelabelRule]
    var output: [String: String]?

    var testDescription: String { name }
}

private func labelSet(_ dictionary: [String: String]) -> LabelSet {
    LabelSet(dictionary.map { Label($0.key, $0.value) })
}

/// The cases of Prometheus' `model/relabel/relabel_test.go` (`TestRelabel`), rule for rule.
private let prometheusCases: [RelabelCase] = [
    RelabelCase(
        name: "replace with ${1} twice",
        input: ["a": "foo", "b": "bar", "c": "baz"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "d", regex: "f(.*)", replacement: "ch${1}-ch${1}")],
        output: ["a": "foo", "b": "bar", "c": "baz", "d": "choo-choo"]
    ),
    RelabelCase(
        name: "two replaces, multiple sources",
        input: ["a": "foo", "b": "bar", "c": "baz"],
        rules: [
            RelabelRule(sourceLabels: ["a", "b"], targetLabel: "a", regex: "f(.*);(.*)r", replacement: "b${1}${2}m"),
            RelabelRule(
                sourceLabels: ["c", "a"],
                targetLabel: "d",
                regex: "(b).*b(.*)ba(.*)",
                replacement: "$1$2$2$3"
            ),
        ],
        output: ["a": "boobam", "b": "bar", "c": "baz", "d": "boooom"]
    ),
    RelabelCase(
        name: "drop before replace",
        input: ["a": "foo"],
        rules: [
            RelabelRule(sourceLabels: ["a"], regex: ".*o.*", action: .drop),
            RelabelRule(sourceLabels: ["a"], targetLabel: "d", regex: "f(.*)", replacement: "ch$1-ch$1"),
        ],
        output: nil
    ),
    RelabelCase(
        name: "drop on match",
        input: ["a": "foo", "b": "bar"],
        rules: [RelabelRule(sourceLabels: ["a"], regex: ".*o.*", action: .drop)],
        output: nil
    ),
    RelabelCase(
        name: "replace with group in the middle",
        input: ["a": "abc"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "d", regex: ".*(b).*", replacement: "$1")],
        output: ["a": "abc", "d": "b"]
    ),
    RelabelCase(
        name: "drop without match keeps",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], regex: "no-match", action: .drop)],
        output: ["a": "foo"]
    ),
    RelabelCase(
        name: "drop regex is anchored",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], regex: "f|o", action: .drop)],
        output: ["a": "foo"]
    ),
    RelabelCase(
        name: "keep without match drops",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], regex: "no-match", action: .keep)],
        output: nil
    ),
    RelabelCase(
        name: "keep on match",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], regex: "f.*", action: .keep)],
        output: ["a": "foo"]
    ),
    RelabelCase(
        name: "no replacement without a match",
        input: ["a": "boo"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "b", regex: "f", replacement: "bar")],
        output: ["a": "boo"]
    ),
    RelabelCase(
        name: "hashmod",
        input: ["a": "foo", "b": "bar", "c": "baz"],
        rules: [RelabelRule(sourceLabels: ["c"], targetLabel: "d", modulus: 1000, action: .hashmod)],
        output: ["a": "foo", "b": "bar", "c": "baz", "d": "976"]
    ),
    RelabelCase(
        name: "hashmod of a value with a newline",
        input: ["a": "foo\nbar"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "b", modulus: 1000, action: .hashmod)],
        output: ["a": "foo\nbar", "b": "734"]
    ),
    RelabelCase(
        name: "labelmap with prefix",
        input: ["a": "foo", "b1": "bar", "b2": "baz"],
        rules: [RelabelRule(regex: "(b.*)", replacement: "bar_${1}", action: .labelmap)],
        output: ["a": "foo", "b1": "bar", "b2": "baz", "bar_b1": "bar", "bar_b2": "baz"]
    ),
    RelabelCase(
        name: "labelmap of __meta labels",
        input: ["a": "foo", "__meta_my_bar": "aaa", "__meta_my_baz": "bbb", "__meta_other": "ccc"],
        rules: [RelabelRule(regex: "__meta_(my.*)", replacement: "${1}", action: .labelmap)],
        output: [
            "a": "foo", "__meta_my_bar": "aaa", "__meta_my_baz": "bbb", "__meta_other": "ccc", "my_bar": "aaa",
            "my_baz": "bbb",
        ]
    ),
    RelabelCase(
        name: "target label from a group",
        input: ["a": "some-name-value"],
        rules: [
            RelabelRule(sourceLabels: ["a"], targetLabel: "${1}", regex: "some-([^-]+)-([^,]+)", replacement: "${2}")
        ],
        output: ["a": "some-name-value", "name": "value"]
    ),
    RelabelCase(
        name: "replacement expanding to nothing deletes (an absent) target",
        input: ["a": "some-name-value"],
        rules: [
            RelabelRule(sourceLabels: ["a"], targetLabel: "${1}", regex: "some-([^-]+)-([^,]+)", replacement: "${3}")
        ],
        output: ["a": "some-name-value"]
    ),
    RelabelCase(
        name: "target label expanding to an invalid name is a no-op",
        input: ["a": "some-name-0"],
        rules: [
            RelabelRule(sourceLabels: ["a"], targetLabel: "${3}", regex: "some-([^-]+)-([^,]+)", replacement: "${1}"),
            RelabelRule(sourceLabels: ["a"], targetLabel: "${3}", regex: "some-([^-]+)-([^,]+)", replacement: "${1}"),
            RelabelRule(sourceLabels: ["a"], targetLabel: "${3}", regex: "some-([^-]+)(-[^,]+)", replacement: "${1}"),
        ],
        output: ["a": "some-name-0"]
    ),
    RelabelCase(
        name: "service discovery tags",
        input: ["__meta_sd_tags": "path:/secret,job:some-job,label:foo=bar"],
        rules: [
            RelabelRule(
                sourceLabels: ["__meta_sd_tags"],
                targetLabel: "__metrics_path__",
                regex: "(?:.+,|^)path:(/[^,]+).*",
                replacement: "${1}"
            ),
            RelabelRule(
                sourceLabels: ["__meta_sd_tags"],
                targetLabel: "job",
                regex: "(?:.+,|^)job:([^,]+).*",
                replacement: "${1}"
            ),
            RelabelRule(
                sourceLabels: ["__meta_sd_tags"],
                targetLabel: "${1}",
                regex: "(?:.+,|^)label:([^=]+)=([^,]+).*",
                replacement: "${2}"
            ),
        ],
        output: [
            "__meta_sd_tags": "path:/secret,job:some-job,label:foo=bar", "__metrics_path__": "/secret",
            "job": "some-job", "foo": "bar",
        ]
    ),
    RelabelCase(
        name: "prometheus issue 12283",
        input: [
            "__meta_kubernetes_pod_container_port_name": "foo",
            "__meta_kubernetes_pod_annotation_XXX_metrics_port": "9091",
        ],
        rules: [
            RelabelRule(regex: "^__meta_kubernetes_pod_container_port_name$", action: .labeldrop),
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_pod_annotation_XXX_metrics_port"],
                targetLabel: "__meta_kubernetes_pod_container_port_name",
                regex: "(.+)",
                replacement: "metrics"
            ),
            RelabelRule(
                sourceLabels: ["__meta_kubernetes_pod_container_port_name"],
                regex: "^metrics$",
                action: .keep
            ),
        ],
        output: [
            "__meta_kubernetes_pod_annotation_XXX_metrics_port": "9091",
            "__meta_kubernetes_pod_container_port_name": "metrics",
        ]
    ),
    RelabelCase(
        name: "labelkeep",
        input: ["a": "foo", "b1": "bar", "b2": "baz"],
        rules: [RelabelRule(regex: "(b.*)", action: .labelkeep)],
        output: ["b1": "bar", "b2": "baz"]
    ),
    RelabelCase(
        name: "labeldrop",
        input: ["a": "foo", "b1": "bar", "b2": "baz"],
        rules: [RelabelRule(regex: "(b.*)", action: .labeldrop)],
        output: ["a": "foo"]
    ),
    RelabelCase(
        name: "uppercase and lowercase",
        input: ["foo": "bAr123Foo"],
        rules: [
            RelabelRule(sourceLabels: ["foo"], targetLabel: "foo_uppercase", action: .uppercase),
            RelabelRule(sourceLabels: ["foo"], targetLabel: "foo_lowercase", action: .lowercase),
        ],
        output: ["foo": "bAr123Foo", "foo_lowercase": "bar123foo", "foo_uppercase": "BAR123FOO"]
    ),
    RelabelCase(
        name: "keepequal keeps on equal values",
        input: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"],
        rules: [RelabelRule(sourceLabels: ["__tmp_port"], targetLabel: "__port1", action: .keepequal)],
        output: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"]
    ),
    RelabelCase(
        name: "dropequal drops on equal values",
        input: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"],
        rules: [RelabelRule(sourceLabels: ["__tmp_port"], targetLabel: "__port1", action: .dropequal)],
        output: nil
    ),
    RelabelCase(
        name: "dropequal keeps on different values",
        input: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"],
        rules: [RelabelRule(sourceLabels: ["__tmp_port"], targetLabel: "__port2", action: .dropequal)],
        output: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"]
    ),
    RelabelCase(
        name: "keepequal drops on different values",
        input: ["__tmp_port": "1234", "__port1": "1234", "__port2": "5678"],
        rules: [RelabelRule(sourceLabels: ["__tmp_port"], targetLabel: "__port2", action: .keepequal)],
        output: nil
    ),
]

/// Further cases for the corners of Prometheus' semantics.
private let extraCases: [RelabelCase] = [
    RelabelCase(
        name: "static replacement with all defaults (no source labels)",
        input: ["a": "x"],
        rules: [RelabelRule(targetLabel: "cluster", replacement: "dev-us-central-0")],
        output: ["a": "x", "cluster": "dev-us-central-0"]
    ),
    RelabelCase(
        name: "default replace copies a label",
        input: ["__meta_kubernetes_namespace": "monitoring"],
        rules: [RelabelRule(sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "namespace")],
        output: ["__meta_kubernetes_namespace": "monitoring", "namespace": "monitoring"]
    ),
    RelabelCase(
        name: "default replace from an absent label deletes the target",
        input: ["namespace": "old"],
        rules: [RelabelRule(sourceLabels: ["missing"], targetLabel: "namespace")],
        output: [:]
    ),
    RelabelCase(
        name: "$1x names group '1x', which does not exist: empty value deletes the target",
        input: ["a": "foo", "b": "keep-me?"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "b", regex: "(.*)", replacement: "$1_suffix")],
        output: ["a": "foo"]
    ),
    RelabelCase(
        name: "${1}x appends to group 1",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "b", regex: "(.*)", replacement: "${1}_suffix")],
        output: ["a": "foo", "b": "foo_suffix"]
    ),
    RelabelCase(
        name: "$$ is a literal dollar, a malformed reference stays literal",
        input: ["a": "foo"],
        rules: [RelabelRule(sourceLabels: ["a"], targetLabel: "b", regex: "(.*)", replacement: "$$1 ${ $ ${}")],
        output: ["a": "foo", "b": "$1 ${ $ ${}"]
    ),
    RelabelCase(
        name: "named groups in replacement and target",
        input: ["__address__": "10.0.0.1:8080", "port": "9100"],
        rules: [
            RelabelRule(
                sourceLabels: ["__address__", "port"],
                targetLabel: "__address__",
                regex: "(?P<host>.+?)(\\:\\d+)?;(?<port>\\d+)",
                replacement: "${host}:${port}"
            ),
            RelabelRule(
                sourceLabels: ["port"],
                targetLabel: "port_${kind}",
                regex: "(?P<kind>[0-9])[0-9]*",
                replacement: "$kind"
            ),
        ],
        output: ["__address__": "10.0.0.1:9100", "port": "9100", "port_9": "9"]
    ),
    RelabelCase(
        name: "regex matches values with newlines ((?s) semantics)",
        input: ["msg": "line1\nline2"],
        rules: [
            RelabelRule(sourceLabels: ["msg"], regex: "line1.line2", action: .keep),
            RelabelRule(sourceLabels: ["msg"], targetLabel: "first", regex: "(.*)\n.*"),
        ],
        output: ["msg": "line1\nline2", "first": "line1"]
    ),
    RelabelCase(
        name: "(?-s) turns newline matching off",
        input: ["msg": "line1\nline2"],
        rules: [RelabelRule(sourceLabels: ["msg"], regex: "(?-s)line1.line2", action: .keep)],
        output: nil
    ),
    RelabelCase(
        name: "custom separator, absent labels join as empty",
        input: ["a": "x", "c": "z"],
        rules: [RelabelRule(sourceLabels: ["a", "b", "c"], separator: "/", regex: "x//z", action: .keep)],
        output: ["a": "x", "c": "z"]
    ),
    RelabelCase(
        name: "keepequal on two absent labels keeps (both empty)",
        input: ["a": "x"],
        rules: [RelabelRule(sourceLabels: ["nope"], targetLabel: "nada", action: .keepequal)],
        output: ["a": "x"]
    ),
    RelabelCase(
        name: "lowercase of an empty value deletes the target",
        input: ["a": "x", "t": "old"],
        rules: [RelabelRule(sourceLabels: ["missing"], targetLabel: "t", action: .lowercase)],
        output: ["a": "x"]
    ),
    RelabelCase(
        name: "case mapping is Go's simple mapping, code point by code point",
        input: ["v": "Straße ǅ İstanbul ᾳ"],
        rules: [
            RelabelRule(sourceLabels: ["v"], targetLabel: "up", action: .uppercase),
            RelabelRule(sourceLabels: ["v"], targetLabel: "low", action: .lowercase),
        ],
        output: ["v": "Straße ǅ İstanbul ᾳ", "up": "STRAßE Ǆ İSTANBUL ᾼ", "low": "straße ǆ istanbul ᾳ"]
    ),
    RelabelCase(
        name: "labelmap: later labels win a name collision, values come from before the rule",
        input: ["__meta_a_x": "1", "__meta_b_x": "2", "x": "0"],
        rules: [RelabelRule(regex: "__meta_[ab]_(.*)", replacement: "$1", action: .labelmap)],
        output: ["__meta_a_x": "1", "__meta_b_x": "2", "x": "2"]
    ),
    RelabelCase(
        name: "labelmap to an empty name is skipped",
        input: ["__meta_x": "1"],
        rules: [RelabelRule(regex: "__meta_(y)?.*", replacement: "$1", action: .labelmap)],
        output: ["__meta_x": "1"]
    ),
    RelabelCase(
        name: "labeldrop regex needing the regex engine",
        input: ["a1": "x", "a22": "y", "b1": "z"],
        rules: [RelabelRule(regex: "a\\d{2,}|b[0-9]", action: .labeldrop)],
        output: ["a1": "x"]
    ),
    RelabelCase(
        name: "hashmod then keep (sharding)",
        input: ["__address__": "10.132.183.40:80", "job": "x"],
        rules: [
            RelabelRule(sourceLabels: ["__address__"], targetLabel: "__tmp_hash", modulus: 3, action: .hashmod),
            RelabelRule(sourceLabels: ["__tmp_hash"], regex: "^1$", action: .keep),
            RelabelRule(regex: "__tmp_hash", action: .labeldrop),
        ],
        output: ["__address__": "10.132.183.40:80", "job": "x"]
    ),
    RelabelCase(
        name: "drop on the metric name (metric_relabel_configs)",
        input: ["__name__": "go_gc_duration_seconds", "job": "x"],
        rules: [RelabelRule(sourceLabels: ["__name__"], regex: "go_.*|process_.*", action: .drop)],
        output: nil
    ),
    RelabelCase(
        name: "byte-exact matching: precomposed é does not match e + combining accent",
        input: ["v": "cafe\u{301}"],
        rules: [RelabelRule(sourceLabels: ["v"], regex: "caf\u{E9}", action: .keep)],
        output: nil
    ),
]

@Suite("Relabeling: actions")
struct RelabelTests {
    @Test("Prometheus relabel_test.go cases", arguments: prometheusCases)
    func prometheusCase(_ testCase: RelabelCase) throws {
        try check(testCase)
    }

    @Test("further Prometheus semantics", arguments: extraCases)
    func extraCase(_ testCase: RelabelCase) throws {
        try check(testCase)
    }

    @Test("cases give the same result with the caches disabled and through the regex engine")
    func cachesDoNotChangeResults() throws {
        for testCase in prometheusCases + extraCases {
            let cached = try Relabeler(rules: testCase.rules)
            let uncached = try Relabeler(rules: testCase.rules, cacheCapacity: 0)
            for _ in 0..<3 {
                let input = labelSet(testCase.input)
                #expect(cached.processed(input) == uncached.processed(input), "\(testCase.name)")
            }
        }
    }

    @Test("an empty relabeler keeps everything unchanged")
    func emptyRelabeler() throws {
        let relabeler = try Relabeler(rules: [])
        #expect(relabeler.isEmpty)
        var labels: LabelSet = ["__meta_x": "1", "a": "b"]
        #expect(relabeler.process(&labels))
        #expect(labels == ["__meta_x": "1", "a": "b"])
        #expect(try !Relabeler(rules: [RelabelRule(targetLabel: "a")]).isEmpty)
    }

    @Test("processing stops at the first rule that drops")
    func stopsAtDrop() throws {
        let relabeler = try Relabeler(rules: [
            RelabelRule(targetLabel: "before", replacement: "1"),
            RelabelRule(sourceLabels: ["a"], regex: "b", action: .drop),
            RelabelRule(targetLabel: "after", replacement: "1"),
        ])
        var labels: LabelSet = ["a": "b"]
        #expect(!relabeler.process(&labels))
        #expect(labels["before"] == "1")
        #expect(labels["after"] == nil)
        #expect(relabeler.processed(["a": "c"]) == ["a": "c", "before": "1", "after": "1"])
    }

    @Test("UTF-8 name validation lets a replace target expand to any non-empty name")
    func utf8Targets() throws {
        let rules = [RelabelRule(sourceLabels: ["a"], targetLabel: "${1}", regex: "(.*)=(.*)", replacement: "$2")]
        let input: LabelSet = ["a": "foo.bar=1"]
        #expect(try Relabeler(rules: rules).processed(input) == input)
        #expect(
            try Relabeler(rules: rules, nameValidation: .utf8).processed(input) == ["a": "foo.bar=1", "foo.bar": "1"]
        )
    }

    @Test("metadata labels are removed after relabeling, __name__ stays")
    func dropMetaLabels() {
        let labels: LabelSet = [
            "__meta_kubernetes_pod_name": "p", "__address__": "1.2.3.4:80", "__tmp_x": "1", "__name__": "up",
            "__": "x", "_single": "kept", "job": "j",
        ]
        #expect(labels.droppingMetaLabels() == ["__name__": "up", "_single": "kept", "job": "j"])
        var mutable = labels
        mutable.removeMetaLabels()
        #expect(mutable == labels.droppingMetaLabels())
        #expect(LabelSet.isMetaLabelName("__scheme__"))
        #expect(!LabelSet.isMetaLabelName("__name__"))
        #expect(!LabelSet.isMetaLabelName("_x"))
    }

    @Test("action names are read case-insensitively, as Prometheus does")
    func actionNames() {
        #expect(RelabelAction(configValue: "Replace") == .replace)
        #expect(RelabelAction(configValue: "KEEPEQUAL") == .keepequal)
        #expect(RelabelAction(configValue: "labelMap") == .labelmap)
        #expect(RelabelAction(configValue: "rename") == nil)
    }

    private func check(_ testCase: RelabelCase) throws {
        let relabeler = try Relabeler(rules: testCase.rules)
        // Twice, so the second pass runs on warm caches.
        for _ in 0..<2 {
            var labels = labelSet(testCase.input)
            let kept = relabeler.process(&labels)
            if let expected = testCase.output {
                #expect(kept, "expected to keep \(testCase.name)")
                #expect(labels == labelSet(expected))
            } else {
                #expect(!kept, "expected to drop \(testCase.name)")
            }
        }
    }
}
