/// Metadata of one family from one source, as the merger sees it.
public struct FamilyMetadata: Sendable, Hashable {
    /// The text-format family name.
    public var name: String
    /// The text-format type.
    public var type: MetricType
    /// The HELP text, if any.
    public var help: String?

    /// Creates metadata.
    public init(name: String, type: MetricType, help: String? = nil) {
        self.name = name
        self.type = type
        self.help = help
    }

    /// Sample names a text family of `type` named `name` may hold.
    public static func sampleNames(of name: String, type: MetricType) -> [String] {
        switch type {
        case .histogram: [name + "_bucket", name + "_sum", name + "_count"]
        case .summary: [name, name + "_sum", name + "_count"]
        default: [name]
        }
    }
}

/// Merges the families of many sources (targets) into one text exposition: one `# HELP`/`# TYPE` group per name.
///
/// ## Policy (deterministic: the output never depends on the order sources were discovered in)
/// 1. Families are grouped by name and the groups sorted by name (byte order). Within a group, members keep the
///    order of their sources.
/// 2. HELP: the first source (in source order) that has one wins; other HELP texts are dropped.
/// 3. TYPE: when every member agrees, that type. When members disagree (a histogram `x` in one pod, a gauge `x`
///    in another), the group is *demoted*: every sample is kept, re-grouped as untyped families named after
///    each sample name (`x`, `x_bucket`, `x_sum`, `x_count`), with no HELP.
/// 4. Suffix collisions: when two groups may hold the same sample name (histogram `x` owns `x_count`, and
///    another family is named `x_count`), both are demoted the same way, and same-named demoted families merge.
///    The output therefore never carries one series name in two groups, which strict parsers reject.
///
/// Nothing is dropped: a demoted sample keeps its name, labels and value; only its type metadata goes.
public enum FamilyMerger {
    /// One source family taking part in an output group.
    public struct Member: Sendable, Hashable {
        /// Index of the source.
        public var source: Int
        /// Index of the family within the source.
        public var family: Int
    }

    /// One output family group.
    public struct Group: Sendable, Hashable {
        /// The family name written on HELP/TYPE lines.
        public var name: String
        /// The resolved type (`.unknown` = untyped, no TYPE line).
        public var type: MetricType
        /// The HELP text, if any.
        public var help: String?
        /// The source families whose samples belong here, in source order.
        public var members: [Member]
        /// When set, only sample lines whose metric name equals this belong here (a demoted group).
        public var sampleNameFilter: String?
        /// Whether this group results from a TYPE conflict or suffix collision.
        public var isDemoted: Bool { sampleNameFilter != nil }
    }

    /// Computes the output groups for `sources` (each an array of family metadata).
    public static func merge(_ sources: [[FamilyMetadata]]) -> [Group] {
        // 1. Group by name.
        var byName: [String: Int] = [:]
        var groups: [(name: String, types: [MetricType], help: String?, members: [(Member, MetricType)])] = []
        for (sourceIndex, families) in sources.enumerated() {
            for (familyIndex, family) in families.enumerated() {
                let member = Member(source: sourceIndex, family: familyIndex)
                if let index = byName[family.name] {
                    if !groups[index].types.contains(family.type) { groups[index].types.append(family.type) }
                    if groups[index].help == nil { groups[index].help = family.help }
                    groups[index].members.append((member, family.type))
                } else {
                    byName[family.name] = groups.count
                    groups.append((family.name, [family.type], family.help, [(member, family.type)]))
                }
            }
        }
        // 2. Claims and demotion.
        var claimants: [String: [Int]] = [:]
        for (index, group) in groups.enumerated() {
            var names = Set<String>()
            for type in group.types { names.formUnion(FamilyMetadata.sampleNames(of: group.name, type: type)) }
            for name in names { claimants[name, default: []].append(index) }
        }
        var demoted = Set<Int>()
        for (index, group) in groups.enumerated() where group.types.count > 1 { demoted.insert(index) }
        for (_, owners) in claimants where owners.count > 1 { demoted.formUnion(owners) }

        var output: [Group] = []
        var demotedOutput: [String: Int] = [:]
        for (index, group) in groups.enumerated() {
            if !demoted.contains(index) {
                output.append(
                    Group(
                        name: group.name,
                        type: group.types[0],
                        help: group.help,
                        members: group.members.map(\.0),
                        sampleNameFilter: nil
                    )
                )
                continue
            }
            for (member, type) in group.members {
                for sampleName in FamilyMetadata.sampleNames(of: group.name, type: type) {
                    if let existing = demotedOutput[sampleName] {
                        if !output[existing].members.contains(member) { output[existing].members.append(member) }
                    } else {
                        demotedOutput[sampleName] = output.count
                        output.append(
                            Group(
                                name: sampleName,
                                type: .unknown,
                                help: nil,
                                members: [member],
                                sampleNameFilter: sampleName
                            )
                        )
                    }
                }
            }
        }
        for index in output.indices where output[index].isDemoted {
            output[index].members.sort { ($0.source, $0.family) < ($1.source, $1.family) }
        }
        output.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return output
    }
}
