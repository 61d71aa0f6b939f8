/// The `process_*` figures Prometheus client libraries export, parsed from Linux's `/proc` text (no I/O here).
///
/// Names and meanings follow client_golang's process collector, so dashboards built for any Prometheus-instrumented
/// program work: CPU seconds, resident and virtual memory, open and maximum file descriptors, start time.
public struct ProcessStat: Sendable, Hashable {
    /// User plus system CPU time, seconds.
    public var cpuSeconds: Double
    /// Resident memory, bytes.
    public var residentBytes: Double
    /// Virtual memory, bytes.
    public var virtualBytes: Double
    /// Start time, seconds since the epoch.
    public var startTimeSeconds: Double

    /// Parses `/proc/self/stat`, or nil when the text is not a stat line.
    ///
    /// Takes the boot time from `/proc/stat` (`btime`), the clock tick rate and the page size. The command name
    /// (field 2) may hold spaces and parentheses, so fields are counted from the last `)`.
    public init?(stat: String, bootTime: Double, ticksPerSecond: Double, pageSize: Double) {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        // Fields from 3 (state) on; field N is at index N - 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? {
            let index = number - 3
            return fields.indices.contains(index) ? Double(fields[index]) : nil
        }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
            let rss = field(24)
        else { return nil }
        cpuSeconds = (utime + stime) / ticksPerSecond
        residentBytes = rss * pageSize
        virtualBytes = vsize
        startTimeSeconds = bootTime + start / ticksPerSecond
    }

    /// The `btime` line of `/proc/stat`: boot time in seconds since the epoch.
    public static func bootTime(procStat: String) -> Double? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingSpaces())
        }
        return nil
    }

    /// The soft limit of "Max open files" in `/proc/self/limits`; nil when missing or unlimited.
    public static func maxOpenFiles(limits: String) -> Double? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max open files") {
            let words = line.dropFirst("Max open files".count).split(separator: " ")
            return words.first.flatMap { Double($0) }
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
