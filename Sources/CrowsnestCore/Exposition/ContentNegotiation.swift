/// Chooses the response format from an HTTP `Accept` header, and builds the header a scraper sends.
public enum ContentNegotiation {
    /// The `Accept` header Crowsnest sends when scraping: OpenMetrics first, then text, as Prometheus does.
    public static let scrapeAcceptHeader =
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
        + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

    /// The format to answer a request with `accept` in: the acceptable media range with the highest `q`
    /// (ties go to the earlier one); OpenMetrics only for `application/openmetrics-text` with version 1.0.0,
    /// 0.0.1 or none; text for `text/plain` (version 0.0.4 or none), `*/*`, `text/*`, a missing header or
    /// anything unrecognised.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .text }
        var best: (format: ExpositionFormat, quality: Double)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces() }
            guard let mediaType = parts.first?.lowercased() else { continue }
            var quality = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "q": quality = Double(pair[1]) ?? 0
                case "version": version = pair[1]
                default: break
                }
            }
            guard quality > 0 else { continue }
            let format: ExpositionFormat?
            switch mediaType {
            case "application/openmetrics-text":
                format = (version == nil || version == "1.0.0" || version == "0.0.1") ? .openMetrics : nil
            case "text/plain":
                format = (version == nil || version == "0.0.4") ? .text : nil
            case "*/*", "text/*":
                format = .text
            default:
                format = nil
            }
            if let format, quality > (best?.quality ?? -1) { best = (format, quality) }
        }
        return best?.format ?? .text
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
