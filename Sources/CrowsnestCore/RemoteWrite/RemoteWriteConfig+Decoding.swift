extension RemoteWriteConfig {
    /// The keys of one `remote_write` entry.
    static let keys = [
        "url", "name", "protocol", "remote_timeout", "headers", "authorization", "basic_auth", "tls_config",
        "write_relabel_configs", "queue_config", "buffer", "flush_deadline",
    ]
    /// The keys of `queue_config`.
    static let queueKeys = [
        "capacity", "max_shards", "min_shards", "max_samples_per_send", "batch_send_deadline", "min_backoff",
        "max_backoff", "retry_on_http_429",
    ]
    /// Headers Crowsnest sets itself, which an entry may not override (as Prometheus refuses them).
    static let reservedHeaders: Set<String> = [
        "authorization", "host", "content-encoding", "content-length", "content-type", "user-agent", "connection",
        "keep-alive", "proxy-authenticate", "proxy-authorization", "www-authenticate", "retry-after",
        "x-prometheus-remote-write-version",
    ]

    /// Decodes the `remote_write:` list, reporting every problem (also two entries with one name).
    static func decodeList(
        _ node: ConfigNode,
        decoder d: ConfigDecoder,
        baseDirectory: String,
        homeDirectory: String?
    ) -> [RemoteWriteConfig] {
        guard case .sequence(let items) = node.kind else {
            d.error(.wrongType, at: node, "remote_write", "expected a list of destinations, got \(node.typeName)")
            return []
        }
        var entries: [RemoteWriteConfig] = []
        var names: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let field = "remote_write[\(index)]"
            guard
                let entry = decode(
                    item,
                    field: field,
                    decoder: d,
                    baseDirectory: baseDirectory,
                    homeDirectory: homeDirectory
                )
            else { continue }
            if let first = names[entry.name] {
                d.error(
                    .duplicateName,
                    at: item,
                    "\(field).name",
                    "\(ConfigText.quote(entry.name)) is also the name of remote_write[\(first)]; names must be unique"
                )
                continue
            }
            names[entry.name] = index
            entries.append(entry)
        }
        return entries
    }

    private static func decode(
        _ node: ConfigNode,
        field: String,
        decoder d: ConfigDecoder,
        baseDirectory: String,
        homeDirectory: String?
    ) -> RemoteWriteConfig? {
        guard let fields = d.mapping(node, field: field, known: keys) else { return nil }
        let before = d.problems.count
        func path(_ fields: ConfigFields, _ key: String) -> String? {
            guard let node = fields[key], let written = d.string(node, fields.path(key)) else { return nil }
            switch ConfigPaths.resolve(written, baseDirectory: baseDirectory, homeDirectory: homeDirectory) {
            case .success(let resolved): return resolved
            case .failure(let failure):
                d.error(.invalidValue, at: node, fields.path(key), failure.reason)
                return nil
            }
        }
        guard let url = d.string(fields, "url") else {
            if !fields.has("url") { d.error(.missingField, at: node, fields.path("url"), "required") }
            return nil
        }
        guard let host = Self.host(ofURL: url) else {
            d.error(
                .invalidValue,
                at: fields["url"],
                fields.path("url"),
                "expected an http:// or https:// URL with a host, such as http://127.0.0.1:8428/api/v1/write"
            )
            return nil
        }
        var config = RemoteWriteConfig(url: url, name: d.string(fields, "name") ?? host)
        if config.name.isEmpty { d.error(.invalidValue, at: fields["name"], fields.path("name"), "must not be empty") }
        if let text = d.string(fields, "protocol") {
            if let version = RemoteWriteProtocol(rawValue: text) {
                config.protocolVersion = version
            } else {
                d.error(
                    .invalidValue,
                    at: fields["protocol"],
                    fields.path("protocol"),
                    "\(ConfigText.quote(text)) is not supported; use v1 (remote-write 1.0)"
                )
            }
        }
        if let timeout = d.duration(fields, "remote_timeout") { config.remoteTimeout = timeout }
        if let deadline = d.duration(fields, "flush_deadline", allowZero: true) { config.flushDeadline = deadline }
        if let headersNode = fields["headers"] {
            config.headers = decodeHeaders(headersNode, field: fields.path("headers"), decoder: d)
        }
        if let auth = fields["authorization"],
            let block = d.mapping(auth, field: fields.path("authorization"), known: ["type", "credentials_file"])
        {
            let type = d.string(block, "type") ?? "Bearer"
            if type.lowercased() == "basic" {
                d.error(.invalidValue, at: block["type"], block.path("type"), "use basic_auth for Basic")
            }
            if let file = path(block, "credentials_file") {
                config.authentication = .authorization(type: type, credentialsFile: file)
            } else if !block.has("credentials_file") {
                d.error(
                    .missingField,
                    at: auth,
                    block.path("credentials_file"),
                    "required (credentials are read from a file, never written in crowsnest.yaml)"
                )
            }
        }
        if let basic = fields["basic_auth"],
            let block = d.mapping(basic, field: fields.path("basic_auth"), known: ["username", "password_file"])
        {
            if fields.has("authorization") {
                d.error(.conflict, at: basic, fields.path("basic_auth"), "use either authorization or basic_auth")
            }
            let username = d.string(block, "username")
            let file = path(block, "password_file")
            if username == nil { d.error(.missingField, at: basic, block.path("username"), "required") }
            if !block.has("password_file") {
                d.error(.missingField, at: basic, block.path("password_file"), "required")
            }
            if let username, let file { config.authentication = .basic(username: username, passwordFile: file) }
        }
        if let tls = fields["tls_config"],
            let block = d.mapping(
                tls,
                field: fields.path("tls_config"),
                known: ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"]
            )
        {
            config.tls.caFile = path(block, "ca_file")
            config.tls.certFile = path(block, "cert_file")
            config.tls.keyFile = path(block, "key_file")
            config.tls.serverName = d.string(block, "server_name")
            config.tls.insecureSkipVerify = d.bool(block, "insecure_skip_verify") ?? false
            if (config.tls.certFile == nil) != (config.tls.keyFile == nil) {
                d.error(.missingField, at: tls, block.path("cert_file"), "cert_file and key_file go together")
            }
            if config.tls.insecureSkipVerify {
                d.warning(
                    .insecure,
                    at: block["insecure_skip_verify"],
                    block.path("insecure_skip_verify"),
                    "the receiver's certificate is not verified"
                )
            }
        }
        if let rules = fields["write_relabel_configs"] {
            config.writeRelabelRules = RelabelRule.decodeList(
                rules,
                field: fields.path("write_relabel_configs"),
                decoder: d
            )
        }
        if let queue = fields["queue_config"],
            let block = d.mapping(queue, field: fields.path("queue_config"), known: queueKeys)
        {
            config.queue = decodeQueue(block, decoder: d)
        }
        if let buffer = fields["buffer"],
            let block = d.mapping(buffer, field: fields.path("buffer"), known: ["dir", "max_size", "max_age"])
        {
            if let directory = path(block, "dir") {
                var settings = RemoteWriteBufferConfig(directory: directory)
                if let size = d.byteCount(block, "max_size") {
                    if size.bytes < 1 << 20 {
                        d.error(.invalidValue, at: block["max_size"], block.path("max_size"), "must be at least 1MiB")
                    }
                    settings.maxSize = size
                }
                if let age = d.duration(block, "max_age") { settings.maxAge = age }
                settings.segmentSize = ByteCount(
                    bytes: min(settings.segmentSize.bytes, max(settings.maxSize.bytes / 8, 64 << 10))
                )
                config.buffer = settings
            } else if !block.has("dir") {
                d.error(.missingField, at: buffer, block.path("dir"), "required")
            }
        }
        return Array(d.problems[before...]).containsError ? nil : config
    }

    private static func decodeHeaders(_ node: ConfigNode, field: String, decoder d: ConfigDecoder) -> [String: String] {
        guard case .mapping(let entries) = node.kind else {
            d.error(.wrongType, at: node, field, "expected a mapping of header names to values, got \(node.typeName)")
            return [:]
        }
        var headers: [String: String] = [:]
        for entry in entries {
            guard case .scalar(let name, _) = entry.key.kind else {
                d.error(.wrongType, at: entry.key, field, "header names must be strings")
                continue
            }
            let path = "\(field).\(name)"
            let validName =
                !name.isEmpty
                && name.utf8.allSatisfy { ConfigText.isASCIIAlphanumeric($0) || "-_.!#$%&'*+^`|~".utf8.contains($0) }
            guard validName else {
                d.error(.invalidValue, at: entry.key, path, "not a valid HTTP header name")
                continue
            }
            if reservedHeaders.contains(name.lowercased()) {
                d.error(.invalidValue, at: entry.key, path, "is set by Crowsnest and cannot be configured")
                continue
            }
            guard let value = d.string(entry.value, path) else { continue }
            if value.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) {
                d.error(.invalidValue, at: entry.value, path, "must not contain line breaks")
                continue
            }
            headers[name] = value
        }
        return headers
    }

    private static func decodeQueue(_ block: ConfigFields, decoder d: ConfigDecoder) -> RemoteWriteQueueConfig {
        var queue = RemoteWriteQueueConfig()
        if let value = d.int(block, "capacity", in: 1...10_000_000) { queue.capacity = value }
        if let value = d.int(block, "max_shards", in: 1...256) { queue.maxShards = value }
        _ = d.int(block, "min_shards", in: 1...256)  // accepted for compatibility; the shard count is max_shards
        if let value = d.int(block, "max_samples_per_send", in: 1...1_000_000) { queue.maxSamplesPerSend = value }
        if let value = d.duration(block, "batch_send_deadline") { queue.batchSendDeadline = value }
        if let value = d.duration(block, "min_backoff") { queue.minBackoff = value }
        if let value = d.duration(block, "max_backoff") { queue.maxBackoff = value }
        if let value = d.bool(block, "retry_on_http_429") { queue.retryOnHTTP429 = value }
        if queue.maxBackoff < queue.minBackoff {
            d.error(
                .invalidValue,
                at: block["max_backoff"] ?? block.node,
                block.path("max_backoff"),
                "must be at least min_backoff"
            )
        }
        return queue
    }

    /// The `host[:port]` of an `http`/`https` URL, `nil` when it is not one.
    static func host(ofURL url: String) -> String? {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: \.isWhitespace) else {
            return nil
        }
        return String(authority)
    }
}
