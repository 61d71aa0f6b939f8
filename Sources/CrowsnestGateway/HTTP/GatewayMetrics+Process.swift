import CrowsnestCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension GatewayMetrics {
    /// `crowsnest_build_info`, the reload gauges and the `process_*` families, read when `/-/metrics` is scraped.
    static func componentFamilies(reload: ReloadStatus?) -> [MetricFamily] {
        var families = [buildInfoFamily()]
        if let reload {
            families.append(
                gauge(OwnMetric.configLastReloadSuccessful, reload.successful ? 1 : 0)
            )
            families.append(
                gauge(
                    OwnMetric.configLastReloadSuccessTimestamp,
                    reload.lastSuccess?.timeIntervalSince1970 ?? 0
                )
            )
        }
        return families + processFamilies()
    }

    /// `crowsnest_build_info{revision,swift_version,version} 1`.
    static func buildInfoFamily() -> MetricFamily {
        let metric = OwnMetric.buildInfo
        let labels = BuildInfo.labels.map { Label($0.name, $0.value) }
        return MetricFamily(
            name: metric.name,
            type: .gauge,
            help: metric.help,
            samples: [Sample(name: metric.name, labels: labels, value: 1)]
        )
    }

    /// The `process_*` families from `/proc/self` (none where there is no `/proc`, e.g. macOS).
    static func processFamilies() -> [MetricFamily] {
        var families: [MetricFamily] = []
        #if os(Linux)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = read("/proc/self/stat"), let procStat = read("/proc/stat"),
            let boot = ProcessStat.bootTime(procStat: procStat),
            let process = ProcessStat(stat: stat, bootTime: boot, ticksPerSecond: ticks, pageSize: pageSize)
        {
            var cpu = gauge(OwnMetric.processCPU, process.cpuSeconds)
            cpu.type = .counter
            families += [
                cpu, gauge(OwnMetric.processResidentMemory, process.residentBytes),
                gauge(OwnMetric.processVirtualMemory, process.virtualBytes),
                gauge(OwnMetric.processStartTime, process.startTimeSeconds),
            ]
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The listing's own descriptor is in it, as in client_golang's count.
            families.append(gauge(OwnMetric.processOpenFDs, Double(descriptors.count)))
        }
        if let limits = read("/proc/self/limits"), let maximum = ProcessStat.maxOpenFiles(limits: limits) {
            families.append(gauge(OwnMetric.processMaxFDs, maximum))
        }
        #endif
        return families
    }

    private static func gauge(_ metric: OwnMetric, _ value: Double) -> MetricFamily {
        MetricFamily(
            name: metric.name,
            type: .gauge,
            help: metric.help,
            samples: [Sample(name: metric.name, value: value)]
        )
    }

    private static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}
