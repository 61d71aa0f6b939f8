// Turns a parsed RE2 tree into a byte-level fast matcher that needs no regex engine at all, where the shape allows.
// (The Swift `Regex` spelling of a tree, the tests' independent oracle for the Pike VM, is `RE2SwiftEmitter` in
// the test target.)

/// A set of byte strings that can be probed with a slice of a buffer without allocating.
struct RE2LiteralSet: Sendable {
    private var buckets: [UInt64: [[UInt8]]] = [:]
    private(set) var count = 0

    init(_ literals: [[UInt8]]) {
        for literal in literals where !contains(literal) {
            buckets[Self.hash(literal), default: []].append(literal)
            count += 1
        }
    }

    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    func contains(_ bytes: some Collection<UInt8>) -> Bool {
        guard let candidates = buckets[Self.hash(bytes)] else { return false }
        return candidates.contains { $0.count == bytes.count && $0.elementsEqual(bytes) }
    }
}

/// A regex-free matcher for the shapes relabel configurations use most: literals, literal alternations and
/// `prefix.*suffix`, optionally with one capture around the whole expression or around the middle part:
/// `(.*)`, `.+`, `foo`, `a|b|c`, `(a|b|c)`, `go_.*|process_.*`, `__meta_kubernetes_pod_label_(.+)`,
/// `__meta_kubernetes_pod_label_(service|tier|type)`, `monitoring;prometheus-.*;web`.
///
/// Matching is exact on UTF-8 bytes, which is what RE2 does on Go strings.
struct RE2FastMatcher: Sendable {
    enum Middle: Sendable {
        /// Nothing between prefix and suffix.
        case none
        /// `.*` / `.+` (lazy or greedy: with fixed prefix and suffix the middle is determined anyway).
        case any(nonEmpty: Bool, dotAll: Bool)
        /// One of several literals.
        case oneOf(RE2LiteralSet)
    }

    struct Branch: Sendable {
        var prefix: [UInt8]
        var suffix: [UInt8]
        var middle: Middle
        var capturesMiddle: Bool

        /// The byte range of the middle part when `bytes` matches this branch.
        func match(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
            let count = bytes.count
            guard count >= prefix.count + suffix.count else { return nil }
            for index in prefix.indices where bytes[index] != prefix[index] { return nil }
            let suffixStart = count - suffix.count
            for index in suffix.indices where bytes[suffixStart + index] != suffix[index] { return nil }
            let middleRange = prefix.count..<suffixStart
            switch middle {
            case .none:
                return middleRange.isEmpty ? middleRange : nil
            case .any(let nonEmpty, let dotAll):
                if nonEmpty && middleRange.isEmpty { return nil }
                if !dotAll, bytes[middleRange].contains(0x0A) { return nil }
                return middleRange
            case .oneOf(let literals):
                return literals.contains(bytes[middleRange]) ? middleRange : nil
            }
        }
    }

    /// The outcome of a match: `nil` when it failed, otherwise the byte range of group 1 (when it took part).
    enum Outcome {
        case noMatch
        case match(group: Range<Int>?)
    }

    /// Exact literal branches, probed first when capture order cannot matter.
    private let exact: RE2LiteralSet?
    /// The other branches, in priority order.
    private let branches: [Branch]
    private let capturesWhole: Bool

    /// Builds a fast matcher for an anchored expression (`\A … \z`), or returns `nil` when the shape is not one
    /// this matcher handles exactly.
    init?(anchored node: RE2Node, groupCount: Int) {
        guard groupCount <= 1,
            case .concat(let items) = node, items.count >= 2,
            items.first == .beginText, items.last == .endText
        else { return nil }
        var inner = items.count == 3 ? items[1] : RE2Node.concat(Array(items.dropFirst().dropLast()))
        var capturesWhole = false
        if groupCount == 1, case .capture(1, let sub) = inner {
            capturesWhole = true
            inner = sub
        }
        let alternatives: [RE2Node]
        if case .alternate(let subs) = inner { alternatives = subs } else { alternatives = [inner] }
        var branches: [Branch] = []
        for alternative in alternatives {
            guard let branch = Self.branch(alternative, allowCapture: groupCount == 1 && !capturesWhole) else {
                return nil
            }
            branches.append(branch)
        }
        let middleCaptures = branches.filter(\.capturesMiddle).count
        guard groupCount == 0 || capturesWhole || middleCaptures == 1 else { return nil }
        self.capturesWhole = capturesWhole
        if middleCaptures == 0 {
            // Any branch that matches yields the same groups: probe exact literals with one hash lookup.
            let literals = branches.filter { if case .none = $0.middle { true } else { false } }
            exact = literals.isEmpty ? nil : RE2LiteralSet(literals.map { $0.prefix + $0.suffix })
            self.branches = branches.filter { if case .none = $0.middle { false } else { true } }
        } else {
            exact = nil
            self.branches = branches
        }
    }

    func match(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        if let exact, exact.contains(bytes) {
            return .match(group: capturesWhole ? 0..<bytes.count : nil)
        }
        for branch in branches {
            if let middle = branch.match(bytes) {
                if capturesWhole { return .match(group: 0..<bytes.count) }
                return .match(group: branch.capturesMiddle ? middle : nil)
            }
        }
        return .noMatch
    }

    // MARK: - Shape analysis

    private static func flatten(_ node: RE2Node, into items: inout [RE2Node]) {
        switch node {
        case .concat(let subs): for sub in subs { flatten(sub, into: &items) }
        case .empty: break
        default: items.append(node)
        }
    }

    private static func bytes(of literals: [UInt32]) -> [UInt8]? {
        var text = ""
        for value in literals {
            guard let scalar = Unicode.Scalar(value) else { return nil }
            text.unicodeScalars.append(scalar)
        }
        return Array(text.utf8)
    }

    /// The code points of a node that is a plain literal string (or empty).
    private static func literalString(_ node: RE2Node) -> [UInt32]? {
        var items: [RE2Node] = []
        flatten(node, into: &items)
        var result: [UInt32] = []
        for item in items {
            guard case .literal(let value) = item else { return nil }
            result.append(value)
        }
        return result
    }

    private static func middle(_ node: RE2Node) -> Middle? {
        switch node {
        case .repetition(.anyChar(let dotAll), let min, -1, _) where min <= 1:
            return .any(nonEmpty: min == 1, dotAll: dotAll)
        case .alternate(let subs):
            var literals: [[UInt8]] = []
            for sub in subs {
                guard let string = literalString(sub), let bytes = bytes(of: string) else { return nil }
                literals.append(bytes)
            }
            return .oneOf(RE2LiteralSet(literals))
        default:
            guard let string = literalString(node), let bytes = bytes(of: string) else { return nil }
            return .oneOf(RE2LiteralSet([bytes]))
        }
    }

    private static func branch(_ node: RE2Node, allowCapture: Bool) -> Branch? {
        var items: [RE2Node] = []
        flatten(node, into: &items)
        var index = 0
        var prefix: [UInt32] = []
        while index < items.count, case .literal(let value) = items[index] {
            prefix.append(value)
            index += 1
        }
        var shape = Middle.none
        var captured = false
        if index < items.count {
            var item = items[index]
            if case .capture(_, let sub) = item {
                guard allowCapture else { return nil }
                captured = true
                item = sub
            }
            guard let found = middle(item) else { return nil }
            shape = found
            index += 1
        }
        var suffix: [UInt32] = []
        while index < items.count, case .literal(let value) = items[index] {
            suffix.append(value)
            index += 1
        }
        guard index == items.count, let prefixBytes = bytes(of: prefix), let suffixBytes = bytes(of: suffix) else {
            return nil
        }
        return Branch(prefix: prefixBytes, suffix: suffixBytes, middle: shape, capturesMiddle: captured)
    }
}
