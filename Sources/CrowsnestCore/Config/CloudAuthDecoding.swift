/// Decodes the built-in cloud credential blocks of a cluster file's `auth:` (`aws`, `gcp`).
///
/// Kept apart from the other auth kinds so each cloud's fields and rules read in one place.
enum CloudAuthDecoding {
    /// The keys of `auth.aws`.
    static let awsKeys = ["cluster_name", "region", "profile", "role_arn"]
    /// The keys of `auth.gcp`.
    static let gcpKeys = ["credentials_file"]
    /// The keys of `auth.azure`.
    static let azureKeys = ["tenant_id", "client_id", "federated_token_file", "client_secret_file", "server_id"]

    /// `auth.azure` with its file paths already resolved; nil when it has errors.
    static func decodeAzure(
        _ fields: ConfigFields,
        federatedTokenFile: String?,
        clientSecretFile: String?,
        decoder d: ConfigDecoder
    ) -> AzureAuthConfig? {
        let before = d.problems.count
        func identifier(_ key: String) -> String? {
            optionalText(fields, key, decoder: d) { text in
                text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
                    ? nil : "\(ConfigText.quote(text)) is not an Entra ID identifier (a GUID or a domain)"
            }
        }
        let tenant = identifier("tenant_id")
        let client = identifier("client_id")
        let server = identifier("server_id") ?? AzureAuthConfig.aksServerID
        if federatedTokenFile != nil && clientSecretFile != nil {
            d.error(
                .conflict,
                at: fields["client_secret_file"],
                fields.path("client_secret_file"),
                "set one of federated_token_file and client_secret_file"
            )
        }
        guard !d.problems[before...].containsError else { return nil }
        return AzureAuthConfig(
            tenantID: tenant,
            clientID: client,
            federatedTokenFile: federatedTokenFile,
            clientSecretFile: clientSecretFile,
            serverID: server
        )
    }

    /// `auth.aws`; nil when it has errors.
    static func decodeAWS(_ node: ConfigNode, decoder d: ConfigDecoder) -> AWSAuthConfig? {
        guard let fields = d.mapping(node, field: "auth.aws", known: awsKeys) else { return nil }
        let before = d.problems.count
        var clusterName = ""
        if let node = fields["cluster_name"], let text = d.string(node, fields.path("cluster_name")) {
            clusterName = ConfigText.trimmed(text)
            if clusterName.isEmpty || clusterName.contains(where: { $0.isWhitespace || $0 == "/" }) {
                d.error(
                    .invalidValue,
                    at: node,
                    fields.path("cluster_name"),
                    "must be the EKS cluster's name (no spaces or '/')"
                )
            }
        } else if !fields.has("cluster_name") {
            d.error(.missingField, at: node, fields.path("cluster_name"), "required: the EKS cluster's name")
        }
        let region = optionalText(fields, "region", decoder: d) { text in
            text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
                ? nil : "\(ConfigText.quote(text)) is not an AWS region (such as eu-west-1)"
        }
        let profile = optionalText(fields, "profile", decoder: d) { text in
            text.contains(where: { $0 == "[" || $0 == "]" || $0.isNewline }) ? "is not a profile name" : nil
        }
        let roleARN = optionalText(fields, "role_arn", decoder: d) { text in
            text.hasPrefix("arn:") && text.split(separator: ":", omittingEmptySubsequences: false).count >= 6
                ? nil : "\(ConfigText.quote(text)) is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        }
        guard !d.problems[before...].containsError else { return nil }
        return AWSAuthConfig(clusterName: clusterName, region: region, profile: profile, roleARN: roleARN)
    }

    /// An optional string field, empty meaning absent.
    ///
    /// `check` returns why a value is invalid, or nil.
    private static func optionalText(
        _ fields: ConfigFields,
        _ key: String,
        decoder d: ConfigDecoder,
        check: (String) -> String?
    ) -> String? {
        guard let node = fields[key], let text = d.string(node, fields.path(key)) else { return nil }
        let trimmed = ConfigText.trimmed(text)
        guard !trimmed.isEmpty else { return nil }
        if let problem = check(trimmed) {
            d.error(.invalidValue, at: node, fields.path(key), problem)
            return nil
        }
        return trimmed
    }
}
