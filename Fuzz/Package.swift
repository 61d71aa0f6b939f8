// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer targets for Crowsnest's untrusted-input parsers (issue 8 item 3).
///
/// Build only through `scripts/fuzz.sh`, which passes `-sanitize=fuzzer` (and `-parse-as-library`, so libFuzzer's
/// `main` is the entry point) to every Swift module. A plain `swift build` here links no fuzzer and fails.
let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "crowsnest-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "crowsnest", path: ".."),
        // Already in the root package's graph (same pin); the watch target feeds `ByteBuffer` chunks.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // libFuzzer's driver entry point, declared for Swift.
        .target(name: "CLibFuzzer"),
        // Shared helpers: the entry point, splitting a fuzz input into parts, reporting invariant violations.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        // The exposition parser (text 0.0.4 and OpenMetrics 1.0, strict and scrape), writer round trip, renderer.
        .executableTarget(
            name: "FuzzExposition",
            dependencies: ["FuzzSupport", .product(name: "CrowsnestCore", package: "crowsnest")]
        ),
        // PrometheusRegex: compile a fuzzed pattern, match fuzzed inputs, expand templates; relabel rules.
        .executableTarget(
            name: "FuzzRelabelRegex",
            dependencies: ["FuzzSupport", .product(name: "CrowsnestCore", package: "crowsnest")]
        ),
        // Cluster files (clusters.d/*.yaml) and crowsnest.yaml, from YAML bytes through the loaders.
        .executableTarget(
            name: "FuzzClusterFile",
            dependencies: [
                "FuzzSupport",
                .product(name: "CrowsnestCore", package: "crowsnest"),
                .product(name: "CrowsnestKube", package: "crowsnest"),
            ]
        ),
        // The pod list / watch-event JSON decoding of discovery, and the targets computed from it.
        .executableTarget(
            name: "FuzzWatchEvent",
            dependencies: [
                "FuzzSupport",
                .product(name: "CrowsnestCore", package: "crowsnest"),
                .product(name: "CrowsnestKube", package: "crowsnest"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + upcomingFeatures
}
