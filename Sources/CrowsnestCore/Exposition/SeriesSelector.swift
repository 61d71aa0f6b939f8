/// A Prometheus series selector as `/federate` takes in `match[]`: `name`, `{label="v"}`, `name{a!="b",c=~"re"}`.
///
/// Regexes are fully anchored, RE2 syntax (``PrometheusRegex``). A sample matches when every matcher does; a
/// missing label has the empty value, as in PromQL.
public struct SeriesSelector: Sendable {
    /// One label matcher.
    public struct Matcher: Sendable {
        /// The comparison.
        public enum Operation: String, Sendable { case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~" }
        /// The label name (`__name__` for the metric name).
        public var name: String
        /// The comparison.
        public var operation: Operation
        /// The value or pattern.
        public var value: String
        let regex: PrometheusRegex?

        /// Whether `candidate` satisfies the matcher.
        public func matches(_ candidate: String) -> Bool {
            switch operation {
            case .equal: candidate == value
            case .notEqual: candidate != value
            case .regex: regex!.matches(candidate)
            case .notRegex: !regex!.matches(candidate)
            }
        }
    }

    /// The matchers, the metric name first when given.
    public var matchers: [Matcher]

    /// Thrown for a selector that does not parse.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var reason: String
        /// The text shown in messages and logs.
        public var description: String { reason }
    }

    /// Parses a selector.
    public init(_ text: String) throws(ParseError) {
        var scalars = Substring(text).unicodeScalars[...]
        func skipSpaces() { while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() } }
        func identifier() -> String {
            var name = ""
            while let first = scalars.first,
                first.properties.isASCIIHexDigit || ("a"..."z").contains(first) || ("A"..."Z").contains(first)
                    || ("0"..."9").contains(first) || first == "_" || first == ":"
            {
                name.unicodeScalars.append(first)
                scalars.removeFirst()
            }
            return name
        }
        func quoted() throws(ParseError) -> String {
            guard let quote = scalars.first, quote == "\"" || quote == "'" || quote == "`" else {
                throw ParseError(reason: "expected a quoted label value")
            }
            scalars.removeFirst()
            var value = ""
            while let next = scalars.first {
                scalars.removeFirst()
                if next == quote { return value }
                if next == "\\" && quote != "`", let escaped = scalars.first {
                    scalars.removeFirst()
                    switch escaped {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    default: value.unicodeScalars.append(escaped)
                    }
                } else {
                    value.unicodeScalars.append(next)
                }
            }
            throw ParseError(reason: "unterminated quoted value")
        }
        matchers = []
        skipSpaces()
        let name = identifier()
        if !name.isEmpty { matchers.append(Matcher(name: "__name__", operation: .equal, value: name, regex: nil)) }
        skipSpaces()
        if scalars.first == "{" {
            scalars.removeFirst()
            while true {
                skipSpaces()
                if scalars.first == "}" {
                    scalars.removeFirst()
                    break
                }
                let label: String
                if scalars.first == "\"" { label = try quoted() } else { label = identifier() }
                guard !label.isEmpty else { throw ParseError(reason: "expected a label name") }
                skipSpaces()
                var operation = ""
                while let first = scalars.first, first == "=" || first == "!" || first == "~", operation.count < 2 {
                    operation.unicodeScalars.append(first)
                    scalars.removeFirst()
                }
                guard let op = Matcher.Operation(rawValue: operation) else {
                    throw ParseError(reason: "expected =, !=, =~ or !~ after \(label)")
                }
                skipSpaces()
                let value = try quoted()
                var regex: PrometheusRegex?
                if op == .regex || op == .notRegex {
                    do { regex = try PrometheusRegex(value) } catch {
                        throw ParseError(reason: "invalid regex for \(label): \(error)")
                    }
                }
                matchers.append(Matcher(name: label, operation: op, value: value, regex: regex))
                skipSpaces()
                if scalars.first == "," {
                    scalars.removeFirst()
                } else if scalars.first != "}" {
                    throw ParseError(reason: "expected , or }")
                }
            }
        }
        skipSpaces()
        guard scalars.isEmpty else { throw ParseError(reason: "unexpected text after the selector") }
        guard !matchers.isEmpty else { throw ParseError(reason: "empty selector") }
        // Like Prometheus: at least one matcher must not match the empty string.
        guard matchers.contains(where: { !$0.matches("") }) else {
            throw ParseError(reason: "selector must contain at least one matcher that does not match the empty value")
        }
    }

    /// Whether a sample with this name and labels is selected.
    public func matches(name: String, labels: [Label]) -> Bool {
        matchers.allSatisfy { matcher in
            matcher.matches(matcher.name == "__name__" ? name : labels.first { $0.name == matcher.name }?.value ?? "")
        }
    }

    /// Whether the selector constrains only the metric name (then whole families can be chosen without reading
    /// their lines).
    public var isNameOnly: Bool { matchers.allSatisfy { $0.name == "__name__" } }

    /// Whether a sample named `name` can match, judging by the name matchers alone.
    public func mayMatch(name: String) -> Bool {
        matchers.allSatisfy { $0.name != "__name__" || $0.matches(name) }
    }
}
