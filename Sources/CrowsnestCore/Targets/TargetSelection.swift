/// The last step from discovered targets to scraped ones: targets whose final label sets are equal are scraped
/// once.
///
/// Two targets with equal labels would write the same series twice into `/metrics`, which a consuming Prometheus
/// rejects as out-of-order or duplicate samples. Prometheus itself drops such duplicate targets; so does the gateway,
/// keeping the first by key (namespace, pod, port) so the choice is stable across relists and restarts, and listing
/// the others with the reason.
public enum TargetSelection {
    /// `targets` (sorted by key) without duplicates, and one ``RefusedPod`` of kind `duplicate` per target left out.
    public static func removingDuplicates(_ targets: [ScrapeTarget]) -> (
        targets: [ScrapeTarget], duplicates: [RefusedPod]
    ) {
        var firstWithLabels: [[Label]: TargetKey] = [:]
        firstWithLabels.reserveCapacity(targets.count)
        var kept: [ScrapeTarget] = []
        kept.reserveCapacity(targets.count)
        var duplicates: [RefusedPod] = []
        for target in targets {
            if let first = firstWithLabels[target.labels] {
                duplicates.append(
                    RefusedPod(
                        cluster: target.key.cluster,
                        namespace: target.key.namespace,
                        pod: target.key.pod,
                        reason: "port \(target.key.port): same labels as \(first.namespace)/\(first.pod) port "
                            + "\(first.port) after relabeling; scraped once (duplicate target)",
                        kind: .duplicate
                    )
                )
                continue
            }
            firstWithLabels[target.labels] = target.key
            kept.append(target)
        }
        return (kept, duplicates)
    }
}
