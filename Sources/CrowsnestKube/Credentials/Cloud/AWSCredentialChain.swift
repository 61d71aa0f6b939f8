import CrowsnestCore
import Foundation
import NIOHTTP1

/// Finds AWS credentials in the AWS SDKs' order — environment keys, web identity (IRSA), EKS Pod Identity / container
/// credentials, the shared `credentials` and `config` files with the profile — then assumes `role_arn` on top.
///
/// `AWS_ENDPOINT_URL_STS` (else `AWS_ENDPOINT_URL`) redirects the STS calls, unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`, as in the AWS SDKs. Every error names the source it came from
/// and, for calls, the endpoint, the HTTP status and AWS's error code.
struct AWSCredentialChain: Sendable {
    var config: AWSAuthConfig
    var environment: [String: String]
    var http: CloudHTTP
    /// The clock (tests move it).
    var now: @Sendable () -> Date = { Date() }

    /// The profile in use: `profile:` of the cluster file, else `AWS_PROFILE`, else `default`.
    var profileName: String { config.profile ?? nonEmpty("AWS_PROFILE") ?? "default" }

    /// The region: `region:`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
    func region() throws(CloudCredentialError) -> String {
        if let region = config.region ?? nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") { return region }
        if let region = (try? profile(configFile: true))?["region"], !region.isEmpty { return region }
        throw CloudCredentialError(
            "aws region",
            "no region: set auth.aws.region (or AWS_REGION, or region in the profile \(profileName))"
        )
    }

    /// The STS endpoint for calls (not the host signed into EKS tokens, which is always STS's regional one):
    /// `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`, unless
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the profile's `ignore_configured_endpoint_urls`) is `true`.
    func stsEndpoint(region: String) -> String {
        let profileSettings = (try? profile(configFile: true)) ?? nil
        let ignore =
            nonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
            || profileSettings?["ignore_configured_endpoint_urls"]?.lowercased() == "true"
        if !ignore,
            let url = nonEmpty("AWS_ENDPOINT_URL_STS") ?? nonEmpty("AWS_ENDPOINT_URL")
                ?? profileSettings?["endpoint_url"].flatMap({ $0.isEmpty ? nil : $0 })
        {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return "https://" + Self.stsHost(region: region)
    }

    /// `sts.REGION.amazonaws.com` (`.amazonaws.com.cn` in the China regions).
    static func stsHost(region: String) -> String {
        "sts.\(region).amazonaws.com" + (region.hasPrefix("cn-") ? ".cn" : "")
    }

    /// The credentials to sign with.
    func resolve() async throws(CloudCredentialError) -> AWSCredentials {
        let region = try region()
        var base = try await baseCredentials(region: region)
        if let roleARN = config.roleARN {
            base = try await assumeRole(roleARN, with: base, region: region, step: "aws role_arn (AssumeRole)")
        }
        return base
    }

    /// The first source that has credentials.
    func baseCredentials(region: String) async throws(CloudCredentialError) -> AWSCredentials {
        // An explicit profile in the cluster file skips the environment keys, as botocore does.
        if config.profile == nil, let credentials = try environmentKeys() { return credentials }
        if let roleARN = nonEmpty("AWS_ROLE_ARN"), let tokenFile = nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE") {
            return try await assumeRoleWithWebIdentity(
                roleARN,
                tokenFile: tokenFile,
                region: region,
                step: "aws web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)"
            )
        }
        if nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil
            || nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil
        {
            return try await containerCredentials()
        }
        return try await profileCredentials(region: region)
    }

    /// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); nil when neither is set.
    func environmentKeys() throws(CloudCredentialError) -> AWSCredentials? {
        let id = nonEmpty("AWS_ACCESS_KEY_ID")
        let secret = nonEmpty("AWS_SECRET_ACCESS_KEY")
        switch (id, secret) {
        case (nil, nil): return nil
        case (let id?, let secret?):
            return AWSCredentials(
                accessKeyID: id,
                secretAccessKey: Secret(secret),
                sessionToken: nonEmpty("AWS_SESSION_TOKEN").map(Secret.init),
                source: "environment (AWS_ACCESS_KEY_ID)"
            )
        default:
            throw CloudCredentialError(
                "aws environment credentials",
                id == nil
                    ? "AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID"
                    : "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY"
            )
        }
    }

    /// The profile's keys, or the role it assumes (`role_arn` with `source_profile` or `web_identity_token_file`).
    func profileCredentials(region: String) async throws(CloudCredentialError) -> AWSCredentials {
        let name = profileName
        let fromCredentials = try profile(configFile: false)
        let fromConfig = try profile(configFile: true)
        guard fromCredentials != nil || fromConfig != nil else {
            throw CloudCredentialError(
                "aws shared files",
                "no credentials found: no AWS_ACCESS_KEY_ID, no web identity, no container credentials, and no "
                    + "profile \(name) in \(path(configFile: false)) or \(path(configFile: true))"
            )
        }
        // The credentials file wins over the config file, key by key (as in botocore).
        let settings = (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentialsValue in credentialsValue }
        if let roleARN = settings["role_arn"], !roleARN.isEmpty {
            if let tokenFile = settings["web_identity_token_file"], !tokenFile.isEmpty {
                return try await assumeRoleWithWebIdentity(
                    roleARN,
                    tokenFile: tokenFile,
                    region: region,
                    step: "aws profile \(name) (web_identity_token_file)",
                    sessionName: settings["role_session_name"]
                )
            }
            guard let sourceName = settings["source_profile"], !sourceName.isEmpty else {
                throw CloudCredentialError(
                    "aws profile \(name)",
                    "role_arn needs source_profile or web_identity_token_file (credential_source is not supported)"
                )
            }
            var source = self
            source.config.profile = sourceName
            let sourceSettings = ((try source.profile(configFile: true)) ?? [:])
                .merging((try source.profile(configFile: false)) ?? [:]) { _, credentialsValue in credentialsValue }
            guard let sourceKeys = staticKeys(sourceSettings, source: "aws profile \(sourceName)") else {
                throw CloudCredentialError(
                    "aws profile \(name)",
                    "source_profile \(sourceName) has no aws_access_key_id and aws_secret_access_key"
                )
            }
            return try await assumeRole(
                roleARN,
                with: sourceKeys,
                region: region,
                step: "aws profile \(name) (role_arn with source_profile \(sourceName))",
                durationSeconds: settings["duration_seconds"].flatMap { Int($0) },
                sessionName: settings["role_session_name"]
            )
        }
        if settings["credential_process"] != nil || settings["sso_session"] != nil || settings["sso_start_url"] != nil {
            throw CloudCredentialError(
                "aws profile \(name)",
                "credential_process and SSO profiles need the AWS CLI; use auth.exec for them, or keys, a role or "
                    + "web identity"
            )
        }
        guard let keys = staticKeys(settings, source: "aws profile \(name) (shared files)") else {
            throw CloudCredentialError(
                "aws profile \(name)",
                "the profile has no aws_access_key_id and aws_secret_access_key"
            )
        }
        return keys
    }

    func staticKeys(_ settings: [String: String], source: String) -> AWSCredentials? {
        guard let id = settings["aws_access_key_id"], !id.isEmpty,
            let secret = settings["aws_secret_access_key"], !secret.isEmpty
        else { return nil }
        let session = settings["aws_session_token"].flatMap { $0.isEmpty ? nil : Secret($0) }
        return AWSCredentials(accessKeyID: id, secretAccessKey: Secret(secret), sessionToken: session, source: source)
    }

    /// The shared file's path: `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`, else `~/.aws/credentials` /
    /// `~/.aws/config`.
    func path(configFile: Bool) -> String {
        if let path = nonEmpty(configFile ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE") {
            return expandHome(path)
        }
        return (nonEmpty("HOME") ?? NSHomeDirectory()) + (configFile ? "/.aws/config" : "/.aws/credentials")
    }

    /// The profile's settings in one shared file; nil when the file or the profile is absent.
    func profile(configFile: Bool) throws(CloudCredentialError) -> [String: String]? {
        let path = path(configFile: configFile)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        switch CredentialFiles.read(path, what: configFile ? "AWS config file" : "AWS credentials file") {
        case .success(let read): text = read
        case .failure(let failure): throw CloudCredentialError("aws shared files", failure.message)
        }
        do throws(AWSSharedFiles.ParseError) {
            return try AWSSharedFiles.parse(text, isConfigFile: configFile)[profileName]
        } catch {
            throw CloudCredentialError(
                "aws shared files",
                "\(path) line \(error.line): \(error.reason)"
            )
        }
    }

    // MARK: STS

    /// STS `AssumeRoleWithWebIdentity` (unsigned) with the token read from `tokenFile` now (it rotates).
    func assumeRoleWithWebIdentity(
        _ roleARN: String,
        tokenFile: String,
        region: String,
        step: String,
        sessionName profileSessionName: String? = nil
    ) async throws(CloudCredentialError) -> AWSCredentials {
        let token: String
        switch CredentialFiles.read(expandHome(tokenFile), what: "web identity token file") {
        case .success(let text): token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .failure(let failure): throw CloudCredentialError(step, failure.message)
        }
        guard !token.isEmpty else {
            throw CloudCredentialError(step, "the web identity token file \(tokenFile) is empty")
        }
        let body = CloudHTTP.form([
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName(profileSessionName)), ("WebIdentityToken", token),
        ])
        return try await callSTS(
            "AssumeRoleWithWebIdentity",
            body: body,
            signedWith: nil,
            region: region,
            step: step,
            source: "web identity"
        )
    }

    /// STS `AssumeRole`, signed with `credentials`; `durationSeconds` is the profile's `duration_seconds`.
    func assumeRole(
        _ roleARN: String,
        with credentials: AWSCredentials,
        region: String,
        step: String,
        durationSeconds: Int? = nil,
        sessionName profileSessionName: String? = nil
    ) async throws(CloudCredentialError) -> AWSCredentials {
        var pairs = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName(profileSessionName)),
        ]
        if let durationSeconds { pairs.append(("DurationSeconds", String(durationSeconds))) }
        let body = CloudHTTP.form(pairs)
        return try await callSTS(
            "AssumeRole",
            body: body,
            signedWith: credentials,
            region: region,
            step: step,
            source: "role_arn, on \(credentials.source)"
        )
    }

    func callSTS(
        _ action: String,
        body: String,
        signedWith credentials: AWSCredentials?,
        region: String,
        step: String,
        source: String
    ) async throws(CloudCredentialError) -> AWSCredentials {
        let url = stsEndpoint(region: region) + "/"
        var headers: [(String, String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        if let credentials {
            let components = URLComponents(string: url)
            let host = (components?.host ?? "") + (components?.port.map { ":\($0)" } ?? "")
            headers = SigV4.signedPOSTHeaders(
                host: host,
                path: "/",
                body: body,
                credentials: credentials,
                region: region,
                service: "sts",
                date: now()
            )
        }
        let response = try await http.send(.POST, url, headers: headers, body: body, step: step)
        let endpoint = CloudHTTP.endpoint(url)
        guard response.status == 200 else {
            var reason = "STS \(action) at \(endpoint) answered HTTP \(response.status)"
            if let error = STSResponse.error(in: response.body) {
                reason += " \(CloudCredentialError.sanitized(error.code))"
                if let message = error.message, !message.isEmpty {
                    reason += ": \(CloudCredentialError.sanitized(message))"
                }
            }
            throw CloudCredentialError(step, reason)
        }
        guard var credentials = STSResponse.credentials(in: response.body, source: source) else {
            throw CloudCredentialError(step, "STS \(action) at \(endpoint) answered without credentials")
        }
        guard credentials.expiration != nil else {
            throw CloudCredentialError(step, "STS \(action) at \(endpoint) answered credentials without an expiry")
        }
        credentials.obtainedAt = now()
        return credentials
    }

    // MARK: Container credentials (EKS Pod Identity, ECS)

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity) or `…_RELATIVE_URI` (ECS), with the authorization
    /// token from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read now: it rotates) or `…_TOKEN`.
    func containerCredentials() async throws(CloudCredentialError) -> AWSCredentials {
        let step = "aws container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
        let url =
            nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            ?? "http://169.254.170.2" + (nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ?? "")
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let file = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            switch CredentialFiles.read(expandHome(file), what: "container authorization token file") {
            case .success(let text):
                headers.append(("Authorization", text.trimmingCharacters(in: .whitespacesAndNewlines)))
            case .failure(let failure): throw CloudCredentialError(step, failure.message)
            }
        } else if let token = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            headers.append(("Authorization", token))
        }
        let response = try await http.send(.GET, url, headers: headers, step: step)
        let endpoint = CloudHTTP.endpoint(url)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any]
        guard response.status == 200 else {
            var reason = "\(endpoint) answered HTTP \(response.status)"
            if let code = (object?["code"] ?? object?["Code"]) as? String {
                reason += " \(CloudCredentialError.sanitized(code))"
            }
            throw CloudCredentialError(step, reason)
        }
        guard let object, let id = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String,
            !id.isEmpty, !secret.isEmpty
        else { throw CloudCredentialError(step, "\(endpoint) answered without AccessKeyId and SecretAccessKey") }
        guard let expiration = (object["Expiration"] as? String).flatMap(CredentialExpiry.parseRFC3339) else {
            throw CloudCredentialError(step, "\(endpoint) answered credentials without an Expiration")
        }
        return AWSCredentials(
            accessKeyID: id,
            secretAccessKey: Secret(secret),
            sessionToken: (object["Token"] as? String).flatMap { $0.isEmpty ? nil : Secret($0) },
            expiration: expiration,
            source: "container credentials",
            identity: object["RoleArn"] as? String,
            obtainedAt: now()
        )
    }

    // MARK: Helpers

    func nonEmpty(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func expandHome(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return (nonEmpty("HOME") ?? NSHomeDirectory()) + path.dropFirst()
    }

    /// The profile's `role_session_name`, else `AWS_ROLE_SESSION_NAME`, else `crowsnest-` and the Unix time (what
    /// STS requires: 2–64 of `[\w+=,.@-]`).
    func sessionName(_ fromProfile: String? = nil) -> String {
        if let fromProfile, !fromProfile.isEmpty { return fromProfile }
        return nonEmpty("AWS_ROLE_SESSION_NAME") ?? "crowsnest-\(Int(now().timeIntervalSince1970))"
    }
}
