internal import Synchronization

// A Pike VM (Thompson NFA simulation with capture slots), the way Go's `regexp` and RE2 match: linear in the
// input for any expression, leftmost-first ("Perl") choice of submatches through thread priority, and exact RE2
// semantics for every construct, including ASCII `\b` and multi-line `^`. It runs directly on the UTF-8 bytes.

/// A compiled RE2 expression.
final class RE2Program: Sendable {
    enum Assertion: Sendable {
        case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
    }

    enum Instruction: Sendable {
        /// One code point equal to the value.
        case scalar(UInt32)
        /// One code point of the class at this index.
        case charClass(Int)
        /// Any code point.
        case any
        /// Any code point but `\n`.
        case anyNotNewline
        /// Continue at both, the first with priority.
        case split(Int, Int)
        case jump(Int)
        /// Record the position in a capture slot.
        case save(Int)
        case assert(Assertion)
        /// Never matches (a surrogate literal).
        case fail
        case match
    }

    let instructions: [Instruction]
    let classes: [RE2CompiledClass]
    /// Capture slots: 2 per group, group 0 (the whole match) included.
    let slotCount: Int
    /// Whether every match must start at offset 0 (the expression begins with `\A`).
    let anchoredStart: Bool

    init(_ node: RE2Node, groupCount: Int) {
        var compiler = Compiler()
        compiler.emit(.save(0))
        compiler.compile(node)
        compiler.emit(.save(1))
        compiler.emit(.match)
        instructions = compiler.instructions
        classes = compiler.classes
        slotCount = 2 * (groupCount + 1)
        if case .concat(let items) = node, items.first == .beginText {
            anchoredStart = true
        } else {
            anchoredStart = node == .beginText
        }
    }

    // MARK: Compilation

    private struct Compiler {
        var instructions: [Instruction] = []
        var classes: [RE2CompiledClass] = []

        @discardableResult
        mutating func emit(_ instruction: Instruction) -> Int {
            instructions.append(instruction)
            return instructions.count - 1
        }

        var next: Int { instructions.count }

        mutating func compile(_ node: RE2Node) {
            switch node {
            case .empty:
                break
            case .literal(let value):
                emit((0xD800...0xDFFF).contains(value) ? .fail : .scalar(value))
            case .anyChar(let dotAll):
                emit(dotAll ? .any : .anyNotNewline)
            case .charClass(let cls):
                if !cls.negated, cls.properties.isEmpty, cls.ranges.count == 1, cls.ranges[0].count == 1 {
                    compile(.literal(cls.ranges[0].lowerBound))
                } else {
                    classes.append(RE2CompiledClass(cls))
                    emit(.charClass(classes.count - 1))
                }
            case .beginText: emit(.assert(.beginText))
            case .endText: emit(.assert(.endText))
            case .beginLine: emit(.assert(.beginLine))
            case .endLine: emit(.assert(.endLine))
            case .wordBoundary: emit(.assert(.wordBoundary))
            case .notWordBoundary: emit(.assert(.notWordBoundary))
            case .capture(let index, let sub):
                emit(.save(2 * index))
                compile(sub)
                emit(.save(2 * index + 1))
            case .concat(let subs):
                for sub in subs { compile(sub) }
            case .alternate(let subs):
                var exits: [Int] = []
                for (index, sub) in subs.enumerated() {
                    if index == subs.count - 1 {
                        compile(sub)
                    } else {
                        let split = emit(.split(0, 0))
                        compile(sub)
                        exits.append(emit(.jump(0)))
                        instructions[split] = .split(split + 1, next)
                    }
                }
                for exit in exits { instructions[exit] = .jump(next) }
            case .repetition(let sub, let min, let max, let greedy):
                compileRepetition(sub, min: min, max: max, greedy: greedy)
            }
        }

        /// Go's `Simplify` then `compile`: `x{n,}` is n-1 copies then `x+`, `x{n,m}` is n copies then nested
        /// optional copies; `x*` of an expression that can match empty is `(x+)?` (golang.org/issue/46123).
        mutating func compileRepetition(_ sub: RE2Node, min: Int, max: Int, greedy: Bool) {
            if max == -1 {
                switch min {
                case 0: star(sub, greedy: greedy)
                case 1: plus(sub, greedy: greedy)
                default:
                    for _ in 0..<(min - 1) { compile(sub) }
                    plus(sub, greedy: greedy)
                }
                return
            }
            if min == 0 && max == 0 { return }
            if min == 1 && max == 1 {
                compile(sub)
                return
            }
            for _ in 0..<min { compile(sub) }
            var splits: [Int] = []
            for _ in 0..<(max - min) {
                splits.append(emit(.split(0, 0)))
                compile(sub)
            }
            for split in splits {
                instructions[split] = greedy ? .split(split + 1, next) : .split(next, split + 1)
            }
        }

        mutating func star(_ sub: RE2Node, greedy: Bool) {
            if sub.isNullable {
                // (x+)?
                let split = emit(.split(0, 0))
                plus(sub, greedy: greedy)
                instructions[split] = greedy ? .split(split + 1, next) : .split(next, split + 1)
                return
            }
            let loop = emit(.split(0, 0))
            compile(sub)
            emit(.jump(loop))
            instructions[loop] = greedy ? .split(loop + 1, next) : .split(next, loop + 1)
        }

        mutating func plus(_ sub: RE2Node, greedy: Bool) {
            let start = next
            compile(sub)
            let split = emit(.split(0, 0))
            instructions[split] = greedy ? .split(start, next) : .split(next, start)
        }
    }

    // MARK: Matching

    /// A set of instruction indices in insertion (priority) order, with the capture slots of each live thread.
    ///
    /// Index memory is owned by `run`; slot rows are handed out only to threads that wait on a consuming
    /// instruction, so memory follows the number of live threads, not instructions × groups.
    private struct ThreadList {
        let dense: UnsafeMutablePointer<Int>
        let sparse: UnsafeMutablePointer<Int>
        /// The slot row of the thread waiting at each (consuming) instruction.
        let rowOf: UnsafeMutablePointer<Int>
        let slotCount: Int
        var count = 0
        var rows: [Int] = []
        var rowCount = 0

        func contains(_ pc: Int) -> Bool {
            let index = sparse[pc]
            return index < count && dense[index] == pc
        }

        mutating func insert(_ pc: Int) {
            sparse[pc] = count
            dense[count] = pc
            count += 1
        }

        /// Stores `slots` as the captures of the thread waiting at `pc`.
        mutating func store(_ slots: UnsafeMutablePointer<Int>, at pc: Int) {
            let start = rowCount * slotCount
            if rows.count < start + slotCount { rows.append(contentsOf: repeatElement(-1, count: slotCount)) }
            rows.withUnsafeMutableBufferPointer {
                $0.baseAddress!.advanced(by: start).update(from: slots, count: slotCount)
            }
            rowOf[pc] = rowCount
            rowCount += 1
        }

        /// Copies the captures of the thread waiting at `pc` into `slots`.
        func load(_ pc: Int, into slots: UnsafeMutablePointer<Int>) {
            let start = rowOf[pc] * slotCount
            rows.withUnsafeBufferPointer { slots.update(from: $0.baseAddress!.advanced(by: start), count: slotCount) }
        }

        func captures(at pc: Int) -> [Int] {
            let start = rowOf[pc] * slotCount
            return Array(rows[start..<(start + slotCount)])
        }

        mutating func clear() {
            count = 0
            rowCount = 0
        }
    }

    /// What the assertions see at a position.
    private struct Context {
        /// The code point before the position, or -1 at the start.
        var previous: Int
        /// The code point at the position, or -1 at the end.
        var next: Int

        static func isWord(_ c: Int) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }

        func holds(_ assertion: Assertion) -> Bool {
            switch assertion {
            case .beginText: previous == -1
            case .endText: next == -1
            case .beginLine: previous == -1 || previous == 0x0A
            case .endLine: next == -1 || next == 0x0A
            case .wordBoundary: Self.isWord(previous) != Self.isWord(next)
            case .notWordBoundary: Self.isWord(previous) == Self.isWord(next)
            }
        }
    }

    /// The code point starting at `offset` in valid UTF-8, and its length.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (Int, Int) {
        let lead = Int(bytes[offset])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | Int(bytes[offset + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | Int(bytes[offset + 1] & 0x3F) << 6 | Int(bytes[offset + 2] & 0x3F), 3)
        }
        let value =
            (lead & 0x07) << 18 | Int(bytes[offset + 1] & 0x3F) << 12 | Int(bytes[offset + 2] & 0x3F) << 6
            | Int(bytes[offset + 3] & 0x3F)
        return (value, 4)
    }

    /// The explicit stack of `add`: a non-negative entry explores that instruction; a negative entry `-(slot+1)`
    /// restores the slot to the value stored just below it.
    private struct Stack {
        let base: UnsafeMutablePointer<Int>
        var count = 0

        mutating func push(_ value: Int) {
            base[count] = value
            count += 1
        }

        mutating func pop() -> Int? {
            guard count > 0 else { return nil }
            count -= 1
            return base[count]
        }
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming input (the epsilon closure),
    /// depth-first so that thread priority follows the expression's preference order.
    private func add(
        _ list: inout ThreadList,
        _ pc: Int,
        position: Int,
        slots: UnsafeMutablePointer<Int>,
        slotCount: Int,
        context: Context,
        stack: inout Stack
    ) {
        stack.push(pc)
        while let entry = stack.pop() {
            if entry < 0 {
                slots[-entry - 1] = stack.pop()!
                continue
            }
            let pc = entry
            if list.contains(pc) { continue }
            list.insert(pc)
            switch instructions[pc] {
            case .jump(let target):
                stack.push(target)
            case .split(let first, let second):
                stack.push(second)
                stack.push(first)
            case .save(let slot):
                if slot < slotCount {
                    stack.push(slots[slot])
                    stack.push(-slot - 1)
                    slots[slot] = position
                }
                stack.push(pc + 1)
            case .assert(let assertion):
                if context.holds(assertion) { stack.push(pc + 1) }
            case .fail:
                break
            case .scalar, .charClass, .any, .anyNotNewline, .match:
                if slotCount > 0 { list.store(slots, at: pc) }
            }
        }
    }

    /// Runs the machine over `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: the input, valid UTF-8.
    ///   - captures: whether to track capture slots; without them the run stops at the first match.
    /// - Returns: `nil` when there is no match; otherwise the capture slots (byte offsets, -1 for a group that
    ///   took no part), empty when `captures` is false.
    func run(_ bytes: UnsafeBufferPointer<UInt8>, captures: Bool) -> [Int]? {
        let size = instructions.count
        let slotCount = captures ? self.slotCount : 0
        // Two thread lists (dense, sparse, row index each), the scratch slots, and the stack of `add` (each
        // instruction is explored at most once per call and pushes at most three entries).
        let listSize = 3 * size
        let stackSize = 3 * size + 4
        let total = 2 * listSize + slotCount + stackSize
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: total) { buffer in
            let base = buffer.baseAddress!
            base.initialize(repeating: 0, count: total)
            func list(at offset: Int) -> ThreadList {
                ThreadList(
                    dense: base + offset,
                    sparse: base + offset + size,
                    rowOf: base + offset + 2 * size,
                    slotCount: slotCount
                )
            }
            var current = list(at: 0)
            var upcoming = list(at: listSize)
            let scratch = base + 2 * listSize
            var stack = Stack(base: scratch + slotCount)
            return run(bytes, captures: captures, &current, &upcoming, scratch, slotCount, &stack)
        }
    }

    private func run(
        _ bytes: UnsafeBufferPointer<UInt8>,
        captures: Bool,
        _ current: inout ThreadList,
        _ upcoming: inout ThreadList,
        _ scratch: UnsafeMutablePointer<Int>,
        _ slotCount: Int,
        _ stack: inout Stack
    ) -> [Int]? {
        var matchSlots: [Int]?
        let end = bytes.count
        var position = 0
        var previous = -1
        var (next, width) = end > 0 ? Self.decode(bytes, at: 0) : (-1, 0)
        while true {
            if current.count == 0 {
                if anchoredStart && position != 0 { break }
                if matchSlots != nil { break }
            }
            if matchSlots == nil && (position == 0 || !anchoredStart) {
                scratch.update(repeating: -1, count: slotCount)
                add(
                    &current,
                    0,
                    position: position,
                    slots: scratch,
                    slotCount: slotCount,
                    context: Context(previous: previous, next: next),
                    stack: &stack
                )
            }
            let nextPosition = position + width
            let (following, followingWidth) = nextPosition < end ? Self.decode(bytes, at: nextPosition) : (-1, 0)
            let nextContext = Context(previous: next, next: following)
            threads: for index in 0..<current.count {
                let pc = current.dense[index]
                let consumes: Bool
                switch instructions[pc] {
                case .match:
                    if !captures { return [] }
                    matchSlots = current.captures(at: pc)
                    // Leftmost-first: lower-priority threads are cut off.
                    break threads
                case .scalar(let value):
                    consumes = next == Int(value)
                case .charClass(let index):
                    consumes = next >= 0 && classes[index].contains(UInt32(next))
                case .any:
                    consumes = next >= 0
                case .anyNotNewline:
                    consumes = next >= 0 && next != 0x0A
                case .split, .jump, .save, .assert, .fail:
                    consumes = false
                }
                guard consumes else { continue }
                if slotCount > 0 { current.load(pc, into: scratch) }
                add(
                    &upcoming,
                    pc + 1,
                    position: nextPosition,
                    slots: scratch,
                    slotCount: slotCount,
                    context: nextContext,
                    stack: &stack
                )
            }
            if next < 0 { break }
            position = nextPosition
            previous = next
            next = following
            width = followingWidth
            swap(&current, &upcoming)
            upcoming.clear()
        }
        return matchSlots
    }
}

extension RE2Node {
    /// Whether the expression can match the empty string.
    var isNullable: Bool {
        switch self {
        case .empty, .beginText, .endText, .beginLine, .endLine, .wordBoundary, .notWordBoundary: true
        case .literal, .anyChar, .charClass: false
        case .capture(_, let sub): sub.isNullable
        case .concat(let subs): subs.allSatisfy(\.isNullable)
        case .alternate(let subs): subs.contains(where: \.isNullable)
        case .repetition(let sub, let min, _, _): min == 0 || sub.isNullable
        }
    }
}

/// A character class ready for matching: an ASCII bitmap, sorted ranges, and symbolic Unicode properties.
struct RE2CompiledClass: Sendable {
    private let negated: Bool
    private let ranges: [ClosedRange<UInt32>]
    private let properties: [RE2UnicodeProperty]
    private let asciiLow: UInt64
    private let asciiHigh: UInt64

    init(_ cls: RE2CharClass) {
        negated = cls.negated
        ranges = RE2Ranges.normalized(cls.ranges)
        properties = cls.properties
        var low: UInt64 = 0
        var high: UInt64 = 0
        for value in UInt32(0)..<128 where Self.slowContains(value, negated, ranges, properties) {
            if value < 64 { low |= 1 << value } else { high |= 1 << (value - 64) }
        }
        asciiLow = low
        asciiHigh = high
    }

    @inline(__always)
    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return asciiLow & (1 << value) != 0 }
        if value < 128 { return asciiHigh & (1 << (value - 64)) != 0 }
        return Self.slowContains(value, negated, ranges, properties)
    }

    private static func slowContains(
        _ value: UInt32,
        _ negated: Bool,
        _ ranges: [ClosedRange<UInt32>],
        _ properties: [RE2UnicodeProperty]
    ) -> Bool {
        var low = 0
        var high = ranges.count
        var found = false
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < value {
                low = mid + 1
            } else if ranges[mid].lowerBound > value {
                high = mid
            } else {
                found = true
                break
            }
        }
        if !found, let scalar = Unicode.Scalar(value) {
            found = properties.contains { $0.contains(scalar) }
        }
        return found != negated
    }
}

extension RE2UnicodeProperty {
    /// Whether `scalar` has the property (taking `negated` and `excluding` into account).
    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let member: Bool
        switch kind {
        case .category(let name): member = RE2UnicodeTables.category(name, contains: scalar)
        case .script(let name): member = RE2ScriptMembership.shared.script(name, contains: scalar)
        }
        if member == negated { return false }
        return !excluding.contains { $0.contains(scalar.value) }
    }
}

/// Script membership of code points.
///
/// The standard library has no script property, but Swift `Regex` knows `\p{sc=…}`: each (script, code point)
/// question is answered by it once and remembered.
final class RE2ScriptMembership: Sendable {
    static let shared = RE2ScriptMembership()

    private struct State {
        var regexes: [String: Regex<Substring>] = [:]
        var answers: [String: [UInt32: Bool]] = [:]
    }

    private let state = Mutex(State())

    func script(_ name: String, contains scalar: Unicode.Scalar) -> Bool {
        state.withLock { state in
            if let known = state.answers[name]?[scalar.value] { return known }
            let regex: Regex<Substring>
            if let existing = state.regexes[name] {
                regex = existing
            } else {
                guard let compiled = try? Regex<Substring>("\\p{sc=\(name)}") else { return false }
                regex = compiled.matchingSemantics(.unicodeScalar)
                state.regexes[name] = regex
            }
            let answer = (try? regex.wholeMatch(in: String(Character(scalar)))) != nil
            state.answers[name, default: [:]][scalar.value] = answer
            return answer
        }
    }
}
