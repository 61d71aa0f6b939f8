/// A parsed YAML document as a plain tree with positions: what the configuration decoders read.
///
/// `CrowsnestKube` builds it from the YAML parser's node tree (aliases already resolved); keeping the decoders on
/// this type keeps every validation rule in `CrowsnestCore`, free of I/O and of the YAML library.
public struct ConfigNode: Sendable, Hashable {
    /// One `key: value` entry of a mapping, in file order.
    public struct Entry: Sendable, Hashable {
        /// The key node (a scalar in every valid configuration).
        public var key: ConfigNode
        /// The value node.
        public var value: ConfigNode

        /// Creates an entry.
        public init(key: ConfigNode, value: ConfigNode) {
            self.key = key
            self.value = value
        }
    }

    /// What a node is.
    public enum Kind: Sendable, Hashable {
        /// A scalar: its text and whether it was written plain (unquoted, no block style, no explicit tag).
        ///
        /// Only a plain scalar can be null (`~`, `null`, or nothing at all).
        case scalar(String, plain: Bool)
        /// A mapping, entries in file order.
        case mapping([Entry])
        /// A sequence.
        case sequence([ConfigNode])
    }

    /// What the node is.
    public var kind: Kind
    /// The 1-based line where the node starts (0 when unknown).
    public var line: Int
    /// The 1-based column where the node starts (0 when unknown).
    public var column: Int

    /// Creates a node.
    public init(_ kind: Kind, line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// A scalar node.
    public static func scalar(_ text: String, plain: Bool = true, line: Int = 0, column: Int = 0) -> ConfigNode {
        ConfigNode(.scalar(text, plain: plain), line: line, column: column)
    }

    /// Whether the node is a YAML null: a plain `~`, `null` (any case YAML allows), or an empty plain scalar.
    public var isNull: Bool {
        guard case .scalar(let text, true) = kind else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// The scalar's text, or `nil` for mappings and sequences.
    public var scalarText: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// A short name of the node's YAML type for messages: `a string`, `a mapping`, `a list`, `null`.
    var typeName: String {
        switch kind {
        case .scalar: isNull ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}
