/// An authenticated user: what the API server's authenticators produce (`user.Info`).
public struct Identity: Sendable, Hashable, CustomStringConvertible {
    /// The user name (`system:serviceaccount:monitoring:crowsnest`, `kubernetes-admin`, …).
    public var user: String
    /// The groups (`system:masters`, `system:serviceaccounts`, …); `system:authenticated` is added on use.
    public var groups: [String]

    /// Creates an identity.
    public init(user: String, groups: [String] = []) {
        self.user = user
        self.groups = groups
    }

    /// A ServiceAccount identity with the groups Kubernetes gives ServiceAccount tokens.
    public static func serviceAccount(namespace: String, name: String) -> Identity {
        Identity(
            user: "system:serviceaccount:\(namespace):\(name)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)"]
        )
    }

    /// A cluster administrator (member of `system:masters`).
    public static func admin(_ user: String = "kubernetes-admin") -> Identity {
        Identity(user: user, groups: ["system:masters"])
    }

    /// The groups including `system:authenticated`, as the request carries them.
    var effectiveGroups: [String] {
        groups.contains("system:authenticated") ? groups : groups + ["system:authenticated"]
    }

    public var description: String { user }
}
