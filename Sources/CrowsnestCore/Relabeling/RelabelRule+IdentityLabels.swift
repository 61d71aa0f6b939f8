extension RelabelRule {
    /// The identity labels (`cluster`, `namespace`, `pod_name`) this rule would write or remove, in that order.
    ///
    /// `check config` warns about them: the gateway keeps those labels the target's own (or, in `prometheus`
    /// relabel mode, adds them back when unset), so such a rule either has no effect on them or makes targets of
    /// different pods look alike. A `labelmap` whose replacement is a template is not judged: what it writes depends
    /// on the labels it meets.
    public var identityLabelsTouched: [String] {
        let identity = ClusterConfig.identityLabelNames
        switch action {
        case .replace, .hashmod, .lowercase, .uppercase:
            return identity.filter { $0 == targetLabel }
        case .labeldrop, .labelkeep:
            guard let regex = try? PrometheusRegex(regex) else { return [] }
            return identity.filter { regex.matches($0) == (action == .labeldrop) }
        case .labelmap:
            return replacement.contains("$") ? [] : identity.filter { $0 == replacement }
        case .keep, .drop, .keepequal, .dropequal:
            return []
        }
    }
}
