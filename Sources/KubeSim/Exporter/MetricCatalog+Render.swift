import NIOCore

/// The exposition formats a simulated exporter speaks.
public enum ExporterFormat: Sendable, Equatable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0.0 text.
    case openMetrics

    /// The `Content-Type` of a response in this format.
    public var contentType: String {
        switch self {
        case .text: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format a Prometheus-style `Accept` header asks for (OpenMetrics when it is listed with a weight at
    /// least that of the text format).
    public static func negotiate(accept: String?) -> ExporterFormat {
        guard let accept else { return .text }
        var openMetricsWeight = -1.0
        var textWeight = -1.0
        for part in accept.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: " ") }
            guard let type = fields.first?.lowercased() else { continue }
            var weight = 1.0
            for field in fields.dropFirst() where field.hasPrefix("q=") {
                weight = Double(field.dropFirst(2)) ?? 1
            }
            if type == "application/openmetrics-text" {
                openMetricsWeight = max(openMetricsWeight, weight)
            } else if type == "text/plain" || type == "*/*" {
                textWeight = max(textWeight, weight)
            }
        }
        return openMetricsWeight > 0 && openMetricsWeight >= textWeight ? .openMetrics : .text
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension MetricCatalog {
    /// Renders every series at `t` seconds into a buffer.
    func render(
        format: ExporterFormat,
        elapsed t: Double,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    )
        -> ByteBuffer
    {
        var counts = [Double](repeating: 0, count: groups.count)
        for (index, group) in groups.enumerated() {
            counts[index] = (group.base + group.rate * t).rounded(.down)
        }
        var buffer = allocator.buffer(capacity: seriesCount * 72 + families.count * 128)
        for family in families {
            buffer.writeBytes(format == .text ? family.textHeader : family.openMetricsHeader)
            for series in family.series {
                buffer.writeBytes(series.prefix)
                switch series.value {
                case .counter(let base, let rate, let integral):
                    let value = base + rate * t
                    if integral {
                        buffer.writeString(String(Int64(value)))
                    } else {
                        buffer.writeString(MetricCatalog.format((value * 100).rounded() / 100))
                    }
                case .gauge(let base, let amplitude, let period, let phase):
                    let value = base + amplitude * sin(2 * Double.pi * t / period + phase)
                    buffer.writeString(MetricCatalog.format((value * 1000).rounded() / 1000))
                case .constant(let value):
                    buffer.writeString(MetricCatalog.format(value))
                case .bucket(let group, let fraction):
                    buffer.writeString(String(Int64((counts[group] * fraction).rounded(.down))))
                case .groupSum(let group):
                    let sum = counts[group] * groups[group].mean
                    buffer.writeString(MetricCatalog.format((sum * 1000).rounded() / 1000))
                case .groupCount(let group):
                    buffer.writeString(String(Int64(counts[group])))
                case .quantile(let group, let factor):
                    let wobble = 1 + 0.1 * sin(t / 17 + Double(group))
                    let value = groups[group].mean * factor * wobble
                    buffer.writeString(MetricCatalog.format((value * 100_000).rounded() / 100_000))
                }
                buffer.writeInteger(UInt8(ascii: "\n"))
            }
        }
        if format == .openMetrics { buffer.writeStaticString("# EOF\n") }
        return buffer
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
