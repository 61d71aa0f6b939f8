import Foundation
import Testing
import Yams

/// The files under `docker/`: no Docker engine here, so they are linted — every YAML and JSON file parses, the
/// compose services are wired as documented, Prometheus uses `honor_labels: true`, the Grafana provisioning and
/// dashboard reference each other and the gateway's metrics, and the Dockerfile builds the way the README says.
@Suite("Onboarding: docker files")
struct OnboardingDockerTests {
    static let docker = Onboarding.repositoryRoot + "/docker"

    /// Every file under docker/, relative paths.
    static func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: docker) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: docker + "/" + $0, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }.sorted()
    }

    static func yaml(_ path: String) throws -> [String: Any] {
        let text = try Onboarding.read(docker + "/" + path)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(path) is a YAML mapping")
    }

    @Test func everyYAMLAndJSONFileParses() throws {
        let files = Self.files()
        #expect(files.contains("compose.yaml"))
        #expect(files.contains("prometheus.yml"))
        #expect(files.contains("rbac.yaml"))
        #expect(files.contains("Dockerfile"))
        var checked = 0
        for file in files {
            let text = try Onboarding.read(Self.docker + "/" + file)
            if file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                let documents = try Yams.load_all(yaml: text).map { $0 }
                #expect(!documents.isEmpty, "\(file)")
                checked += 1
            } else if file.hasSuffix(".json") {
                _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
                checked += 1
            }
        }
        #expect(checked >= 6)
    }

    @Test func composeRunsTheDemoPrometheusAndGrafana() throws {
        let compose = try Self.yaml("compose.yaml")
        let services = try #require(compose["services"] as? [String: Any])
        #expect(Set(services.keys) == ["crowsnest", "prometheus", "grafana"])

        let crowsnest = try #require(services["crowsnest"] as? [String: Any])
        #expect(crowsnest["command"] as? [String] == ["demo", "--listen", "0.0.0.0:9464"])
        let build = try #require(crowsnest["build"] as? [String: Any])
        #expect(build["dockerfile"] as? String == "docker/Dockerfile")
        let context = try #require(build["context"] as? String)
        #expect(
            FileManager.default.fileExists(atPath: Self.docker + "/" + context + "/" + "docker/Dockerfile"),
            "the build context is the repository root"
        )
        #expect((crowsnest["ports"] as? [String])?.contains("9464:9464") == true)

        let prometheus = try #require(services["prometheus"] as? [String: Any])
        #expect((prometheus["image"] as? String)?.hasPrefix("prom/prometheus:") == true)
        let dependsOn = try #require(prometheus["depends_on"] as? [String: Any])
        #expect((dependsOn["crowsnest"] as? [String: Any])?["condition"] as? String == "service_healthy")

        let grafana = try #require(services["grafana"] as? [String: Any])
        #expect((grafana["image"] as? String)?.hasPrefix("grafana/grafana:") == true)

        // Every bind-mounted host path exists under docker/.
        for (name, service) in services {
            for volume in (service as? [String: Any])?["volumes"] as? [String] ?? [] {
                let host = String(volume.split(separator: ":").first ?? "")
                guard host.hasPrefix("./") else { continue }
                #expect(
                    FileManager.default.fileExists(atPath: Self.docker + "/" + host.dropFirst(2)),
                    "\(name) mounts \(host)"
                )
            }
        }
    }

    @Test func prometheusScrapesTheGatewayWithHonorLabels() throws {
        let config = try Self.yaml("prometheus.yml")
        let jobs = try #require(config["scrape_configs"] as? [[String: Any]])
        let federation = try #require(jobs.first { $0["metrics_path"] as? String == "/metrics" })
        #expect(federation["honor_labels"] as? Bool == true)
        let targets = (federation["static_configs"] as? [[String: Any]])?.flatMap { $0["targets"] as? [String] ?? [] }
        #expect(targets == ["crowsnest:9464"])
        let own = try #require(jobs.first { $0["metrics_path"] as? String == "/-/metrics" })
        #expect(own["job_name"] as? String == "crowsnest-gateway")
        // Job names are unique.
        let names = jobs.compactMap { $0["job_name"] as? String }
        #expect(Set(names).count == names.count)
    }

    @Test func grafanaProvisionsTheDataSourceAndTheDashboard() throws {
        let datasources = try Self.yaml("grafana/provisioning/datasources/prometheus.yaml")
        let source = try #require((datasources["datasources"] as? [[String: Any]])?.first)
        #expect(source["type"] as? String == "prometheus")
        #expect(source["url"] as? String == "http://prometheus:9090")
        let uid = try #require(source["uid"] as? String)

        let providers = try Self.yaml("grafana/provisioning/dashboards/crowsnest.yaml")
        let provider = try #require((providers["providers"] as? [[String: Any]])?.first)
        let path = try #require((provider["options"] as? [String: Any])?["path"] as? String)
        let compose = try Self.yaml("compose.yaml")
        let grafana = try #require((compose["services"] as? [String: Any])?["grafana"] as? [String: Any])
        let volumes = grafana["volumes"] as? [String] ?? []
        #expect(volumes.contains { $0.hasPrefix("./grafana/dashboards:\(path)") })
        #expect(volumes.contains { $0.hasPrefix("./grafana/provisioning:/etc/grafana/provisioning") })

        let text = try Onboarding.read(Self.docker + "/grafana/dashboards/crowsnest.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        var expressions: [String] = []
        for panel in panels {
            #expect((panel["datasource"] as? [String: Any])?["uid"] as? String == uid, "\(panel["title"] ?? "")")
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                #expect((target["datasource"] as? [String: Any])?["uid"] as? String == uid)
                if let expression = target["expr"] as? String { expressions.append(expression) }
            }
        }
        let all = expressions.joined(separator: "\n")
        for metric in [
            "crowsnest_targets", "crowsnest_scrapes_total", "crowsnest_credential_expiry_timestamp_seconds", "up{",
            "container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "node!=\"\"",
        ] {
            #expect(all.contains(metric), "a panel uses \(metric)")
        }
        #expect(all.contains("by (cluster"), "panels are per cluster")
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(variables.contains { $0["name"] as? String == "cluster" })
    }

    // MARK: - Dockerfile

    /// The Dockerfile's instructions with continuation lines joined and comments dropped.
    static func instructions() throws -> [(keyword: String, arguments: String)] {
        let text = try Onboarding.read(docker + "/Dockerfile")
        var result: [(String, String)] = []
        var current = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && current.isEmpty) { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            let trimmed = current.trimmingCharacters(in: .whitespaces)
            current = ""
            guard !trimmed.isEmpty else { continue }
            let keyword = String(trimmed.prefix { !$0.isWhitespace }).uppercased()
            let arguments = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            result.append((keyword, arguments))
        }
        return result
    }

    @Test func dockerfileIsMultiStageNonRootWithVolumePortAndHealthcheck() throws {
        let instructions = try Self.instructions()
        let froms = instructions.filter { $0.keyword == "FROM" }.map(\.arguments)
        #expect(froms.count == 2)
        #expect(froms.first?.hasPrefix("swift:${SWIFT_VERSION}") == true && froms.first?.hasSuffix(" AS build") == true)
        #expect(froms.last?.contains("slim") == true)
        let swiftVersion = instructions.first { $0.keyword == "ARG" && $0.arguments.hasPrefix("SWIFT_VERSION=") }
        #expect(swiftVersion?.arguments.hasPrefix("SWIFT_VERSION=6.") == true)

        // The runtime stage: everything after the last FROM.
        let lastFrom = try #require(instructions.lastIndex { $0.keyword == "FROM" })
        let runtime = instructions[lastFrom...]
        let user = try #require(runtime.last { $0.keyword == "USER" })
        #expect(!user.arguments.hasPrefix("root") && !user.arguments.hasPrefix("0"))
        #expect(runtime.contains { $0.keyword == "VOLUME" && $0.arguments == "/etc/crowsnest/clusters.d" })
        #expect(runtime.contains { $0.keyword == "EXPOSE" && $0.arguments == "9464" })
        // The health check asks the URL `serve` recorded (it follows --listen and TLS), with the binary itself.
        let healthcheck = try #require(runtime.first { $0.keyword == "HEALTHCHECK" })
        #expect(healthcheck.arguments.hasSuffix(#"CMD ["crowsnest", "healthcheck"]"#), "\(healthcheck.arguments)")
        #expect(runtime.contains { $0.keyword == "ENV" && $0.arguments.hasPrefix("CROWSNEST_HEALTH_FILE=") })
        // The runtime needs no curl and no Swift image: the static binary's libraries, CA certificates, tini.
        let installs = runtime.filter { $0.keyword == "RUN" && $0.arguments.contains("install") }.map(\.arguments)
        #expect(installs.contains { $0.contains("tini") && $0.contains("libstdc++6") && $0.contains("zlib1g") })
        #expect(!installs.contains { $0.contains("curl") })
        #expect(runtime.contains { $0.keyword == "COPY" && $0.arguments.contains("--from=build") })
        // OCI labels carry the version and the revision given as build arguments.
        let labels = runtime.filter { $0.keyword == "LABEL" }.map(\.arguments).joined(separator: " ")
        #expect(labels.contains(#"org.opencontainers.image.version="${VERSION}""#))
        #expect(labels.contains(#"org.opencontainers.image.revision="${REVISION}""#))
        let stamp = instructions[..<lastFrom].filter { $0.keyword == "RUN" }.map(\.arguments)
        #expect(stamp.contains { $0.contains("${REVISION}") && $0.contains("BuildRevision.swift") })

        // ENTRYPOINT + CMD = tini -- crowsnest serve --config-dir /etc/crowsnest/clusters.d --listen 0.0.0.0:9464
        func array(_ keyword: String) throws -> [String] {
            let instruction = try #require(runtime.last { $0.keyword == keyword })
            return try #require(
                try JSONSerialization.jsonObject(with: Data(instruction.arguments.utf8)) as? [String],
                "\(keyword) in exec form"
            )
        }
        #expect(
            try array("ENTRYPOINT") + array("CMD") == [
                "/usr/bin/tini", "--", "crowsnest", "serve", "--config-dir", "/etc/crowsnest/clusters.d", "--listen",
                "0.0.0.0:9464",
            ]
        )
    }

    /// The build stage installs zlib1g-dev and runs the README's build command.
    @Test func dockerfileBuildsTheWayTheREADMESays() throws {
        let instructions = try Self.instructions()
        let lastFrom = try #require(instructions.lastIndex { $0.keyword == "FROM" })
        let buildRuns = instructions[..<lastFrom].filter { $0.keyword == "RUN" }.map(\.arguments)
        #expect(buildRuns.contains { $0.contains("apt-get") && $0.contains("zlib1g-dev") })
        let canonical = "swift build -c release --static-swift-stdlib --product crowsnest"
        #expect(buildRuns.contains { $0.contains(canonical) })
        // Any release build command the README gives must be what the image runs.
        let readme = try Onboarding.read(Onboarding.repositoryRoot + "/README.md")
        for line in readme.split(separator: "\n") where line.contains("swift build -c release") {
            guard let start = line.range(of: "swift build") else { continue }
            var command = String(line[start.lowerBound...])
            if let end = command.firstIndex(where: { $0 == "`" || $0 == "#" }) { command = String(command[..<end]) }
            command = command.trimmingCharacters(in: .whitespaces)
            #expect(buildRuns.contains { $0.contains(command) }, "README: \(command)")
        }
        // The context filter keeps build folders and real cluster files out of the image build.
        let ignore = try Onboarding.read(Self.docker + "/Dockerfile.dockerignore")
        #expect(ignore.contains(".build"))
        #expect(ignore.contains("clusters.d/*.yaml"))
    }
}
