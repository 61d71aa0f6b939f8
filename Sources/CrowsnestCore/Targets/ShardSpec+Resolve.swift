extension ShardSpec {
    /// The environment variable that stands in for `--shard` (`INDEX/COUNT` or `auto`).
    public static let shardVariable = "CROWSNEST_SHARD"
    /// The environment variable that stands in for `--shard-count`.
    public static let countVariable = "CROWSNEST_SHARD_COUNT"

    /// Resolves the command line and environment to a spec, or nil when no sharding is asked for.
    ///
    /// `argument` (`--shard`) wins over `CROWSNEST_SHARD`; `count` (`--shard-count`) over `CROWSNEST_SHARD_COUNT`.
    /// With `auto` the pod name is `POD_NAME` (the downward API), else `HOSTNAME` (a StatefulSet pod's host name is
    /// its pod name), else `hostName`. Pure: the caller passes the process environment.
    public static func resolve(
        argument: String?,
        count: Int?,
        environment: [String: String],
        hostName: String
    ) throws(ShardSpecError) -> ShardSpec? {
        guard let text = argument ?? environment[shardVariable].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        guard text == "auto" else { return try ShardSpec(parsing: text) }
        let countText = count.map(String.init) ?? environment[countVariable]
        guard let countText, let count = Int(countText) else { throw .autoWithoutCount(countText) }
        let podName =
            [environment["POD_NAME"], environment["HOSTNAME"], hostName]
            .compactMap { $0 }.first { !$0.isEmpty } ?? ""
        return try ShardSpec(podName: podName, count: count)
    }
}
