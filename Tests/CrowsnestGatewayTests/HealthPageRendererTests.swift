import CrowsnestGateway
import Foundation
import Testing

/// The health page renderer on hand-built reports: every cluster state, the summary, escaping and truncation.
@Suite("Health page renderer")
struct HealthPageRendererTests {
    static let now = 1_800_000_000.0

    static func check(
        reachable: Bool = true,
        status: Int? = 200,
        latency: Double? = 3.2,
        error: String? = nil
    ) -> ClusterReport.APIServerCheck {
        ClusterReport.APIServerCheck(
            reachable: reachable,
            httpStatus: status,
            latencyMilliseconds: latency,
            checkedAtTime: now - 4,
            error: error
        )
    }

    static let healthy = ClusterReport(
        name: "prod-eu",
        file: "/etc/crowsnest/clusters.d/prod-eu.yaml",
        status: "ok",
        discovery: "watching",
        lastDiscoveryEventTime: now - 12,
        credentialKind: "bearer_token_file",
        credentialExpiresTime: now + 3 * 3_600 + 120,
        caExpiresTime: now + 400 * 86_400,
        insecureSkipVerify: false,
        auth: "ok",
        apiServer: check(),
        targetsUp: 3,
        targetsTotal: 3,
        series: 12_345,
        targets: [
            ClusterReport.Target(
                namespace: "shop",
                pod: "web-0",
                port: "9102",
                labels: ["app": "web", "cluster": "prod-eu"],
                up: true,
                lastScrapeTime: now - 7,
                durationSeconds: 0.0123,
                samples: 345
            ),
            ClusterReport.Target(
                namespace: "shop",
                pod: "web-1",
                port: "metrics",
                up: false,
                lastScrapeTime: now - 3,
                durationSeconds: 0.8,
                samples: 0,
                error: "pod answered HTTP 500"
            ),
            ClusterReport.Target(namespace: "shop", pod: "web-2", port: "9102"),
        ],
        refusedPods: [
            ClusterReport.Refused(namespace: "shop", pod: "odd-0", reason: "metrics path \"/x?y\" is not a plain path")
        ]
    )

    static let apiServerDown = ClusterReport(
        name: "lab",
        file: "/etc/crowsnest/clusters.d/lab.yaml",
        status: "down",
        discovery: "failing",
        discoveryError: "cannot connect to https://10.0.0.1:6443: connection refused",
        credentialKind: "bearer_token_file",
        auth: "unknown",
        apiServer: check(
            reachable: false,
            status: nil,
            latency: nil,
            error: "API server unreachable: connection refused"
        ),
        lastError: "cannot connect to https://10.0.0.1:6443: connection refused"
    )

    static let tokenRejected = ClusterReport(
        name: "staging",
        file: "/etc/crowsnest/clusters.d/staging.yaml",
        status: "down",
        discovery: "failing",
        discoveryError: "the API server rejected the credential (HTTP 401)",
        credentialKind: "bearer_token_file",
        credentialExpiresTime: now - 600,
        auth: "rejected",
        apiServer: check(status: 401, latency: 2, error: "the API server rejects the credential (HTTP 401)"),
        lastError: "the API server rejected the credential (HTTP 401)"
    )

    static let rbacDenied = ClusterReport(
        name: "shared",
        file: "/etc/crowsnest/clusters.d/shared.yaml",
        status: "degraded",
        discovery: "failing",
        discoveryError: "forbidden: cannot list pods in namespace restricted (HTTP 403)",
        lastDiscoveryEventTime: now - 30,
        credentialKind: "exec",
        credentialExpiresTime: now + 300,
        caExpiresTime: now + 5 * 86_400,
        auth: "ok",
        apiServer: check(),
        targetsUp: 10,
        targetsTotal: 10,
        series: 2_000,
        lastError: "forbidden: cannot list pods in namespace restricted (HTTP 403)"
    )

    static let brokenFile = ClusterReport(
        name: "broken",
        file: "/etc/crowsnest/clusters.d/broken.yaml",
        status: "config error",
        configProblems: ["/etc/crowsnest/clusters.d/broken.yaml:3:1: api_server: required field is missing"],
        lastError: "/etc/crowsnest/clusters.d/broken.yaml:3:1: api_server: required field is missing"
    )

    static let all = [healthy, apiServerDown, tokenRejected, rbacDenied, brokenFile]

    /// The overview's row for `name`.
    static func row(_ html: String, _ name: String) -> String {
        guard let start = html.range(of: "data-cluster=\"\(name)\"") else { return "" }
        let rest = html[start.lowerBound...]
        return String(rest[..<(rest.range(of: "</tr>")?.lowerBound ?? rest.endIndex)])
    }

    @Test("the summary line counts the clusters per state, targets and series")
    func summary() {
        let html = HealthPage.overview(Self.all, now: Self.now)
        #expect(html.contains("4 of 5 clusters need attention."))
        #expect(html.contains("2 down, 1 config error, 1 degraded, 1 ok"))
        #expect(html.contains("targets 13 / 13 up · 14,345 series"))
        #expect(HealthPage.overview([Self.healthy], now: Self.now).contains("All 1 clusters ok."))
        #expect(HealthPage.overview([], now: Self.now).contains("No cluster files yet"))
    }

    @Test("rows come worst first and link to the cluster pages")
    func order() throws {
        let html = HealthPage.overview(Self.all, now: Self.now)
        let positions = try ["lab", "staging", "broken", "shared", "prod-eu"].map { name in
            try #require(html.range(of: "data-cluster=\"\(name)\"")).lowerBound
        }
        #expect(positions == positions.sorted())
        #expect(html.contains("<a href=\"/clusters/prod-eu\">prod-eu</a>"))
    }

    @Test("a healthy cluster: reachable with latency, auth ok with a countdown, CA expiry, watching, all targets up")
    func healthyRow() {
        let row = Self.row(HealthPage.overview(Self.all, now: Self.now), "prod-eu")
        #expect(row.contains("data-status=\"ok\""))
        #expect(row.contains("<span class=\"badge s-ok\">ok</span>"))
        #expect(row.contains("reachable</span>, 3.2 ms"))
        #expect(row.contains("checked 4s ago"))
        #expect(row.contains("expires in 3h 2m"))
        #expect(row.contains("expires in 400d 0h"))
        #expect(row.contains("watching</span><br><small>last event 12s ago"))
        #expect(row.contains("3 / 3"))
        #expect(row.contains("12,345"))
        #expect(row.contains(">none<"))
    }

    @Test("API server down: status down, unreachable, the connection error in plain words")
    func apiServerDownRow() {
        let row = Self.row(HealthPage.overview(Self.all, now: Self.now), "lab")
        #expect(row.contains("data-status=\"down\""))
        #expect(row.contains("unreachable"))
        #expect(row.contains("failing"))
        #expect(row.contains("last event never"))
        #expect(row.contains("cannot connect to https://10.0.0.1:6443: connection refused"))
    }

    @Test("token rejected: auth rejected, HTTP 401 from the check, the expired credential")
    func tokenRejectedRow() {
        let row = Self.row(HealthPage.overview(Self.all, now: Self.now), "staging")
        #expect(row.contains("data-status=\"down\""))
        #expect(row.contains("<span class=\"bad\">rejected</span>"))
        #expect(row.contains("(HTTP 401)"))
        #expect(row.contains("expired 10m 0s ago"))
        #expect(row.contains("the API server rejected the credential (HTTP 401)"))
    }

    @Test(
        "RBAC denied on one namespace: degraded, the forbidden namespace named; short credential and CA countdowns warn"
    )
    func rbacDeniedRow() {
        let row = Self.row(HealthPage.overview(Self.all, now: Self.now), "shared")
        #expect(row.contains("data-status=\"degraded\""))
        #expect(row.contains("forbidden: cannot list pods in namespace restricted (HTTP 403)"))
        #expect(row.contains("<span class=\"warn\" title=\"2027-01-15T08:05:00Z\">expires in 5m 0s</span>"))
        #expect(row.contains("class=\"warn\" title=\"2027-01-20T08:00:00Z\">expires in 5d 0h"))
    }

    @Test("a broken file: config error with file, line and reason")
    func brokenFileRow() {
        let row = Self.row(HealthPage.overview(Self.all, now: Self.now), "broken")
        #expect(row.contains("data-status=\"config error\""))
        #expect(row.contains("<span class=\"badge s-config\">config error</span>"))
        #expect(row.contains("<small class=\"path\">/etc/crowsnest/clusters.d/broken.yaml</small>"))
        #expect(
            row.contains(
                "<li class=\"err\">/etc/crowsnest/clusters.d/broken.yaml:3:1: api_server: required field is missing</li>"
            )
        )
        #expect(
            Self.row(HealthPage.overview(Self.all, now: Self.now), "broken").components(separatedBy: "required field")
                .count == 2
        )
    }

    @Test(
        "a cluster's page: every target with labels, health, last scrape, duration, samples, error, raw link; refused pods"
    )
    func clusterPage() {
        let html = HealthPage.cluster(Self.healthy, now: Self.now)
        #expect(html.contains("<h1>Cluster prod-eu</h1>"))
        #expect(html.contains("<h2>Targets (3)</h2>"))
        #expect(
            html.contains(
                "<a href=\"/clusters/prod-eu/targets/shop/web-0/9102\" title=\"last raw scrape\">shop/web-0:9102</a>"
            )
        )
        #expect(html.contains("<span class=\"badge s-ok\">up</span>"))
        #expect(html.contains("<span class=\"badge s-down\">down</span>"))
        #expect(html.contains("<span class=\"badge s-pending\">pending</span>"))
        #expect(html.contains("<span title=\"2027-01-15T07:59:53Z\">7s ago</span>"))
        #expect(html.contains("12 ms"))
        #expect(html.contains("800 ms"))
        #expect(html.contains("345"))
        #expect(html.contains("<code>app=&quot;web&quot;</code> <code>cluster=&quot;prod-eu&quot;</code>"))
        #expect(html.contains("pod answered HTTP 500"))
        #expect(html.contains("<h2>Refused pods (1)</h2>"))
        #expect(html.contains("metrics path &quot;/x?y&quot; is not a plain path"))
        // Down targets first.
        let down = html.range(of: "web-1")!.lowerBound
        let up = html.range(of: "web-0:9102")!.lowerBound
        #expect(down < up)
    }

    @Test("?refresh adds a meta refresh; without it there is none; no scripts and no external assets")
    func refreshAndSelfContained() {
        let refreshing = HealthPage.overview(Self.all, now: Self.now, refreshSeconds: 10)
        #expect(refreshing.contains("<meta http-equiv=\"refresh\" content=\"10\">"))
        let plain = HealthPage.overview(Self.all, now: Self.now)
        #expect(!plain.contains("http-equiv"))
        for html in [plain, HealthPage.cluster(Self.healthy, now: Self.now)] {
            #expect(!html.lowercased().contains("<script"))
            #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("url("))
            #expect(html.contains("<meta name=\"viewport\""))
        }
    }

    // MARK: - Hostile input

    static let hostile = "<script>alert(\"x\")</script>' onmouseover='alert(1)\nsecond line"

    @Test("markup, quotes and newlines in every text field render as text", arguments: [false, true])
    func escaping(detail: Bool) {
        let report = ClusterReport(
            name: Self.hostile,
            file: Self.hostile,
            status: "degraded",
            configProblems: [Self.hostile],
            discovery: "watching",
            credentialKind: Self.hostile,
            auth: Self.hostile,
            targetsUp: 0,
            targetsTotal: 1,
            lastError: Self.hostile + " (last)",
            targets: [
                ClusterReport.Target(
                    namespace: Self.hostile,
                    pod: Self.hostile,
                    port: Self.hostile,
                    labels: [Self.hostile: Self.hostile],
                    up: false,
                    error: Self.hostile
                )
            ],
            refusedPods: [
                ClusterReport.Refused(
                    namespace: "shop",
                    pod: "evil",
                    reason: "unsafe prometheus.io/path " + Self.hostile
                )
            ]
        )
        let html = detail ? HealthPage.cluster(report, now: Self.now) : HealthPage.overview([report], now: Self.now)
        #expect(!html.contains("<script"))
        #expect(!html.contains("' onmouseover"))
        #expect(!html.contains("\"x\""))
        #expect(
            html.contains(
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;alert(1)\nsecond line"
            )
        )
        if detail {
            #expect(html.contains("unsafe prometheus.io/path &lt;script&gt;"))
            // Links carry percent-encoded segments.
            #expect(
                html.contains(
                    "/clusters/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%27%20onmouseover%3D%27alert%281%29%0Asecond%20line/targets/"
                )
            )
        }
    }

    @Test("100 KB of text is cut with a note; control, invalid UTF-8 and bidi characters become U+FFFD")
    func truncationAndOddCharacters() {
        let huge = String(repeating: "<b>x</b>", count: 12_800)  // 102,400 bytes
        var report = Self.rbacDenied
        report.lastError = huge
        let overview = HealthPage.overview([report], now: Self.now)
        #expect(overview.utf8.count < 20_000)
        #expect(overview.contains("… [102100 more bytes cut]"))
        #expect(!overview.contains("<b>"))
        let page = HealthPage.cluster(report, now: Self.now)
        #expect(page.utf8.count < 40_000)
        #expect(page.contains("more bytes cut]"))

        let invalid = String(decoding: [0x61, 0xFF, 0xFE, 0x3C, 0x62, 0xC3] as [UInt8], as: UTF8.self)
        report.lastError = invalid + "\u{0}\u{1B}[31m\u{202E}evil"
        let odd = HealthPage.overview([report], now: Self.now)
        #expect(odd.contains("a\u{FFFD}\u{FFFD}&lt;b\u{FFFD}\u{FFFD}\u{FFFD}[31m\u{FFFD}evil"))
        #expect(!odd.unicodeScalars.contains { $0.value == 0 || $0.value == 0x1B || $0.value == 0x202E })
    }

    @Test("ISO times without a formatter match ISO8601DateFormatter")
    func isoTimes() {
        let formatter = ISO8601DateFormatter()
        for seconds in [0.0, 951_782_400, 1_709_164_800.5, Self.now, 4_102_444_799, -86_401] {
            #expect(
                ClusterReport.iso(seconds)
                    == formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
            )
        }
    }

    @Test("the JSON keys stay those documented in docs/api.md")
    func jsonKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let object = try JSONSerialization.jsonObject(with: encoder.encode(Self.healthy)) as! [String: Any]
        #expect(
            Set(object.keys) == [
                "name", "file", "status", "configProblems", "runningLastGoodVersion", "discovery", "lastDiscoveryEvent",
                "credentialKind", "credentialExpiresAt", "caExpiresAt", "insecureSkipVerify", "auth", "apiServer",
                "targetsUp",
                "targetsTotal", "duplicateTargets", "series", "targets", "refusedPods",
            ]
        )
        #expect(object["lastDiscoveryEvent"] as? String == "2027-01-15T07:59:48Z")
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(
            Set(target.keys) == [
                "role", "namespace", "pod", "port", "labels", "up", "lastScrape", "durationSeconds", "samples",
            ]
        )
        let check = try #require(object["apiServer"] as? [String: Any])
        #expect(Set(check.keys) == ["reachable", "httpStatus", "latencyMilliseconds", "checkedAt"])
    }
}
