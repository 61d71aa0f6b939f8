import CrowsnestCore
import Foundation

extension HealthPage {
    /// The overview's remote-write section: one row per destination with its state, samples sent, failed, retried,
    /// dropped and pending, the newest sample delivered, the buffer and the last error.
    static func remoteWrite(_ html: inout HTMLText, _ reports: [RemoteWriteReport], now: Double) {
        guard !reports.isEmpty else { return }
        html.raw("<h2>Remote write</h2>\n<table id=\"remote-write\">\n<thead><tr><th>Destination</th><th>Status</th>")
        html.raw("<th>Sent</th><th>Failed</th><th>Retried</th><th>Dropped</th><th>Pending</th>")
        html.raw("<th>Newest sent</th><th>Buffer</th><th>Last error</th></tr></thead>\n<tbody>\n")
        for report in reports {
            let stats = report.stats
            html.raw("<tr><td>")
            html.text(report.name, limit: overviewTextLimit)
            html.raw("<br><small>")
            html.text(report.url, limit: overviewTextLimit)
            html.raw("</small></td><td>")
            let shown = report.status == "failing" ? "down" : report.status == "idle" ? "config" : report.status
            html.raw(
                "<span class=\"badge \(statusClass(shown))\">\(report.status)</span></td><td>\(grouped(stats.sent))</td><td>\(grouped(stats.failed))</td>"
            )
            html.raw("<td>\(grouped(stats.retried))</td><td>\(grouped(stats.dropped))</td>")
            html.raw("<td>\(grouped(stats.pending))</td><td>")
            if stats.highestSentTimestamp > 0 {
                html.raw(age(max(0, now - Double(stats.highestSentTimestamp) / 1000)) + " ago")
            } else {
                html.raw("—")
            }
            html.raw("</td><td>")
            if report.buffer.configured {
                html.raw(grouped(stats.bufferBytes) + " bytes")
                if stats.corruptRecords > 0 { html.raw(" · \(stats.corruptRecords) corrupted records skipped") }
                if let problem = report.buffer.problem {
                    html.raw("<br>")
                    html.text(problem, limit: overviewTextLimit)
                }
            } else {
                html.raw("memory only")
            }
            html.raw("</td><td>")
            if let error = stats.lastError {
                html.text(error.message, limit: overviewTextLimit)
                html.raw(" <small>(" + age(max(0, now - error.at.timeIntervalSince1970)) + " ago)</small>")
            }
            html.raw("</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n")
    }
}
