import Foundation

/// The AWS shared `credentials` and `config` files (INI), read as the AWS SDKs read them: `[NAME]` sections in
/// `credentials`, `[default]` or `[profile NAME]` in `config`, `key = value` lines, `#`/`;` comments, and indented
/// sub-settings (such as `s3 =` blocks) skipped.
enum AWSSharedFiles {
    /// One file's profiles: name → settings (keys lowercased).
    typealias Profiles = [String: [String: String]]

    /// Why a file cannot be parsed: the line number, never its content (it holds keys).
    struct ParseError: Error, Equatable {
        var line: Int
        var reason: String
    }

    /// Parses `text`; `isConfigFile` selects the `[profile NAME]` section naming of the `config` file.
    static func parse(_ text: String, isConfigFile: Bool) throws(ParseError) -> Profiles {
        var profiles: Profiles = [:]
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard let close = trimmed.firstIndex(of: "]") else {
                    throw ParseError(line: index + 1, reason: "a section header without ']'")
                }
                var name = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                    .trimmingCharacters(in: .whitespaces)
                if isConfigFile, name != "default" {
                    guard name.hasPrefix("profile ") else {
                        current = nil  // [sso-session …], [services …]: not profiles
                        continue
                    }
                    name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                }
                current = name
                if profiles[name] == nil { profiles[name] = [:] }
                continue
            }
            if line.first == " " || line.first == "\t" { continue }  // a nested sub-setting
            guard let current else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, reason: "expected key = value")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let comment = value.range(of: " #") ?? value.range(of: " ;") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            profiles[current]?[key] = value
        }
        return profiles
    }
}
