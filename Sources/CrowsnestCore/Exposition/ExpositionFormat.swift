/// The two exposition formats Crowsnest reads and writes.
public enum ExpositionFormat: String, Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0 text format.
    case openMetrics = "openmetrics"

    /// The `Content-Type` a response in this format carries.
    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format a response with this `Content-Type` header is in (text when unknown, like Prometheus).
    public static func fromContentType(_ contentType: String?) -> ExpositionFormat {
        guard let contentType else { return .text }
        return contentType.lowercased().hasPrefix("application/openmetrics-text") ? .openMetrics : .text
    }

    /// Guesses the format of a payload: OpenMetrics when it ends with `# EOF`, text otherwise.
    public static func detect(_ bytes: some Collection<UInt8>) -> ExpositionFormat {
        var tail = Array(bytes.suffix(8))
        while let last = tail.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { tail.removeLast() }
        return tail.suffix(5).elementsEqual("# EOF".utf8) ? .openMetrics : .text
    }
}

/// How tolerant the parser is.
public enum ParseMode: Sendable, Hashable {
    /// The exposition specs and Prometheus' strict parser (`promtool check metrics`): one group per family,
    /// no repeated or late metadata, valid histogram/summary shapes, no duplicate series.
    case strict
    /// As tolerant as Prometheus' scrape parsers: syntax is checked, grouping and shapes are not.
    case scrape
}

/// A metric family's type.
public enum MetricType: UInt8, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, gaugeHistogram, summary, info, stateSet, unknown

    /// The name used in a text-format `# TYPE` line.
    public var textName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .summary: "summary"
        case .gaugeHistogram, .info, .stateSet, .unknown: "untyped"
        }
    }

    /// The name used in an OpenMetrics `# TYPE` line.
    public var openMetricsName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .gaugeHistogram: "gaugehistogram"
        case .summary: "summary"
        case .info: "info"
        case .stateSet: "stateset"
        case .unknown: "unknown"
        }
    }

    /// Parses a `# TYPE` word in the given format; `nil` when the word is not a type of that format.
    public init?(word: some Collection<UInt8>, format: ExpositionFormat) {
        func equals(_ text: String) -> Bool { word.elementsEqual(text.utf8) }
        switch format {
        case .text:
            if equals("counter") {
                self = .counter
            } else if equals("gauge") {
                self = .gauge
            } else if equals("histogram") {
                self = .histogram
            } else if equals("summary") {
                self = .summary
            } else if equals("untyped") || equals("unknown") {
                self = .unknown
            } else {
                return nil
            }
        case .openMetrics:
            if equals("counter") {
                self = .counter
            } else if equals("gauge") {
                self = .gauge
            } else if equals("histogram") {
                self = .histogram
            } else if equals("gaugehistogram") {
                self = .gaugeHistogram
            } else if equals("summary") {
                self = .summary
            } else if equals("info") {
                self = .info
            } else if equals("stateset") {
                self = .stateSet
            } else if equals("unknown") {
                self = .unknown
            } else {
                return nil
            }
        }
    }

    /// Name suffixes a sample of this type may carry after the family name, in the given format.
    public func sampleSuffixes(in format: ExpositionFormat) -> [String] {
        switch (self, format) {
        case (.counter, .text): [""]
        case (.counter, .openMetrics): ["_total", "_created"]
        case (.gauge, _), (.unknown, _), (.stateSet, _): [""]
        case (.info, .openMetrics): ["_info"]
        case (.info, .text): [""]
        case (.summary, .text): ["", "_sum", "_count"]
        case (.summary, .openMetrics): ["", "_sum", "_count", "_created"]
        case (.histogram, .text): ["_bucket", "_sum", "_count"]
        case (.histogram, .openMetrics): ["_bucket", "_sum", "_count", "_created"]
        case (.gaugeHistogram, _): ["_bucket", "_gsum", "_gcount"]
        }
    }
}
