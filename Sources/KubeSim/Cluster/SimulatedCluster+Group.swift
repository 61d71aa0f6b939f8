extension SimulatedCluster {
    /// Runs several clusters (each on its own port) for the duration of `body`, then shuts them all down.
    public static func withRunning<Result: Sendable>(
        _ clusters: [SimulatedCluster],
        _ body: ([SimulatedCluster]) async throws -> Result
    ) async throws -> Result {
        for cluster in clusters { cluster.listener.prepareForRun() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for cluster in clusters {
                group.addTask { try await cluster.run() }
            }
            do {
                for cluster in clusters { try await cluster.waitUntilListening() }
                let result = try await body(clusters)
                group.cancelAll()
                try? await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
