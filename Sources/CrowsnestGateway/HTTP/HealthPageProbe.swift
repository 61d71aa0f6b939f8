import AsyncHTTPClient
import CrowsnestCore
import CrowsnestKube
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The cheap API server check behind the health page's "API server" column: `GET /version` with the cluster's
/// credentials, at most once per `maxAge` per cluster, run when a page or the JSON API asks (no background task).
///
/// Any HTTP answer means reachable (401 also tells the page the credential is rejected); a transport error or the
/// deadline means unreachable. Results are cached so a page refresh every few seconds costs one request per
/// cluster per `maxAge`; a slow API server delays the page by at most `timeout`.
///
/// The RBAC self-check rides along: every `permissionsMaxAge` the permissions the cluster file needs
/// (``RequiredPermission/required(by:)``) are asked with `SelfSubjectAccessReview`s, and the missing ones are shown.
final class HealthPageProbe: Sendable {
    private let cache = Mutex<[String: ClusterReport.APIServerCheck]>([:])
    private let maxAge: Double
    private let permissionsMaxAge: Double
    private let timeout: TimeAmount

    init(maxAge: Double = 10, permissionsMaxAge: Double = 120, timeout: TimeAmount = .seconds(2)) {
        self.maxAge = maxAge
        self.permissionsMaxAge = permissionsMaxAge
        self.timeout = timeout
    }

    /// The latest check of every running cluster, refreshing those older than `maxAge` concurrently.
    func checks(for entries: [ClusterSupervisor.ClusterEntry]) async -> [String: ClusterReport.APIServerCheck] {
        let now = Date().timeIntervalSince1970
        let running = entries.compactMap { entry in entry.runtime.map { (entry.name, $0) } }
        let cached = cache.withLock { $0 }
        let stale = running.filter { name, _ in (cached[name].map { now - $0.checkedAtTime >= maxAge }) ?? true }
        let timeout = timeout
        let permissionsMaxAge = permissionsMaxAge
        let fresh = await withTaskGroup(of: (String, ClusterReport.APIServerCheck).self) { group in
            for (name, runtime) in stale {
                group.addTask { (name, await Self.check(runtime.client, timeout: timeout)) }
            }
            var results: [String: ClusterReport.APIServerCheck] = [:]
            for await (name, check) in group { results[name] = check }
            return results
        }
        // The RBAC self-check, after the group and one cluster at a time: permissions change rarely, so they are
        // asked again only after `permissionsMaxAge`, and only of a server that accepts the credential; a review that
        // could not be asked keeps the previous answer and is tried with the next check.
        var refreshed = fresh
        for (name, runtime) in stale {
            guard var check = refreshed[name] else { continue }
            check.missingPermissions = cached[name]?.missingPermissions
            check.permissionsCheckedAtTime = cached[name]?.permissionsCheckedAtTime
            let due = check.permissionsCheckedAtTime.map { now - $0 >= permissionsMaxAge } ?? true
            let accepted = check.httpStatus.map { $0 < 400 || $0 == 403 } ?? false
            if due && check.reachable && accepted && !Task.isCancelled,
                let missing = await Self.permissions(runtime.client, timeout: timeout * 3)
            {
                check.missingPermissions = missing
                check.permissionsCheckedAtTime = now
            }
            refreshed[name] = check
        }
        let names = Set(running.map(\.0))
        return cache.withLock { cache in
            cache.merge(refreshed) { _, new in new }
            cache = cache.filter { names.contains($0.key) }
            return cache
        }
    }

    /// The missing permissions, by name; nil when the reviews could not be asked.
    static func permissions(_ client: KubeClusterClient, timeout: TimeAmount) async -> [String]? {
        let required = RequiredPermission.required(by: client.config)
        do {
            return try await client.missingPermissions(required, deadline: .now() + timeout).map(\.description)
        } catch {
            return nil
        }
    }

    static func check(_ client: KubeClusterClient, timeout: TimeAmount) async -> ClusterReport.APIServerCheck {
        let started = ContinuousClock.now
        let at = Date().timeIntervalSince1970
        func elapsed() -> Double {
            let duration = ContinuousClock.now - started
            return duration.inSeconds * 1000
        }
        do {
            let response = try await client.get(path: "/version", query: nil, headers: [:], deadline: .now() + timeout)
            _ = try? await response.body.collect(upTo: 64 << 10)
            let status = Int(response.status.code)
            let error: String? =
                switch status {
                case 200..<300: nil
                case 401: "the API server rejects the credential (HTTP 401)"
                case 403: "the API server forbids GET /version (HTTP 403)"
                default: "the API server answered HTTP \(status)"
                }
            return ClusterReport.APIServerCheck(
                reachable: true,
                httpStatus: status,
                latencyMilliseconds: elapsed(),
                checkedAtTime: at,
                error: error
            )
        } catch {
            return ClusterReport.APIServerCheck(
                reachable: false,
                latencyMilliseconds: nil,
                checkedAtTime: at,
                error: "API server unreachable: \(error.message.prefix(300))"
            )
        }
    }
}
