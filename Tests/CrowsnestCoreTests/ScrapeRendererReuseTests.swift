import CrowsnestCore
import Foundation
import Testing

/// Renderers borrowed from a pool render exactly what fresh ones do, whatever they rendered before; and families of
/// one sample written directly are the lines a parse of them gives.
@Suite("Renderer reuse and direct lines")
struct ScrapeRendererReuseTests {
    static let labelSets: [[Label]] = [
        [],
        [Label("cluster", "prod"), Label("namespace", "app"), Label("pod_name", "web-0")],
        [Label("cluster", "prod"), Label("gone", ""), Label("pod_name", "web-0")],
        [Label("k8s.io/app", "q\"uo\\te\nnew línea"), Label("pod_name", "web-0")],
    ]

    /// Three different payloads: the second has fewer families than the first, the third others again.
    static let payloads: [(text: String, format: ExpositionFormat)] = [
        (
            (0..<12).map { family in
                "# HELP f\(family) Family \(family).\n# TYPE f\(family) counter\n"
                    + (0..<40).map { "f\(family){i=\"\($0)\",z=\"\($0 % 3)\"} \($0)\n" }.joined()
            }.joined(), .text
        ),
        ("# TYPE g gauge\ng 1\ng2{a=\"b\"} 2 1700000000000\n", .text),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\n"
                + "# TYPE c counter\nc_total{x=\"y\"} 5\nc_created{x=\"y\"} 1\n# EOF\n", .openMetrics
        ),
    ]

    static func options(_ labels: [Label]) -> ScrapeRenderOptions {
        ScrapeRenderOptions(targetLabels: labels, timestampMilliseconds: 1_764_000_000_123)
    }

    static func fresh(_ payload: (text: String, format: ExpositionFormat), _ labels: [Label]) throws -> RenderedScrape {
        var renderer = ScrapeRenderer()
        return try renderer.render(Array(payload.text.utf8), format: payload.format, options: options(labels))
    }

    static func expectEqual(_ a: RenderedScrape, _ b: RenderedScrape, _ comment: Comment) {
        #expect(a.bytes == b.bytes, comment)
        #expect(a.families == b.families, comment)
        #expect(a.seriesHashes.sorted() == b.seriesHashes.sorted(), comment)
        #expect(a.samplesScraped == b.samplesScraped, comment)
        #expect(a.samplesPostRelabeling == b.samplesPostRelabeling, comment)
    }

    @Test("a pooled renderer renders what a fresh one does, payload after payload, and goes back to the pool")
    func pooledEqualsFresh() throws {
        let pool = ScrapeRendererPool(maximumIdle: 1)
        for round in 0..<3 {
            for (index, payload) in Self.payloads.enumerated() {
                for labels in Self.labelSets {
                    let pooled = try pool.withRenderer { renderer throws(ExpositionError) in
                        try renderer.render(
                            Array(payload.text.utf8),
                            format: payload.format,
                            options: Self.options(labels)
                        )
                    }
                    Self.expectEqual(pooled, try Self.fresh(payload, labels), "round \(round), payload \(index)")
                    #expect(pool.idleCount == 1)
                }
            }
        }
    }

    @Test("a failed render gives its renderer back, and the next render is clean")
    func failureGivesBack() throws {
        let pool = ScrapeRendererPool(maximumIdle: 2)
        _ = try pool.withRenderer { renderer throws(ExpositionError) in
            try renderer.render(Array(Self.payloads[0].text.utf8), format: .text, options: Self.options([]))
        }
        let garbage = Array((Self.payloads[0].text.prefix(900) + "\n{{{ not a line\n").utf8)
        #expect(throws: ExpositionError.self) {
            try pool.withRenderer { renderer throws(ExpositionError) in
                try renderer.render(garbage, format: .text, options: Self.options([]))
            }
        }
        #expect(pool.idleCount == 1)
        let after = try pool.withRenderer { renderer throws(ExpositionError) in
            try renderer.render(
                Array(Self.payloads[1].text.utf8),
                format: .text,
                options: Self.options(Self.labelSets[1])
            )
        }
        Self.expectEqual(after, try Self.fresh(Self.payloads[1], Self.labelSets[1]), "after a failure")
    }

    @Test("the pool keeps at most maximumIdle renderers, and none that hold more than the retained bytes")
    func bounds() async throws {
        let small = ScrapeRendererPool(maximumIdle: 4, maximumRetainedBytes: 1024)
        _ = try small.withRenderer { renderer throws(ExpositionError) in
            try renderer.render(Array(Self.payloads[0].text.utf8), format: .text, options: Self.options([]))
        }
        #expect(small.idleCount == 0)
        let pool = ScrapeRendererPool(maximumIdle: 2)
        let expected = try Self.fresh(Self.payloads[0], Self.labelSets[1])
        try await withThrowingTaskGroup(of: RenderedScrape.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try pool.withRenderer { renderer throws(ExpositionError) in
                        try renderer.render(
                            Array(Self.payloads[0].text.utf8),
                            format: .text,
                            options: Self.options(Self.labelSets[1])
                        )
                    }
                }
            }
            for try await rendered in group { Self.expectEqual(rendered, expected, "concurrent") }
        }
        #expect(pool.idleCount >= 1 && pool.idleCount <= 2)
    }

    /// Text-format HELP escaping (backslash and newline).
    static func escapedHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    @Test("families of one sample written directly are what the renderer makes of the same text payload")
    func singleSamplesEqualParse() throws {
        let samples: [(name: String, help: String, value: String)] = [
            ("up", "1 if the target was scraped successfully, 0 otherwise.", "1"),
            ("scrape_duration_seconds", "Duration of the scrape.", "0.000123"),
            ("tiny", "Back\\slash and\nnewline.", "1e-05"),
            ("scrape_samples_scraped", "Samples the target exposed.", "12345678901234"),
            ("odd.name", "A UTF-8 name.", "-3.5"),
        ]
        for labels in Self.labelSets {
            for timestamp in [nil, Int64(1_764_000_000_123), -5] as [Int64?] {
                var payload = ""
                for sample in samples {
                    let name = sample.name.contains(".") ? "\"\(sample.name)\"" : sample.name
                    payload += "# HELP \(name) \(Self.escapedHelp(sample.help))\n# TYPE \(name) gauge\n"
                    payload += sample.name.contains(".") ? "{\(name)} \(sample.value)\n" : "\(name) \(sample.value)\n"
                }
                var renderer = ScrapeRenderer()
                let parsed = try renderer.render(
                    Array(payload.utf8),
                    format: .text,
                    options: ScrapeRenderOptions(targetLabels: labels, timestampMilliseconds: timestamp)
                )
                let direct = RenderedScrape(
                    singleSamples: samples,
                    type: .gauge,
                    targetLabels: labels,
                    timestampMilliseconds: timestamp
                )
                Self.expectEqual(direct, parsed, "labels \(labels), timestamp \(String(describing: timestamp))")
            }
        }
    }

    /// `text`'s bytes in memory the caller deallocates (a payload passed without a closure around the render).
    static func unsafeCopy(_ text: String) -> UnsafeMutableRawBufferPointer {
        let bytes = Array(text.utf8)
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        raw.copyBytes(from: bytes)
        return UnsafeMutableRawBufferPointer(rebasing: raw[0..<bytes.count])
    }

    /// The address of an array's storage.
    static func address(_ bytes: [UInt8]) -> UInt {
        bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    @Test("a render into a buffer of about the right size gives the same result, written into that buffer")
    func reusedOutputBuffer() throws {
        for (index, payload) in Self.payloads.enumerated() {
            for labels in Self.labelSets {
                let expected = try Self.fresh(payload, labels)
                var options = Self.options(labels)
                options.spareCapacity = 100
                var buffer = [UInt8](repeating: 0xAB, count: 50)  // old content, to be forgotten
                buffer.reserveCapacity(expected.bytes.count + 100)
                let address = Self.address(buffer)
                var renderer = ScrapeRenderer()
                let raw = Self.unsafeCopy(payload.text)
                defer { raw.deallocate() }
                // Handed over (`consume`): a buffer still shared would be copied before it is written.
                let rendered = try renderer.render(
                    UnsafeRawBufferPointer(raw),
                    format: payload.format,
                    options: options,
                    reusing: consume buffer
                )
                Self.expectEqual(rendered, expected, "payload \(index), labels \(labels)")
                #expect(Self.address(rendered.bytes) == address, "payload \(index): written into the buffer given")
                #expect(rendered.bytes.capacity >= rendered.bytes.count + 100, "the spare room asked for")
            }
        }
    }

    @Test("a buffer far larger than the result is not what the result keeps")
    func oversizedBufferNotKept() throws {
        let payload = Self.payloads[1]
        let expected = try Self.fresh(payload, [])
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var renderer = ScrapeRenderer()
        let raw = Self.unsafeCopy(payload.text)
        defer { raw.deallocate() }
        let rendered = try renderer.render(
            UnsafeRawBufferPointer(raw),
            format: payload.format,
            options: Self.options([]),
            reusing: consume buffer
        )
        Self.expectEqual(rendered, expected, "oversized buffer")
        #expect(rendered.bytes.capacity < 64 << 10)
    }

    /// `count` lines of one gauge family `big`, over 64 kB rendered (several scratch flushes).
    static func bigFamily(_ count: Int) -> String {
        "# TYPE big gauge\n" + (0..<count).map { "big{instance=\"i\($0)\",zone=\"z\($0 % 7)\"} \($0).5\n" }.joined()
    }

    @Test("families that come back later (direct writing given up mid-way) render as if grouped", arguments: [0, 3000])
    func interleavedFamilies(bigLines: Int) throws {
        // `a` again after `b` (text: a new implied family of the same name), and OpenMetrics gauge histograms whose
        // second series goes back to the `_bucket` family: both send lines to an earlier output family.
        let cases: [(payload: String, format: ExpositionFormat, expected: [(name: String, lines: String)])] = [
            (
                "a{x=\"1\"} 1\nb 2\na{x=\"2\"} 3\nc 4\n", .text,
                [("a", "a{x=\"1\"} 1\na{x=\"2\"} 3\n"), ("b", "b 2\n"), ("c", "c 4\n")]
            ),
            (
                "# TYPE g gaugehistogram\n"
                    + "g_bucket{s=\"1\",le=\"+Inf\"} 2\ng_gcount{s=\"1\"} 2\ng_gsum{s=\"1\"} 3\n"
                    + "g_bucket{s=\"2\",le=\"+Inf\"} 5\ng_gcount{s=\"2\"} 5\ng_gsum{s=\"2\"} 6\n# EOF\n",
                .openMetrics,
                [
                    ("g_bucket", "g_bucket{s=\"1\",le=\"+Inf\"} 2\ng_bucket{s=\"2\",le=\"+Inf\"} 5\n"),
                    ("g_gcount", "g_gcount{s=\"1\"} 2\ng_gcount{s=\"2\"} 5\n"),
                    ("g_gsum", "g_gsum{s=\"1\"} 3\ng_gsum{s=\"2\"} 6\n"),
                ]
            ),
        ]
        for (payload, format, expected) in cases {
            let big = Self.bigFamily(bigLines)
            let bigAlone = big + (format == .openMetrics ? "# EOF\n" : "")
            var headRenderer = ScrapeRenderer()
            let head =
                bigLines == 0
                ? nil
                : try headRenderer.render(
                    Array(bigAlone.utf8),
                    format: format,
                    options: ScrapeRenderOptions(targetLabels: [])
                )
            let text = big + payload
            var renderer = ScrapeRenderer()
            let rendered = try renderer.render(
                Array(text.utf8),
                format: format,
                options: ScrapeRenderOptions(targetLabels: [])
            )
            let headBytes = head?.bytes ?? []
            let headFamilies = head?.families ?? []
            #expect(Array(rendered.bytes.prefix(headBytes.count)) == headBytes, "\(format): the big family first")
            #expect(rendered.families.count == headFamilies.count + expected.count)
            var start = headBytes.count
            for (family, (name, lines)) in zip(rendered.families.dropFirst(headFamilies.count), expected) {
                #expect(family.name == name)
                #expect(family.range == start..<start + lines.utf8.count, "\(name)'s range")
                #expect(Array(rendered.bytes[family.range]) == Array(lines.utf8), "\(name)'s lines")
                start += lines.utf8.count
            }
            #expect(start == rendered.bytes.count)
        }
    }

}
