import CrowsnestCore
import Testing

@Suite("Label injection (honor_labels)")
struct LabelInjectionTests {
    let target = [Label("cluster", "prod"), Label("namespace", "app"), Label("pod_name", "web-0")]

    @Test("honor_labels false: colliding scraped labels become exported_*, repeatedly prefixed while taken")
    func exported() {
        let scraped: LabelSet = ["cluster": "evil", "exported_cluster": "taken", "namespace": "other", "code": "200"]
        let result = LabelInjection.inject(target: target, into: scraped, honorLabels: false)
        #expect(result.get("cluster") == "prod")
        #expect(result.get("namespace") == "app")
        #expect(result.get("pod_name") == "web-0")
        #expect(result.get("exported_cluster") == "taken")
        #expect(result.get("exported_exported_cluster") == "evil")
        #expect(result.get("exported_namespace") == "other")
        #expect(result.get("code") == "200")
        #expect(result.count == 7)
    }

    @Test("honor_labels true: scraped labels win, missing ones come from the target")
    func honored() {
        let scraped: LabelSet = ["cluster": "from-pod", "code": "200"]
        let result = LabelInjection.inject(target: target, into: scraped, honorLabels: true)
        #expect(result.get("cluster") == "from-pod")
        #expect(result.get("namespace") == "app")
        #expect(result["exported_cluster"] == nil)
    }

    @Test("an empty target label value removes the label")
    func emptyTargetValueRemoves() {
        let result = LabelInjection.inject(
            target: [Label("cluster", "c"), Label("instance", "")],
            into: ["instance": "x"],
            honorLabels: false
        )
        #expect(result["instance"] == nil)
        #expect(result.get("exported_instance") == "x")
        #expect(result.get("cluster") == "c")
    }
}

@Suite("Scrape renderer: parse + inject + write")
struct ScrapeRendererTests {
    let options = ScrapeRenderOptions(
        targetLabels: [Label("cluster", "prod"), Label("namespace", "app"), Label("pod_name", "web-0")],
        timestampMilliseconds: 1_700_000_000_000
    )

    func render(
        _ payload: String,
        format: ExpositionFormat = .text,
        options: ScrapeRenderOptions? = nil
    )
        throws -> (RenderedScrape, String)
    {
        var renderer = ScrapeRenderer()
        let rendered = try renderer.render(Array(payload.utf8), format: format, options: options ?? self.options)
        return (rendered, String(decoding: rendered.bytes, as: UTF8.self))
    }

    @Test("target labels are injected, timestamps appended, families grouped")
    func injection() throws {
        let (rendered, text) = try render(
            """
            # HELP req_total Requests.
            # TYPE req_total counter
            req_total{code="200"} 5
            req_total{code="500",empty=""} 1 1600000000000
            up_time 3
            req_total{code="404"} 2

            """
        )
        #expect(rendered.samplesScraped == 4)
        #expect(rendered.samplesPostRelabeling == 4)
        #expect(rendered.families.map(\.name) == ["req_total", "up_time"])
        #expect(rendered.families[0].type == .counter)
        #expect(rendered.families[0].help == "Requests.")
        #expect(rendered.families[0].sampleCount == 3)
        #expect(
            text == """
                req_total{cluster="prod",namespace="app",pod_name="web-0",code="200"} 5 1700000000000
                req_total{cluster="prod",namespace="app",pod_name="web-0",code="500"} 1 1600000000000
                req_total{cluster="prod",namespace="app",pod_name="web-0",code="404"} 2 1700000000000
                up_time{cluster="prod",namespace="app",pod_name="web-0"} 3 1700000000000

                """
        )
        let familyText = String(decoding: rendered.bytes[rendered.families[1].range], as: UTF8.self)
        #expect(familyText.hasPrefix("up_time{"))
        // The rendered output (with metadata) is valid in strict mode.
        #expect(throws: Never.self) { try MetricFamily.parse(text, format: .text, mode: .scrape) }
    }

    @Test("labels written as rendered (copied as one block) and written loosely render the same bytes")
    func blockCopyMatchesLabelByLabel() throws {
        // Label sets written `a="1",b="2"` are copied in one piece; blanks, quoted names or empty values make the
        // renderer write label by label. Both must give the same output, with and without target labels.
        var generator = SystemRandomNumberGenerator()
        let names = ["a", "code", "handler", "le", "instance_name", "x9"]
        let values = ["1", "GET", "/api/v1/items/17", "a\\\"quoted\\\" one", "line\\nbreak", "ünïcode", "+Inf"]
        for round in 0..<200 {
            let count = Int.random(in: 1...4, using: &generator)
            let labels = names.shuffled(using: &generator).prefix(count).map {
                ($0, values.randomElement(using: &generator)!)
            }
            let tight = labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
            let loose = labels.map { "\($0.0) = \"\($0.1)\"" }.joined(separator: " , ")
            let withEmpty = tight + ",gone=\"\""
            let targets: [Label] = round.isMultiple(of: 2) ? options.targetLabels : []
            let options = ScrapeRenderOptions(
                targetLabels: targets,
                honorLabels: false,
                timestampMilliseconds: 1_700_000_000_000
            )
            let (_, expected) = try render("m{\(loose)} 1\n", options: options)
            let (_, fast) = try render("m{\(tight)} 1\n", options: options)
            let (_, dropped) = try render("m{\(withEmpty)} 1\n", options: options)
            #expect(fast == expected, "\(tight)")
            #expect(dropped == expected, "\(withEmpty)")
        }
    }

    @Test("a pod cannot pretend to be another cluster, namespace or pod")
    func spoofing() throws {
        let (_, text) = try render("m{cluster=\"evil\",namespace=\"kube-system\",pod_name=\"x\"} 1\n")
        let families = try MetricFamily.parse(text, format: .text)
        let labels = LabelSet(families[0].samples[0].labels)
        #expect(labels.get("cluster") == "prod")
        #expect(labels.get("namespace") == "app")
        #expect(labels.get("pod_name") == "web-0")
        #expect(labels.get("exported_cluster") == "evil")
        #expect(labels.get("exported_namespace") == "kube-system")
        #expect(labels.get("exported_pod_name") == "x")
    }

    @Test("OpenMetrics input maps to text families: counters gain _total, _created is skipped, info becomes a gauge")
    func openMetricsInput() throws {
        let (rendered, text) = try render(
            """
            # TYPE jobs counter
            # HELP jobs Jobs run.
            jobs_total{kind="a"} 3
            jobs_created{kind="a"} 1600000000.5
            # TYPE build info
            build_info{version="1.2"} 1
            # TYPE state stateset
            state{state="on"} 1
            # EOF

            """,
            format: .openMetrics
        )
        #expect(rendered.families.map(\.name) == ["jobs_total", "build_info", "state"])
        #expect(rendered.families.map(\.type) == [.counter, .gauge, .gauge])
        #expect(rendered.samplesScraped == 4)
        #expect(rendered.samplesPostRelabeling == 3)
        #expect(!text.contains("created"))
    }

    @Test("limits fail the whole scrape")
    func limits() {
        var options = options
        options.limits = ExpositionLimits(sampleLimit: 1)
        #expect(throws: ExpositionError.self) { try render("a 1\nb 2\n", options: options) }
        options.limits = ExpositionLimits(labelLimit: 3)
        #expect(throws: ExpositionError.self) { try render("a{x=\"1\"} 1\n", options: options) }
        options.limits = ExpositionLimits(labelValueLengthLimit: 4)
        #expect(throws: ExpositionError.self) { try render("a{x=\"12345\"} 1\n", options: options) }
    }

    @Test("metric relabeling runs after injection and can drop or rename")
    func relabeling() throws {
        var options = options
        options.metricRelabeling = { labels in
            if labels.get("__name__") == "drop_me" { return false }
            if labels.get("__name__") == "old_name" { labels["__name__"] = "new_name" }
            return true
        }
        let (rendered, text) = try render("drop_me 1\nold_name{a=\"b\"} 2\nkeep 3\n", options: options)
        #expect(rendered.samplesScraped == 3)
        #expect(rendered.samplesPostRelabeling == 2)
        #expect(
            text.contains("new_name{a=\"b\",cluster=\"prod\",namespace=\"app\",pod_name=\"web-0\"} 2 1700000000000")
        )
        #expect(!text.contains("drop_me"))
    }

    @Test("metric relabeling cannot change or remove the fixed labels (cluster, namespace, pod_name)")
    func fixedLabels() throws {
        var options = options
        options.fixedLabelNames = ["cluster", "namespace", "pod_name"]
        options.metricRelabeling = { labels in
            labels["pod_name"] = nil
            labels["namespace"] = "other"
            labels["team"] = "x"
            return true
        }
        let (_, text) = try render("a{b=\"1\"} 2\n", options: options)
        #expect(text == "a{b=\"1\",cluster=\"prod\",namespace=\"app\",pod_name=\"web-0\",team=\"x\"} 2 1700000000000\n")
        options.fixedLabelNames = []
        let (_, free) = try render("a{b=\"1\"} 2\n", options: options)
        #expect(free == "a{b=\"1\",cluster=\"prod\",namespace=\"other\",team=\"x\"} 2 1700000000000\n")
    }

    @Test("a label value over the limit fails the scrape naming the label; so does a target label's")
    func valueLengthLimit() throws {
        var options = options
        options.limits = ExpositionLimits(labelValueLengthLimit: 8)
        #expect(try render("a{x=\"12345678\"} 1\n", options: options).1.contains("12345678"))
        do {
            _ = try render("a{x=\"1\",long=\"123456789\"} 1\n", options: options)
            Issue.record("expected the limit to fail the scrape")
        } catch {
            #expect("\(error)".contains("label long has a value of 9 bytes, over label_value_length_limit (8)"))
        }
        options.targetLabels.append(Label("team", "a-very-long-team"))
        do {
            _ = try render("a 1\n", options: options)
            Issue.record("expected the target label to fail the scrape")
        } catch {
            #expect("\(error)".contains("target label team has a value of 16 bytes"))
        }
    }

    @Test("the renderer is reusable across scrapes")
    func reuse() throws {
        var renderer = ScrapeRenderer()
        let first = try renderer.render(Array("a 1\nb 2\n".utf8), format: .text, options: options)
        let second = try renderer.render(Array("c 3\n".utf8), format: .text, options: options)
        #expect(first.families.count == 2)
        #expect(second.families.map(\.name) == ["c"])
        #expect(String(decoding: second.bytes, as: UTF8.self).hasPrefix("c{"))
    }
}
