import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Resident memory, open files and threads of a process, read from `/proc/PID`.
struct ProcessStats: Sendable {
    /// `VmRSS`, kB.
    var residentKilobytes: Int
    /// Entries of `/proc/PID/fd`.
    var openFiles: Int
    /// `Threads`.
    var threads: Int
    /// User plus system CPU time so far, seconds (`/proc/PID/stat` utime + stime).
    var cpuSeconds: Double

    /// Reads the figures of `pid`; nil once the process is gone.
    static func read(pid: Int32) -> ProcessStats? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let files = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        else { return nil }
        func field(_ name: String) -> Int? {
            for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
                return line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap {
                    Int($0)
                }
            }
            return nil
        }
        guard let rss = field("VmRSS"), let threads = field("Threads") else { return nil }
        return ProcessStats(
            residentKilobytes: rss,
            openFiles: files.count,
            threads: threads,
            cpuSeconds: cpuSeconds(pid: pid)
        )
    }

    /// utime + stime of `pid` in seconds (0 when unreadable).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after "comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / (ticks > 0 ? ticks : 100)
    }

    /// The 1-minute load average of the machine (other builds share the cores).
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }
}
