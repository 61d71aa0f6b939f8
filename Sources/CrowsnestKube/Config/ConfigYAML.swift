public import CrowsnestCore
import Yams

/// YAML text → `ConfigNode`, with positions, through Yams' node API (`Yams.compose`).
public enum ConfigYAML {
    /// Parses one YAML document. Returns the root (`nil` for an empty document) or the syntax problem.
    ///
    /// Syntax problems carry libyaml's position and reason but never a snippet of the text, so a secret on the
    /// offending line cannot leak into the message.
    public static func parse(_ text: String, file: String) -> Result<ConfigNode?, ConfigProblem> {
        do {
            guard let node = try Yams.compose(yaml: text) else { return .success(nil) }
            return .success(try convert(node))
        } catch let error as YamlError {
            return .failure(problem(error, text: text, file: file))
        } catch let error as AliasError {
            return .failure(
                ConfigProblem(
                    code: .syntax,
                    location: ConfigSourceLocation(file: file, line: error.line, column: error.column),
                    field: "",
                    reason: "unsupported YAML alias"
                )
            )
        } catch {
            return .failure(
                ConfigProblem(
                    code: .syntax,
                    location: ConfigSourceLocation(file: file),
                    field: "",
                    reason: "invalid YAML"
                )
            )
        }
    }

    /// Parses bytes that should be UTF-8 YAML.
    public static func parse(bytes: [UInt8], file: String) -> Result<ConfigNode?, ConfigProblem> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            var line = 1
            var column = 1
            var index = 0
            // Find the first invalid byte for the position.
            while index < bytes.count {
                let length = utf8SequenceLength(bytes, at: index)
                if length == 0 { break }
                if bytes[index] == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                index += length
            }
            return .failure(
                ConfigProblem(
                    code: .syntax,
                    location: ConfigSourceLocation(file: file, line: line, column: column),
                    field: "",
                    reason: "the file is not valid UTF-8"
                )
            )
        }
        return parse(text, file: file)
    }

    private struct AliasError: Error {
        var line: Int
        var column: Int
    }

    private static func convert(_ node: Node) throws -> ConfigNode {
        let line = node.mark?.line ?? 0
        let column = node.mark?.column ?? 0
        switch node {
        case .scalar(let scalar):
            return ConfigNode(.scalar(scalar.string, plain: scalar.style == .plain), line: line, column: column)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            for (key, value) in mapping {
                entries.append(ConfigNode.Entry(key: try convert(key), value: try convert(value)))
            }
            return ConfigNode(.mapping(entries), line: line, column: column)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for item in sequence { items.append(try convert(item)) }
            return ConfigNode(.sequence(items), line: line, column: column)
        case .alias:
            throw AliasError(line: line, column: column)
        }
    }

    private static func problem(_ error: YamlError, text: String, file: String) -> ConfigProblem {
        func make(_ mark: Mark?, _ reason: String) -> ConfigProblem {
            make(line: mark?.line ?? 0, column: mark?.column ?? 0, reason)
        }
        func make(line: Int, column: Int, _ reason: String) -> ConfigProblem {
            ConfigProblem(
                code: .syntax,
                location: ConfigSourceLocation(file: file, line: line, column: column),
                field: "",
                reason: reason
            )
        }
        func contextSuffix(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _):
            return make(mark, "invalid YAML: \(problem)\(contextSuffix(context))")
        case .composer(let context, let problem, let mark, _):
            if problem.contains("another document") {
                return make(mark, "invalid YAML: one document per file expected, found a second one (---)")
            }
            return make(mark, "invalid YAML: \(problem)\(contextSuffix(context))")
        case .reader(let problem, let offset, _, _):
            var line = 0
            var column = 0
            if let offset {
                line = 1
                column = 1
                for byte in text.utf8.prefix(offset) {
                    if byte == UInt8(ascii: "\n") {
                        line += 1
                        column = 1
                    } else if byte & 0xC0 != 0x80 {
                        column += 1
                    }
                }
            }
            return make(line: line, column: column, "invalid characters: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return make(context.mark, "duplicate key \(keys) in one mapping")
        case .dataCouldNotBeDecoded:
            return make(nil, "the file is not valid UTF-8")
        default:
            return make(nil, "invalid YAML")
        }
    }

    /// The length of the valid UTF-8 sequence at `index`, or 0 if it is invalid.
    private static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        for offset in 1..<length where bytes[index + offset] & 0xC0 != 0x80 { return 0 }
        return String(validating: bytes[index..<index + length], as: UTF8.self) == nil ? 0 : length
    }
}
