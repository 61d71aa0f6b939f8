import Foundation
import Testing

/// The health page in a real browser: `crowsnest demo` (the built binary) with headless Chromium dumping the DOM
/// and taking screenshots. Needs Debian's `chromium` package (`.ci/run` installs it).
@Suite("Health page in a real browser", .serialized)
struct HealthPageBrowserTests {
    static let chromium = ProcessInfo.processInfo.environment["CHROMIUM"] ?? "/usr/bin/chromium"

    /// Runs a program to completion, bounded by `timeout` seconds; returns status and standard output.
    static func run(_ path: String, _ arguments: [String], timeout: TimeInterval) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crowsnest-browser-\(UUID().uuidString)"
        )
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            Thread.sleep(forTimeInterval: 0.5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// Interrupts `process` (graceful shutdown), killing it after 10 seconds.
    static func stop(_ process: Process) {
        if process.isRunning {
            process.interrupt()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    static func chromiumArguments(_ profile: String) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile)",
        ]
    }

    /// The `<tr>` of `name` in a dumped DOM.
    static func row(_ dom: String, _ name: String) -> String { HealthPageRendererTests.row(dom, name) }

    @Test("crowsnest demo's health page in headless Chromium: every cluster with its state; markup shows as text")
    func demoInChromium() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            Issue.record(
                "headless Chromium not found at \(Self.chromium): install the Debian package `chromium` (apt-get install chromium)"
            )
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crowsnest-browser-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: work + "/demo", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let demo = Process()
        demo.executableURL = try CrowsnestBinary.url()
        demo.arguments = ["demo", "--dir", work + "/demo", "--listen", "127.0.0.1:0", "--series-per-pod", "20"]
        let demoOutput = work + "/demo.out"
        _ = FileManager.default.createFile(atPath: demoOutput, contents: nil)
        demo.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: demoOutput))
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer { Self.stop(demo) }

        // The demo prints `Gateway: http://127.0.0.1:PORT/metrics` once the gateway listens.
        var base: String?
        let started = ContinuousClock.now
        while base == nil && ContinuousClock.now - started < .seconds(60) && demo.isRunning {
            let text = (try? String(contentsOfFile: demoOutput, encoding: .utf8)) ?? ""
            if let match = text.firstMatch(of: /Gateway: (http:\/\/127\.0\.0\.1:\d+)\/metrics/) {
                base = String(match.1)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let url = try #require(
            base,
            "crowsnest demo did not report its gateway: \((try? String(contentsOfFile: demoOutput, encoding: .utf8)) ?? "")"
        )
        let clusters = try FileManager.default.contentsOfDirectory(atPath: work + "/demo/clusters.d")
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(clusters.count == 3)

        // A hostile cluster file: its error text carries markup.
        try "name: hostile\napi_server: \"https://<script>alert('boom')</script>\"\n"
            .write(toFile: work + "/demo/clusters.d/hostile.yaml", atomically: true, encoding: .utf8)

        // Headless Chromium renders the page (no JavaScript needed) until every cluster has left `starting`.
        var dom = ""
        var lastSummary = ""
        let profile = work + "/chromium-profile"
        while ContinuousClock.now - started < .seconds(120) {
            dom = try Self.run(Self.chromium, Self.chromiumArguments(profile) + ["--dump-dom", url + "/"], timeout: 60)
                .1
            let settled = clusters.allSatisfy { name in
                let row = Self.row(dom, name)
                return row.contains("data-status=\"ok\"")
                    || (row.contains("data-status=") && row.contains("last event") && !row.contains("starting"))
            }
            // Settled, and the first scrapes done: the summary line stops changing.
            let summary = dom.firstMatch(of: /id="summary">.*?<\/p>/).map { String($0.0) } ?? ""
            if settled && Self.row(dom, "hostile").contains("config error") && summary == lastSummary { break }
            lastSummary = summary
            try await Task.sleep(for: .seconds(2))
        }
        print("health page DOM (\(dom.utf8.count) bytes) from \(url)/")
        for name in clusters {
            let row = Self.row(dom, name)
            let state = row.firstMatch(of: /data-status="([^"]+)"/).map { String($0.1) }
            print("  \(name): \(state ?? "missing")")
            #expect(dom.contains(">\(name)</a>"), "cluster \(name) missing from the DOM")
            #expect(["ok", "degraded"].contains(state ?? ""), "cluster \(name) is \(state ?? "missing")")
            #expect(row.contains("class=\"badge s-") && row.contains(">\(state ?? "?")</span>"))
        }
        let hostile = Self.row(dom, "hostile")
        print("  hostile file row: \(hostile)")
        #expect(hostile.contains("data-status=\"config error\""))
        // Shown as text: the DOM holds the escaped characters and no script element at all.
        #expect(hostile.contains("&lt;script&gt;alert('boom')"))
        #expect(!dom.lowercased().contains("<script"))
        #expect(dom.contains("clusters need attention") || dom.contains("clusters ok"))

        // One cluster's page renders too.
        let detail = try Self.run(
            Self.chromium,
            Self.chromiumArguments(profile) + ["--dump-dom", url + "/clusters/" + clusters[0]],
            timeout: 60
        ).1
        #expect(detail.contains("<h1>Cluster \(clusters[0])</h1>"))
        #expect(detail.contains("id=\"targets\""))

        // Screenshots: desktop and phone widths.
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("crowsnest-health-page").path
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        for (name, size) in [("health-page.png", "1280,900"), ("health-page-phone.png", "390,844")] {
            let path = artifacts + "/" + name
            try? FileManager.default.removeItem(atPath: path)
            _ = try Self.run(
                Self.chromium,
                Self.chromiumArguments(profile) + [
                    "--hide-scrollbars", "--screenshot=\(path)", "--window-size=\(size)", url + "/",
                ],
                timeout: 60
            )
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(bytes > 1_000, "no screenshot at \(path)")
            print("health page screenshot (\(size)): \(path)")
        }
    }
}
