import CrowsnestCore
import CrowsnestKube
import Foundation

/// Renders the health pages (`GET /` and `GET /clusters/{name}`) from plain ``ClusterReport`` values.
///
/// The renderer does no I/O and reads no clock: the caller passes `now` (seconds since the epoch), so the pages
/// are testable with hand-built reports and benchmarkable. Every text taken from a report is HTML-escaped,
/// stripped of control and bidirectional-override characters and truncated (``HTMLText``), so names, annotations,
/// label values and error texts cannot inject markup. The pages use no external assets and no JavaScript; they
/// read on a phone (one card per row below 760 px) and in a terminal browser (plain tables, words for states).
public enum HealthPage {
    /// Longest text shown for one field on the overview page, in Unicode scalars.
    public static let overviewTextLimit = 300
    /// Longest text shown for one field on a cluster's page, in Unicode scalars.
    public static let detailTextLimit = 2_000

    /// Statuses, worst first: the order of the overview.
    static let statusOrder = ["down", "config error", "degraded", "ok"]

    /// The overview page: a summary line and one row per cluster (broken files included), worst first.
    ///
    /// - Parameters:
    ///   - reports: one report per cluster or broken file.
    ///   - now: the current time, seconds since the epoch, for ages and countdowns.
    ///   - refreshSeconds: when set, the page reloads itself every so many seconds (meta refresh, no JavaScript).
    ///   - directoryProblems: why the cluster directory cannot be read, when it cannot (then the summary says so
    ///     instead of counting clusters that were never loaded).
    ///   - remoteWrite: the remote-write destinations, shown below the clusters.
    public static func overview(
        _ reports: [ClusterReport],
        now: Double,
        refreshSeconds: Int? = nil,
        directoryProblems: [String] = [],
        remoteWrite: [RemoteWriteReport] = []
    ) -> String {
        var html = HTMLText(capacity: 4_096 + reports.count * 1_500)
        let sorted = reports.sorted { a, b in
            let (ra, rb) = (rank(a.status), rank(b.status))
            return ra != rb ? ra < rb : a.name < b.name
        }
        head(&html, title: "Crowsnest — \(reports.count) clusters", refreshSeconds: refreshSeconds)
        html.raw("<h1>Crowsnest clusters</h1>\n")
        summary(&html, reports, now: now, directoryProblems: directoryProblems)
        html.raw("<table id=\"clusters\">\n<thead><tr><th>Cluster</th><th>Status</th><th>API server</th><th>Auth</th>")
        html.raw(
            "<th>CA</th><th>Discovery</th><th>Targets up</th><th>Series</th><th>Last error</th></tr></thead>\n<tbody>\n"
        )
        for report in sorted { row(&html, report, now: now) }
        if reports.isEmpty {
            html.raw("<tr><td colspan=\"9\">No cluster files yet: add one to the cluster directory.</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n")
        Self.remoteWrite(&html, remoteWrite, now: now)
        footer(&html, now: now, refreshSeconds: refreshSeconds, path: "/")
        return html.string
    }

    /// One cluster's page: its facts, every target (down first) with labels, health, last scrape, duration,
    /// samples and error, a link to each target's last raw scrape, and the refused pods with their reasons.
    public static func cluster(_ report: ClusterReport, now: Double, refreshSeconds: Int? = nil) -> String {
        let targets = report.targets ?? []
        var html = HTMLText(capacity: 4_096 + targets.count * 700)
        let limit = detailTextLimit
        head(&html, title: "Crowsnest — \(report.name)", refreshSeconds: refreshSeconds)
        html.raw("<p><a href=\"/\">&larr; all clusters</a></p>\n<h1>Cluster ")
        html.text(report.name, limit: 200)
        html.raw("</h1>\n<dl class=\"facts\" id=\"facts\">\n")
        html.raw("<dt>Status</dt><dd>")
        statusBadge(&html, report.status)
        if report.runningLastGoodVersion { html.raw(" (the file is broken; its last good version runs)") }
        html.raw("</dd>\n<dt>File</dt><dd><code>")
        html.text(report.file, limit: limit)
        html.raw("</code></dd>\n<dt>API server</dt><dd>")
        apiServer(&html, report, now: now)
        html.raw("</dd>\n<dt>Auth</dt><dd>")
        auth(&html, report, now: now)
        html.raw("</dd>\n<dt>Permissions</dt><dd id=\"permissions\">")
        permissions(&html, report)
        html.raw("</dd>\n<dt>CA certificate</dt><dd>")
        certificateAuthority(&html, report, now: now)
        html.raw("</dd>\n<dt>Discovery</dt><dd>")
        discovery(&html, report, now: now)
        html.raw("</dd>\n<dt>Targets up</dt><dd>")
        targetCount(&html, report)
        html.raw("</dd>\n<dt>Series</dt><dd>")
        html.raw(grouped(report.series))
        html.raw("</dd>\n<dt>Scraping</dt><dd id=\"pace\">")
        pace(&html, report, detailed: true)
        html.raw("</dd>\n<dt>Last error</dt><dd>")
        lastError(&html, report, limit: limit)
        html.raw("</dd>\n</dl>\n")

        html.raw("<h2>Targets (")
        html.raw(grouped(targets.count))
        html.raw(")</h2>\n")
        if targets.isEmpty {
            html.raw("<p>No targets.</p>\n")
        } else {
            html.raw(
                "<table id=\"targets\">\n<thead><tr><th>Target</th><th>Health</th><th>Last scrape</th><th>Duration</th>"
            )
            html.raw("<th>Samples</th><th>Labels</th><th>Error</th></tr></thead>\n<tbody>\n")
            let ordered = targets.sorted { a, b in
                let (ra, rb) = (a.up == false ? 0 : a.up == nil ? 1 : 2, b.up == false ? 0 : b.up == nil ? 1 : 2)
                if ra != rb { return ra < rb }
                return (a.namespace, a.pod, a.port) < (b.namespace, b.pod, b.port)
            }
            let base = "/clusters/" + HTMLText.pathSegment(report.name) + "/targets/"
            for target in ordered { targetRow(&html, target, base: base, now: now) }
            html.raw("</tbody>\n</table>\n")
        }

        let refused = report.refusedPods ?? []
        html.raw("<h2>Refused pods (")
        html.raw(grouped(refused.count))
        html.raw(")</h2>\n")
        if report.duplicateTargets > 0 {
            html.raw("<p class=\"err\" id=\"duplicates\">")
            html.raw(grouped(report.duplicateTargets))
            html.raw(
                " discovered targets left out as duplicates: their labels equal another target's after relabeling, "
                    + "so each series is scraped once (see relabel_configs).</p>\n"
            )
        }
        if refused.isEmpty {
            html.raw("<p>None.</p>\n")
        } else {
            html.raw(
                "<table id=\"refused\">\n<thead><tr><th>Namespace</th><th>Pod</th><th>Reason</th></tr></thead>\n<tbody>\n"
            )
            for pod in refused.sorted(by: { ($0.namespace, $0.pod) < ($1.namespace, $1.pod) }) {
                html.raw("<tr><td data-label=\"Namespace\">")
                html.text(pod.namespace, limit: 300)
                html.raw("</td><td data-label=\"Pod\">")
                html.text(pod.pod, limit: 300)
                html.raw("</td><td data-label=\"Reason\" class=\"err\">")
                html.text(pod.reason, limit: limit)
                html.raw("</td></tr>\n")
            }
            html.raw("</tbody>\n</table>\n")
        }
        footer(&html, now: now, refreshSeconds: refreshSeconds, path: "/clusters/" + HTMLText.pathSegment(report.name))
        return html.string
    }

    /// The page for an unknown cluster name.
    public static func notFound(name: String) -> String {
        var html = HTMLText(capacity: 1_024)
        head(&html, title: "Crowsnest — no such cluster", refreshSeconds: nil)
        html.raw("<p><a href=\"/\">&larr; all clusters</a></p>\n<h1>No cluster named ")
        html.text(name, limit: 200)
        html.raw("</h1>\n</body>\n</html>\n")
        return html.string
    }

    // MARK: - Parts

    static func rank(_ status: String) -> Int { statusOrder.firstIndex(of: status) ?? statusOrder.count }

    static func head(_ html: inout HTMLText, title: String, refreshSeconds: Int?) {
        html.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        if let refreshSeconds { html.raw("<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">\n") }
        html.raw("<title>")
        html.text(title, limit: 250)
        html.raw("</title>\n<style>\n")
        html.raw(style)
        html.raw("</style>\n</head>\n<body>\n")
    }

    static func footer(_ html: inout HTMLText, now: Double, refreshSeconds: Int?, path: String) {
        html.raw("<p class=\"foot\">Generated ")
        html.raw(ClusterReport.iso(now))
        if let refreshSeconds {
            html.raw(" · refreshing every \(refreshSeconds) s · <a href=\"\(path)\">stop refreshing</a>")
        } else {
            html.raw(" · <a href=\"\(path)?refresh=10\">refresh every 10 s</a>")
        }
        html.raw(" · <a href=\"/api/v1/clusters\">JSON</a> · <a href=\"/metrics\">/metrics</a></p>\n</body>\n</html>\n")
    }

    static func summary(
        _ html: inout HTMLText,
        _ reports: [ClusterReport],
        now: Double,
        directoryProblems: [String] = []
    ) {
        for problem in directoryProblems {
            html.raw("<p class=\"summary s-bad\" id=\"directory-problem\"><strong>")
            html.text(problem, limit: overviewTextLimit)
            html.raw(
                "</strong> Clusters already running keep running; the directory is read again every few seconds "
                    + "and picked up when it appears.</p>\n"
            )
        }
        var counts: [String: Int] = [:]
        var up = 0
        var total = 0
        var series = 0
        for report in reports {
            counts[report.status, default: 0] += 1
            up += report.targetsUp
            total += report.targetsTotal
            series += report.series
        }
        let healthy = counts["ok", default: 0] == reports.count && directoryProblems.isEmpty && !reports.isEmpty
        html.raw("<p class=\"summary ")
        html.raw(healthy ? "s-ok" : "s-bad")
        html.raw("\" id=\"summary\"><strong>")
        html.raw(
            healthy
                ? "All \(reports.count) clusters ok."
                : reports.isEmpty
                    ? "No cluster is monitored."
                    : "\(reports.count - counts["ok", default: 0]) of \(reports.count) clusters need attention."
        )
        html.raw("</strong> ")
        html.raw(statusOrder.map { "\(counts[$0, default: 0]) \($0)" }.joined(separator: ", "))
        html.raw(" · targets ")
        html.raw(grouped(up))
        html.raw(" / ")
        html.raw(grouped(total))
        html.raw(" up · ")
        html.raw(grouped(series))
        html.raw(" series</p>\n")
    }

    static func row(_ html: inout HTMLText, _ report: ClusterReport, now: Double) {
        let limit = overviewTextLimit
        html.raw("<tr class=\"")
        html.raw(statusClass(report.status))
        html.raw("\" data-cluster=\"")
        html.text(report.name, limit: 200)
        html.raw("\" data-status=\"")
        html.text(report.status, limit: 40)
        html.raw("\"><td data-label=\"Cluster\"><a href=\"/clusters/")
        html.text(HTMLText.pathSegment(report.name), limit: 1_000)
        html.raw("\">")
        html.text(report.name, limit: 200)
        html.raw("</a><br><small class=\"path\">")
        html.text(report.file, limit: limit)
        html.raw("</small></td><td data-label=\"Status\">")
        statusBadge(&html, report.status)
        if report.runningLastGoodVersion { html.raw("<br><small>file broken, last good version runs</small>") }
        html.raw("</td><td data-label=\"API server\">")
        apiServer(&html, report, now: now)
        html.raw("</td><td data-label=\"Auth\">")
        auth(&html, report, now: now)
        html.raw("</td><td data-label=\"CA\">")
        certificateAuthority(&html, report, now: now)
        html.raw("</td><td data-label=\"Discovery\">")
        discovery(&html, report, now: now)
        html.raw("</td><td data-label=\"Targets up\">")
        targetCount(&html, report)
        pace(&html, report, detailed: false)
        html.raw("</td><td data-label=\"Series\">")
        html.raw(grouped(report.series))
        html.raw("</td><td data-label=\"Last error\">")
        lastError(&html, report, limit: limit)
        html.raw("</td></tr>\n")
    }

    static func targetRow(_ html: inout HTMLText, _ target: ClusterReport.Target, base: String, now: Double) {
        html.raw("<tr class=\"")
        html.raw(target.up == false ? "s-down" : target.up == true ? "s-ok" : "s-pending")
        html.raw("\"><td data-label=\"Target\"><a href=\"")
        if target.role == TargetRole.node.rawValue {
            // `/clusters/NAME/nodes/NODE/cadvisor`: the kubelet endpoint by its `nodes:` key.
            let kubelet = KubeletPath.allCases.first { $0.path == target.port }?.rawValue ?? "kubelet"
            html.text(
                base.replacingOccurrences(of: "/targets/", with: "/nodes/") + HTMLText.pathSegment(target.pod) + "/"
                    + kubelet,
                limit: 4_000
            )
            html.raw("\" title=\"last raw scrape\">node/")
            html.text(target.pod, limit: 300)
            html.text(target.port, limit: 100)
        } else {
            html.text(
                base + HTMLText.pathSegment(target.namespace) + "/" + HTMLText.pathSegment(target.pod) + "/"
                    + HTMLText.pathSegment(target.port),
                limit: 4_000
            )
            html.raw("\" title=\"last raw scrape\">")
            html.text(target.namespace, limit: 300)
            html.raw("/")
            html.text(target.pod, limit: 300)
            html.raw(":")
            html.text(target.port, limit: 100)
        }
        html.raw("</a></td><td data-label=\"Health\">")
        switch target.up {
        case true?: html.raw("<span class=\"badge s-ok\">up</span>")
        case false?: html.raw("<span class=\"badge s-down\">down</span>")
        case nil: html.raw("<span class=\"badge s-pending\">pending</span>")
        }
        html.raw("</td><td data-label=\"Last scrape\">")
        if let time = target.lastScrapeTime {
            html.raw("<span title=\"")
            html.raw(ClusterReport.iso(time))
            html.raw("\">")
            html.raw(age(now - time))
            html.raw("</span>")
        } else {
            html.raw("never")
        }
        html.raw("</td><td data-label=\"Duration\">")
        if let duration = target.durationSeconds { html.raw(milliseconds(duration * 1000)) } else { html.raw("–") }
        html.raw("</td><td data-label=\"Samples\">")
        if let samples = target.samples { html.raw(grouped(samples)) } else { html.raw("–") }
        html.raw("</td><td data-label=\"Labels\" class=\"labels\">")
        var first = true
        for (name, value) in target.labels.sorted(by: { $0.key < $1.key }) {
            if !first { html.raw(" ") }
            first = false
            html.raw("<code>")
            html.text(name, limit: 200)
            html.raw("=&quot;")
            html.text(value, limit: 500)
            html.raw("&quot;</code>")
        }
        html.raw("</td><td data-label=\"Error\" class=\"err\">")
        if let error = target.error { html.text(error, limit: detailTextLimit) }
        html.raw("</td></tr>\n")
    }

    static func statusBadge(_ html: inout HTMLText, _ status: String) {
        html.raw("<span class=\"badge ")
        html.raw(statusClass(status))
        html.raw("\">")
        html.text(status, limit: 40)
        html.raw("</span>")
    }

    static func statusClass(_ status: String) -> String {
        switch status {
        case "ok": "s-ok"
        case "degraded": "s-warn"
        case "down": "s-down"
        default: "s-config"
        }
    }

    static func apiServer(_ html: inout HTMLText, _ report: ClusterReport, now: Double) {
        guard let check = report.apiServer else {
            html.raw(report.discovery == nil ? "–" : "not checked")
            return
        }
        if check.reachable {
            html.raw("<span class=\"good\">reachable</span>")
            if let latency = check.latencyMilliseconds { html.raw(", " + milliseconds(latency)) }
            if let status = check.httpStatus, !(200..<300).contains(status) {
                html.raw(" <span class=\"bad\">(HTTP \(status))</span>")
            }
        } else {
            html.raw("<span class=\"bad\">unreachable</span>")
        }
        html.raw("<br><small>checked ")
        html.raw(age(now - check.checkedAtTime))
        html.raw("</small>")
    }

    /// The RBAC self-check: every permission the file's roles need granted, or the missing ones in red.
    static func permissions(_ html: inout HTMLText, _ report: ClusterReport) {
        guard let missing = report.apiServer?.missingPermissions else {
            html.raw(report.discovery == nil ? "–" : "not checked")
            return
        }
        if missing.isEmpty {
            html.raw("<span class=\"good\">all granted</span>")
            return
        }
        html.raw("<span class=\"bad\">missing: ")
        html.text(missing.joined(separator: ", "), limit: 2_000)
        html.raw("</span><br><small>see crowsnest rbac --help</small>")
    }

    static func auth(_ html: inout HTMLText, _ report: ClusterReport, now: Double) {
        guard let state = report.auth ?? report.credentialKind else {
            html.raw("–")
            return
        }
        let good = state == "ok"
        html.raw(good ? "<span class=\"good\">" : state == "unknown" ? "<span>" : "<span class=\"bad\">")
        html.text(state, limit: 40)
        html.raw("</span>")
        if let kind = report.credentialKind {
            html.raw(" <small>(")
            html.text(kind, limit: 60)
            html.raw(")</small>")
        }
        if let identity = report.credentialIdentity {
            html.raw("<br><small>")
            html.text(identity, limit: 120)
            html.raw("</small>")
        }
        if let expires = report.credentialExpiresTime {
            let left = expires - now
            html.raw("<br><span class=\"")
            html.raw(left <= 0 ? "bad" : left < 600 ? "warn" : "")
            html.raw("\" title=\"")
            html.raw(ClusterReport.iso(expires))
            html.raw("\">")
            html.raw(left <= 0 ? "expired " + age(-left) : "expires in " + span(left))
            html.raw("</span>")
        }
    }

    static func certificateAuthority(_ html: inout HTMLText, _ report: ClusterReport, now: Double) {
        if report.insecureSkipVerify == true {
            html.raw("<span class=\"bad\">verification off</span>")
            return
        }
        guard let expires = report.caExpiresTime else {
            html.raw(report.discovery == nil ? "–" : "system trust")
            return
        }
        let left = expires - now
        html.raw("<span class=\"")
        html.raw(left <= 0 ? "bad" : left < 30 * 86_400 ? "warn" : "")
        html.raw("\" title=\"")
        html.raw(ClusterReport.iso(expires))
        html.raw("\">")
        html.raw(left <= 0 ? "expired " + age(-left) : "expires in " + span(left))
        html.raw("</span>")
    }

    static func discovery(_ html: inout HTMLText, _ report: ClusterReport, now: Double) {
        guard let state = report.discovery else {
            html.raw("–")
            return
        }
        html.raw(state == "failing" ? "<span class=\"bad\">" : state == "watching" ? "<span class=\"good\">" : "<span>")
        html.text(state, limit: 40)
        html.raw("</span>")
        html.raw("<br><small>last event ")
        html.raw(report.lastDiscoveryEventTime.map { age(now - $0) } ?? "never")
        if report.discoveredObjects.count > 1 {
            // Only when more than pods are discovered: nodes, Services and EndpointSlices, as counted.
            for resource in DiscoveredResource.allCases {
                guard let count = report.discoveredObjects[resource.rawValue] else { continue }
                html.raw(" · ")
                html.raw(grouped(count))
                html.raw(" ")
                html.raw(resource.noun)
            }
        }
        html.raw("</small>")
    }

    static func targetCount(_ html: inout HTMLText, _ report: ClusterReport) {
        let all = report.targetsUp == report.targetsTotal
        html.raw(all ? "<span>" : "<span class=\"bad\">")
        html.raw(grouped(report.targetsUp))
        html.raw(" / ")
        html.raw(grouped(report.targetsTotal))
        html.raw("</span>")
    }

    /// How the scrapes keep up: on the cluster page always (limit, in flight, waiting, skipped); in the overview only
    /// while due scrapes wait for the concurrency limit, the one thing there that explains gaps in graphs.
    static func pace(_ html: inout HTMLText, _ report: ClusterReport, detailed: Bool) {
        guard let pace = report.pace else { return }
        if !detailed {
            guard pace.waiting > 0 else { return }
            html.raw("<br><small class=\"warn\">behind: ")
            html.raw(grouped(pace.waiting))
            html.raw(" due scrapes wait (limit ")
            html.raw(grouped(pace.concurrencyLimit))
            html.raw(")</small>")
            return
        }
        html.raw("concurrency limit ")
        html.raw(grouped(pace.concurrencyLimit))
        html.raw(" (adapts to the API server, at most ")
        html.raw(grouped(pace.concurrencyCeiling))
        html.raw("), ")
        html.raw(grouped(pace.inFlight))
        html.raw(" in flight")
        if pace.waiting > 0 {
            html.raw("; <span class=\"bad\">behind: ")
            html.raw(grouped(pace.waiting))
            html.raw(" due scrapes wait for a slot</span>")
            if pace.concurrencyLimit >= pace.concurrencyCeiling {
                html.raw(" (the limit is at max_concurrent_scrapes: raise it, or lengthen scrape.interval)")
            }
        }
        if pace.skippedScrapes > 0 {
            html.raw("; ")
            html.raw(grouped(pace.skippedScrapes))
            html.raw(" due scrapes skipped since the start")
        }
    }

    static func lastError(_ html: inout HTMLText, _ report: ClusterReport, limit: Int) {
        let problems = report.configProblems
        if !problems.isEmpty {
            html.raw("<ul class=\"problems\">")
            for problem in problems.prefix(20) {
                html.raw("<li class=\"err\">")
                html.text(problem, limit: limit)
                html.raw("</li>")
            }
            if problems.count > 20 { html.raw("<li>… and \(problems.count - 20) more</li>") }
            html.raw("</ul>")
            if report.lastError == nil || problems.contains(report.lastError ?? "") { return }
        }
        if let error = report.lastError {
            html.raw("<span class=\"err\">")
            html.text(error, limit: limit)
            html.raw("</span>")
        } else if problems.isEmpty {
            html.raw("none")
        }
    }

    // MARK: - Numbers and times

    /// `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        guard digits.utf8.count > 3 else { return value < 0 ? "-" + digits : digits }
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.utf8.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// `850 ms`, `2.4 s`.
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if value < 10 { return "\((value * 10).rounded() / 10) ms" }
        if value < 1_000 { return "\(Int(value.rounded())) ms" }
        return "\((value / 100).rounded() / 10) s"
    }

    /// `5s ago`, `3m ago`, `just now`.
    static func age(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "unknown" }
        if seconds < 1 { return "just now" }
        return span(seconds) + " ago"
    }

    /// `42s`, `5m 3s`, `2h 10m`, `3d 4h`.
    static func span(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e12 else { return "a long time" }
        let total = Int(seconds.magnitude.rounded(.down))
        let (days, hours, minutes, secs) = (total / 86_400, total / 3_600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(secs)s" }
        return "\(secs)s"
    }

    static let style = """
        body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1rem;color:#1b1f23;background:#fff}
        h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #d0d7de}
        th{background:#f6f8fa;font-weight:600}small{color:#57606a}code{font-size:.85em;word-break:break-all}
        td{overflow-wrap:break-word}.path{overflow-wrap:anywhere}.err{white-space:pre-wrap;color:#82071e}
        .badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-weight:600;white-space:nowrap}
        .badge.s-ok{background:#dafbe1;color:#116329}.badge.s-warn{background:#fff8c5;color:#7d4e00}
        .badge.s-down{background:#ffebe9;color:#a40e26}.badge.s-config{background:#fbefff;color:#6e40c9}
        .badge.s-pending{background:#eaeef2;color:#57606a}
        .good{color:#116329}.bad{color:#a40e26;font-weight:600}.warn{color:#7d4e00;font-weight:600}
        .summary{padding:.5rem .7rem;border-radius:.4rem}.summary.s-ok{background:#dafbe1}.summary.s-bad{background:#ffebe9}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}.facts dt{font-weight:600}.facts dd{margin:0}
        ul.problems{margin:0;padding-left:1.1rem}.foot{color:#57606a;font-size:.85rem;margin-top:1.5rem}
        @media (max-width:760px){thead{display:none}table,tbody,tr,td{display:block;width:auto}
        tr{border:1px solid #d0d7de;border-radius:.4rem;margin:0 0 .7rem;padding:.3rem}td{border:0;padding:.15rem .3rem}
        td::before{content:attr(data-label) ": ";font-weight:600;color:#57606a}}

        """
}

/// An HTML document under construction: raw markup plus escaped, cleaned and truncated text.
public struct HTMLText: Sendable {
    private var bytes: [UInt8]

    /// Creates an empty document with room for `capacity` bytes.
    public init(capacity: Int = 1_024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The document.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends markup as is (only for literals and values the renderer made itself).
    mutating func raw(_ markup: String) {
        bytes.append(contentsOf: markup.utf8)
    }

    /// Appends `text` escaped for element content and quoted attribute values: `& < > " '` become entities;
    /// control characters (except newline and tab), bidirectional overrides and U+FFFD-worthy scalars become
    /// U+FFFD; after `limit` Unicode scalars the rest is cut and `… [N more bytes]` is shown.
    public mutating func text(_ text: String, limit: Int) {
        var count = 0
        var consumed = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                let remaining = text.utf8.count - consumed
                bytes.append(contentsOf: " … [\(remaining) more bytes cut]".utf8)
                return
            }
            count += 1
            consumed += UTF8.width(scalar)
            switch scalar.value {
            case 0x26: bytes.append(contentsOf: "&amp;".utf8)
            case 0x3C: bytes.append(contentsOf: "&lt;".utf8)
            case 0x3E: bytes.append(contentsOf: "&gt;".utf8)
            case 0x22: bytes.append(contentsOf: "&quot;".utf8)
            case 0x27: bytes.append(contentsOf: "&#39;".utf8)
            case 0x0A, 0x09: bytes.append(UInt8(scalar.value))
            case 0x0D: bytes.append(0x0A)
            case 0x20..<0x7F: bytes.append(UInt8(scalar.value))
            case 0..<0x20, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
            default:
                UTF8.encode(scalar) { bytes.append($0) }
            }
        }
    }

    /// Percent-encodes one URL path segment (everything but unreserved characters).
    public static func pathSegment(_ segment: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(segment.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
