// Crowsnest benchmarks: figures printed as ratios against baselines measured in the same run.
//
//   swift run -c release CrowsnestBench exposition [--testdata DIR]   parser/renderer throughput and allocations
//   swift run -c release CrowsnestBench generate --bytes N --out FILE  a valid text payload of about N bytes
import CrowsnestCore
import Foundation
import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
let command = arguments.first ?? "exposition"

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else {
        return nil
    }
    return arguments[arguments.index(after: index)]
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Runs `body` repeatedly for at least `minimum` seconds (and at least 3 times, at most 10,000): seconds per run.
func measure(minimum: Double = 1.0, _ body: () -> Void) -> Double {
    body()  // warm-up
    var runs = 0
    let start = now()
    while runs < 3 || (now() - start < minimum && runs < 10_000) {
        body()
        runs += 1
    }
    return (now() - start) / Double(runs)
}

/// Runs `baseline` and `candidate` alternately (so machine load hits both alike): seconds per run of each.
func measureInterleaved(minimum: Double = 1.5, baseline: () -> Void, candidate: () -> Void) -> (Double, Double) {
    baseline()
    candidate()
    var baselineTime = 0.0
    var candidateTime = 0.0
    var rounds = 0
    let start = now()
    while rounds < 5 || (now() - start < minimum && rounds < 10_000) {
        let t0 = now()
        baseline()
        let t1 = now()
        candidate()
        let t2 = now()
        baselineTime += t1 - t0
        candidateTime += t2 - t1
        rounds += 1
    }
    return (baselineTime / Double(rounds), candidateTime / Double(rounds))
}

func mib(_ bytes: Int, _ seconds: Double) -> Double { Double(bytes) / seconds / 1_048_576 }

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func allocations(_ body: () -> Void) -> Int {
    body()
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    body()
    MallocInterposerSwift.unhook()
    return MallocInterposerSwift.getStatistics().mallocCount
}

func benchScrapeRender(_ payload: [UInt8]) {
    let payloadFormat: ExpositionFormat = payload.suffix(6).elementsEqual("# EOF\n".utf8) ? .openMetrics : .text
    let labels = [
        Label("cluster", "bench-0"), Label("namespace", "bench"), Label("pod_name", "app-0"), Label("bench", "scrape"),
    ]
    var options = ScrapeRenderOptions(targetLabels: labels, timestampMilliseconds: 1_764_000_000_000)
    options.spareCapacity = 1024
    let scanLines = {
        payload.withUnsafeBytes { buffer in
            var offset = 0
            let base = buffer.baseAddress!
            while offset < buffer.count, let found = memchr(base + offset, 0x0A, buffer.count - offset) {
                offset = base.distance(to: UnsafeRawPointer(found)) + 1
            }
        }
    }
    var reused = ScrapeRenderer()
    let (memchrFresh, fresh) = measureInterleaved(baseline: scanLines) {
        var renderer = ScrapeRenderer()
        _ = try? renderer.render(payload, format: payloadFormat, options: options)
    }
    let (memchrReused, reusedSeconds) = measureInterleaved(baseline: scanLines) {
        _ = try? reused.render(payload, format: payloadFormat, options: options)
    }
    print("scrape-render: \(payload.count) bytes (\(payloadFormat))")
    print(
        "  fresh renderer:  \(format(fresh * 1e6, 1)) µs  (\(format(100 * memchrFresh / fresh, 2)) % of memchr speed)"
    )
    print(
        "  reused renderer: \(format(reusedSeconds * 1e6, 1)) µs  (\(format(100 * memchrReused / reusedSeconds, 2)) % of memchr speed)"
    )
}

func benchExposition() throws {
    MallocInterposerSwift.initialize()
    let testdata = option("--testdata") ?? "Tests/TestData"
    let files = [
        "corpora/prometheus-textparse/alltypes.237mfs.prom.txt",
        "corpora/node_exporter/collector/fixtures/e2e-output.txt",
        "generated",  // 1 MiB from `generate`: 200 series per counter family, histograms
    ]
    let options = ScrapeRenderOptions(
        targetLabels: [
            Label("cluster", "aws-eu-west-1"), Label("namespace", "payments"), Label("pod_name", "api-7d9f8-x2k4q"),
        ],
        timestampMilliseconds: 1_764_000_000_000
    )
    print("Exposition benchmark (release build expected; figures in MiB/s of input bytes)")
    print(
        pad("file", 26),
        pad("memchr", 10),
        pad("parse", 9),
        pad("strict", 9),
        pad("render", 9),
        pad("render/memchr", 14),
        pad("parse allocs/sample", 20),
        "render allocs/sample"
    )
    for path in files {
        let bytes: [UInt8]
        if path == "generated" {
            bytes = generatedPayload(bytes: 1 << 20).bytes
        } else {
            let url = URL(fileURLWithPath: testdata).appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                print("missing \(url.path): pass --testdata DIR")
                exit(2)
            }
            bytes = [UInt8](data)
        }
        var samples = 0
        var lines = 0
        bytes.withUnsafeBytes { buffer in
            // Baseline: memchr over the same bytes, counting lines.
            let scanLines = {
                var count = 0
                var offset = 0
                let base = buffer.baseAddress!
                while offset < buffer.count, let found = memchr(base + offset, 0x0A, buffer.count - offset) {
                    count += 1
                    offset = base.distance(to: UnsafeRawPointer(found)) + 1
                }
                lines = count
            }
            let parser = ExpositionParser(format: .text, mode: .scrape)
            let strictParser = ExpositionParser(format: .text, mode: .strict)
            let parseSeconds = measure {
                var visitor = DiscardingVisitor()
                samples = (try? parser.parse(buffer, visitor: &visitor))?.sampleCount ?? -1
            }
            let strictSeconds = measure {
                var visitor = DiscardingVisitor()
                _ = try? strictParser.parse(buffer, visitor: &visitor)
            }
            var renderer = ScrapeRenderer()
            var outputBytes = 0
            let (memchrSeconds, renderSeconds) = measureInterleaved(baseline: scanLines) {
                outputBytes = (try? renderer.render(buffer, format: .text, options: options))?.bytes.count ?? -1
            }
            let parseAllocations = allocations {
                var visitor = DiscardingVisitor()
                _ = try? parser.parse(buffer, visitor: &visitor)
            }
            let renderAllocations = allocations { _ = try? renderer.render(buffer, format: .text, options: options) }
            let families = (try? renderer.render(buffer, format: .text, options: options))?.families.count ?? 0
            let name = (path as NSString).lastPathComponent
            print(
                pad(name, 26),
                pad(format(mib(buffer.count, memchrSeconds)), 10),
                pad(format(mib(buffer.count, parseSeconds)), 9),
                pad(format(mib(buffer.count, strictSeconds)), 9),
                pad(format(mib(buffer.count, renderSeconds)), 9),
                pad(format(100 * memchrSeconds / renderSeconds, 2) + " %", 14),
                pad(format(Double(parseAllocations) / Double(samples), 4), 20),
                format(Double(renderAllocations) / Double(samples), 4)
            )
            print(
                "  \(buffer.count) bytes, \(lines) lines, \(samples) samples; render output \(outputBytes) bytes; "
                    + "allocations per run: parse \(parseAllocations), render \(renderAllocations) "
                    + "(\(families) output families: \(format(Double(renderAllocations) / Double(max(families, 1)), 2)) per family)"
            )
        }
    }
    print("render = parse (scrape mode) + inject cluster/namespace/pod_name + write text with timestamps.")
    print("memchr and render are measured alternately in the same loop; render/memchr is their speed ratio.")
    print("Goal (issue 2): render >= 2 % of memchr speed; allocations scale with families, not samples.")
}

/// Writes a valid text payload of about `target` bytes: counters, gauges, histograms with realistic labels.
func generate(bytes target: Int, to path: String) throws {
    let (out, family) = generatedPayload(bytes: target)
    try Data(out).write(to: URL(fileURLWithPath: path))
    print("wrote \(out.count) bytes, \(family) family groups to \(path)")
}

func generatedPayload(bytes target: Int) -> (bytes: [UInt8], families: Int) {
    var out: [UInt8] = []
    out.reserveCapacity(target + 4096)
    var family = 0
    while out.count < target {
        let name = "app_requests_\(family)"
        out.append(contentsOf: "# HELP \(name)_total Requests handled.\n# TYPE \(name)_total counter\n".utf8)
        for series in 0..<200 {
            out.append(
                contentsOf:
                    "\(name)_total{method=\"GET\",code=\"\(200 + series % 5)\",handler=\"/api/v1/items/\(series)\",instance=\"10.0.\(series % 250).\(family % 250):8080\"} \(series * 7919 + family)\n"
                    .utf8
            )
        }
        let histogram = "app_latency_\(family)_seconds"
        out.append(contentsOf: "# HELP \(histogram) Latency.\n# TYPE \(histogram) histogram\n".utf8)
        for series in 0..<20 {
            var cumulative = 0
            for bound in ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"] {
                cumulative += series + 1
                out.append(contentsOf: "\(histogram)_bucket{route=\"r\(series)\",le=\"\(bound)\"} \(cumulative)\n".utf8)
            }
            out.append(contentsOf: "\(histogram)_sum{route=\"r\(series)\"} \(Double(cumulative) * 0.137)\n".utf8)
            out.append(contentsOf: "\(histogram)_count{route=\"r\(series)\"} \(cumulative)\n".utf8)
        }
        out.append(
            contentsOf: "# HELP app_temperature_\(family) A gauge.\n# TYPE app_temperature_\(family) gauge\n".utf8
        )
        out.append(
            contentsOf: "app_temperature_\(family){sensor=\"s\(family)\"} \(Double(family) * 0.5 - 12.25)\n".utf8
        )
        family += 1
    }
    return (out, family)
}

switch command {
case "exposition":
    try benchExposition()
case "serving":
    try await benchServing()
case "check":
    // Strict checks of a file, timed (for profiling the `check metrics` path): serial, then in parallel pieces
    // as `crowsnest check metrics` runs them; both must find the same problems.
    guard let path = arguments.dropFirst().first, let data = FileManager.default.contents(atPath: path) else {
        print("usage: CrowsnestBench check FILE [--serial-only]")
        exit(2)
    }
    let processors = ProcessInfo.processInfo.activeProcessorCount
    let pieces = MetricsChecker.pieceCount(byteCount: data.count, processors: processors)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
    defer { buffer.deallocate() }
    data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
    let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<data.count])
    var start = now()
    let serial = MetricsChecker.check(payload, format: nil, lint: false)
    let serialSeconds = now() - start
    print(
        "serial:   \(serial.errors.count) problems, \(format(serialSeconds, 3)) s, \(format(mib(data.count, serialSeconds))) MiB/s"
    )
    if !arguments.contains("--serial-only") {
        start = now()
        let parallel = await MetricsChecker.check(payload, format: nil, lint: false, pieces: pieces)
        let parallelSeconds = now() - start
        print(
            "parallel: \(parallel.errors.count) problems, \(format(parallelSeconds, 3)) s, "
                + "\(format(mib(data.count, parallelSeconds))) MiB/s (\(pieces) pieces, \(processors) processors)"
        )
        if parallel.errors != serial.errors {
            print("MISMATCH: parallel and serial problems differ")
            exit(1)
        }
    }
case "scrape-render":
    // One scrape's CPU work on a captured payload (OpenMetrics when it ends with `# EOF`): render with a fresh
    // renderer (as each scrape did) and with a reused one, in microseconds per payload and as a share of memchr.
    guard let path = arguments.dropFirst().first, let data = FileManager.default.contents(atPath: path) else {
        print("usage: CrowsnestBench scrape-render FILE")
        exit(2)
    }
    benchScrapeRender([UInt8](data))
case "generate":
    guard let size = option("--bytes").flatMap(Int.init), let path = option("--out") else {
        print("usage: CrowsnestBench generate --bytes N --out FILE")
        exit(2)
    }
    try generate(bytes: size, to: path)
default:
    print(
        "usage: CrowsnestBench [exposition [--testdata DIR] | serving [--targets N --series M] | check FILE [--serial-only] | scrape-render FILE | generate --bytes N --out FILE]"
    )
    exit(2)
}
