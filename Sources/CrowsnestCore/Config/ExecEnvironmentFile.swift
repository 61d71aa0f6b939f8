/// The `auth.exec.env_file` format: `KEY=VALUE` lines for an exec credential plugin's environment, kept out of the
/// cluster file because the values are usually secrets (a cloud access key, a client secret).
///
/// One variable per line; blank lines and lines starting with `#` are skipped; an optional `export ` prefix is
/// allowed (so the file can be `source`d); the value is everything after the first `=`, with one pair of
/// matching surrounding quotes (`"…"` or `'…'`) removed. No escapes, no expansion.
public enum ExecEnvironmentFile {
    /// A line that is not `KEY=VALUE`; names the line, never its content (it may hold a secret).
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The 1-based line.
        public var line: Int
        /// What is wrong.
        public var reason: String
        /// Creates an error.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        /// `line N: reason`.
        public var description: String { "line \(line): \(reason)" }
    }

    /// The variables of `text`, in file order (a later line for the same name wins when merged).
    public static func parse(_ text: String) throws(ParseError) -> [ExecEnvironmentVariable] {
        var variables: [ExecEnvironmentVariable] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var entry = trimmed
            if entry.hasPrefix("export ") { entry = entry.dropFirst(7).drop { $0 == " " } }
            guard let equals = entry.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, reason: "expected KEY=VALUE")
            }
            let name = String(entry[..<equals])
            guard ConfigText.isEnvironmentName(name) else {
                throw ParseError(line: index + 1, reason: "the name before = is not a valid environment variable name")
            }
            var value = entry[entry.index(after: equals)...]
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            variables.append(ExecEnvironmentVariable(name: name, value: Secret(String(value))))
        }
        return variables
    }

    /// The file text for `variables`, which ``parse(_:)`` reads back as they are.
    ///
    /// A value that would lose its
    /// quotes is quoted; a value with a line break cannot be written (`nil`).
    public static func render(_ variables: [ExecEnvironmentVariable]) -> String? {
        var text = ""
        for variable in variables {
            let value = variable.value.revealed
            if value.contains(where: \.isNewline) { return nil }
            var written = value
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                written = "\"" + value + "\""
            }
            text += "\(variable.name)=\(written)\n"
        }
        return text
    }
}
