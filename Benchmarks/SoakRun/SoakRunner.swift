import AsyncHTTPClient
import Foundation
import KubeSim

/// Runs the soak: simulated clusters in-process, `crowsnest serve` as a child, chaos for the middle of the run,
/// samples every few seconds, then the summary.
struct SoakRunner {
    let options: SoakOptions

    /// What the chaos task hands back.
    struct ChaosOutcome: Sendable {
        var counts: [String: Int]
        var failures: [String]
    }

    /// Runs and returns the exit status (0 when no crash, no failed readiness and the budget held).
    func run() async throws -> Int32 {
        let output = URL(fileURLWithPath: options.outputDirectory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        log("seed \(options.seed); \(options.minutes) min; output \(output); gateway \(options.binary)")
        guard FileManager.default.isExecutableFile(atPath: options.binary) else {
            log("no executable at \(options.binary) (build it: swift build -c release --product crowsnest)")
            return 2
        }
        let topology = try DemoTopology(seriesPerPod: options.seriesPerPod)
        let tokens = topology.members.map(\.gatewayToken)
        let recorder = try SoakRecorder(csvPath: output + "/samples.csv", latencyPath: output + "/metrics-latency.csv")
        let status = SoakStatus()
        let options = self.options
        return try await SimulatedCluster.withRunning(topology.clusters) { _ in
            let world = try SoakWorld(
                topology: topology,
                directory: output + "/world",
                scrapeInterval: options.scrapeInterval
            )
            let port = try GatewayProcess.freeLoopbackPort()
            let gateway = GatewayProcess(
                binary: options.binary,
                arguments: [
                    "serve", "--config-dir", world.clusterDirectory, "--config", world.globalConfigFile,
                    "--listen", "127.0.0.1:\(port)", "--log-level", "notice",
                ],
                stderrPath: output + "/gateway-stderr.log"
            )
            try gateway.start()
            let probe = GatewayProbe(client: .shared, base: "http://127.0.0.1:\(port)")
            log("gateway pid \(gateway.pid ?? -1) on 127.0.0.1:\(port); waiting for /-/ready")
            var crashes: [String] = []
            guard await waitUntilReady(probe, gateway: gateway, seconds: 60) else {
                log("the gateway never became ready (\(gateway.termination)); stderr tail:\n\(gateway.stderrTail())")
                gateway.stop()
                return 1
            }
            let clock = ContinuousClock()
            let start = clock.now
            let warmEnd = start.advanced(by: options.warmUp)
            let end = start.advanced(by: options.total)
            let chaosEnd = end.advanced(by: .zero - options.quietTail)
            func elapsed() -> Double { seconds(clock.now - start) }
            log(
                "ready; warm-up until \(Int(seconds(options.warmUp))) s, chaos until \(Int(seconds(chaosEnd - start))) s, end at \(Int(seconds(options.total))) s"
            )

            let outcome = await withTaskGroup(of: ChaosOutcome?.self) { group in
                group.addTask {
                    try? await Task.sleep(until: warmEnd, clock: clock)
                    var monkey = ChaosMonkey(
                        world: world,
                        tokens: tokens,
                        seed: options.seed,
                        seriesPerPod: options.seriesPerPod,
                        status: status
                    )
                    await monkey.run(actionEvery: options.actionEvery, until: chaosEnd)
                    return ChaosOutcome(counts: monkey.counts, failures: monkey.failures)
                }
                group.addTask {
                    var next = clock.now
                    while clock.now < end {
                        let at = seconds(clock.now - start)
                        let phase = status.snapshot.phase
                        do {
                            let fetch = try await probe.fetchMetrics()
                            recorder.add(
                                LatencyRecord(
                                    seconds: at,
                                    phase: phase,
                                    latency: fetch.seconds,
                                    series: recorder.lastSeriesHeld,
                                    bytes: fetch.bytes,
                                    sampleLines: fetch.sampleLines,
                                    error: fetch.status == 200 ? nil : "HTTP \(fetch.status)"
                                )
                            )
                        } catch {
                            recorder.add(
                                LatencyRecord(seconds: at, phase: phase, latency: nil, series: nil, error: "\(error)")
                            )
                        }
                        next = next.advanced(by: .milliseconds(Int64(options.latencyEvery * 1000)))
                        if next < clock.now { next = clock.now }
                        try? await Task.sleep(until: min(next, end), clock: clock)
                    }
                    return nil
                }
                // The sampler runs here (it owns the child process).
                var nextSample = clock.now
                var lastPrint = -60.0
                while clock.now < end {
                    if !gateway.isRunning, let pid = gateway.pid {
                        let finding =
                            "at \(Int(elapsed())) s pid \(pid) ended (\(gateway.termination)); stderr tail:\n\(gateway.stderrTail())"
                        crashes.append(finding)
                        log("GATEWAY CRASHED \(finding)")
                        do { try gateway.start() } catch { log("cannot restart the gateway: \(error)") }
                    }
                    if let pid = gateway.pid, let stats = ProcessStats.read(pid: pid) {
                        let health = await probe.health()
                        let fetch = recorder.lastSuccessfulFetch
                        let snapshot = status.snapshot
                        let sample = SoakSample(
                            seconds: elapsed(),
                            phase: clock.now < warmEnd ? "warm-up" : snapshot.phase,
                            residentKilobytes: stats.residentKilobytes,
                            openFiles: stats.openFiles,
                            threads: stats.threads,
                            cpuSeconds: stats.cpuSeconds,
                            loadAverage: ProcessStats.loadAverage(),
                            seriesHeld: health.seriesHeld,
                            targetsUp: health.targetsUp,
                            targetsTotal: health.targetsTotal,
                            clustersOK: health.clustersOK,
                            clusters: health.clusters,
                            metricsSeconds: fetch?.latency,
                            metricsBytes: fetch?.bytes,
                            metricsSamples: fetch?.sampleLines,
                            churnPods: snapshot.churnPods,
                            activeFaults: snapshot.activeFaults,
                            actionsDone: snapshot.actionsDone
                        )
                        recorder.add(sample)
                        if sample.seconds - lastPrint >= 60 {
                            lastPrint = sample.seconds
                            log(
                                "t=\(Int(sample.seconds))s \(sample.phase) rss=\(sample.residentKilobytes / 1024)MiB fds=\(sample.openFiles) threads=\(sample.threads) series=\(sample.seriesHeld ?? -1) targets=\(sample.targetsUp)/\(sample.targetsTotal) /metrics=\(fetch?.latency.map { String(format: "%.3fs", $0) } ?? "-") actions=\(sample.actionsDone)"
                            )
                        }
                    }
                    nextSample = nextSample.advanced(by: .milliseconds(Int64(options.sampleEvery * 1000)))
                    if nextSample < clock.now { nextSample = clock.now }
                    try? await Task.sleep(until: min(nextSample, end), clock: clock)
                }
                var outcome: ChaosOutcome?
                for await result in group {
                    if let result { outcome = result }
                }
                return outcome
            }
            let stillRunning = gateway.isRunning
            let ending = gateway.stop()
            if !stillRunning, let pid = gateway.pid {
                crashes.append("at the end pid \(pid) had ended (\(ending)); stderr tail:\n\(gateway.stderrTail())")
            }
            let summary = SoakSummary(
                options: options,
                samples: recorder.samples,
                latencies: recorder.latencies,
                counts: outcome?.counts ?? [:],
                chaosFailures: outcome?.failures ?? [],
                crashes: crashes,
                gatewayShutdown: ending
            )
            let text = summary.text(outputDirectory: output)
            try Data(text.utf8).write(to: URL(fileURLWithPath: output + "/summary.txt"))
            print(text)
            return summary.passed ? 0 : 1
        }
    }

    private func waitUntilReady(_ probe: GatewayProbe, gateway: GatewayProcess, seconds: Int) async -> Bool {
        for _ in 0..<(seconds * 5) {
            if !gateway.isRunning { return false }
            if await probe.isReady() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A progress line on stderr (stdout carries the summary).
func log(_ text: String) {
    FileHandle.standardError.write(Data("soak: \(text)\n".utf8))
}
