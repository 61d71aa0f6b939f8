// swift-tools-version: 6.1
import PackageDescription

/// Compiler settings every target shares (as in swift-log's Package.swift).
let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "crowsnest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "crowsnest", targets: ["crowsnest"]),
        .library(name: "CrowsnestCore", targets: ["CrowsnestCore"]),
        .library(name: "CrowsnestKube", targets: ["CrowsnestKube"]),
        .library(name: "CrowsnestGateway", targets: ["CrowsnestGateway"]),
        .library(name: "KubeSim", targets: ["KubeSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // Without its default SubprocessFoundation trait (Data input/output), which we do not use.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        // Pure logic: exposition formats, relabeling, target model, config model. No I/O.
        .target(
            name: "CrowsnestCore",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // I/O: Kubernetes API client, credentials, TLS material, discovery, cluster-file loading.
        .target(
            name: "CrowsnestKube",
            dependencies: [
                "CrowsnestCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                // FilePath and Errno for Subprocess; Apple platforms take them from the SDK's System instead.
                .product(
                    name: "SystemPackage",
                    package: "swift-system",
                    condition: .when(platforms: [.linux, .windows, .android, .wasi, .openbsd])
                ),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // I/O: the gateway — scraping, serving, clusters.d watching, health pages.
        // glibc's mallopt (malloc.h is not part of the Glibc module).
        .target(name: "CAllocatorTuning"),
        // Snappy block compression for remote-write bodies: Debian's libsnappy-dev (scripts/install-deps.sh).
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        // zlib (CRC-32; raw deflate for gzip serving): Debian's zlib1g-dev, already linked by CompressNIO.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "CrowsnestGateway",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "CAllocatorTuning",
                "CSnappy",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The Kubernetes API simulator used by tests, benchmarks and `crowsnest demo`.
        .target(
            name: "KubeSim",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // The thin executable.
        .executableTarget(
            name: "crowsnest",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "CrowsnestGateway",
                "KubeSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Benchmarks: a bench executable printing figures as ratios against same-run baselines.
        .executableTarget(
            name: "CrowsnestBench",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestGateway",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Benchmarks/CrowsnestBench"
        ),
        .executableTarget(
            name: "DiscoveryBench",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "KubeSim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/DiscoveryBench"
        ),
        .executableTarget(
            name: "KubeSimBench",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "KubeSim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KubeSimBench"
        ),
        .executableTarget(
            name: "HealthPageBench",
            dependencies: ["CrowsnestGateway"],
            path: "Benchmarks/HealthPageBench"
        ),
        // Scrape cost and scale against vmagent and Prometheus: simulated clusters for out-of-process peers.
        .executableTarget(
            name: "ScrapeBench",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "CrowsnestGateway",
                "KubeSim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ScrapeBench",
            exclude: ["lib.sh"]
        ),
        // The 30-minute soak: churn and random faults against a `crowsnest serve` child process.
        .executableTarget(
            name: "SoakRun",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "KubeSim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/SoakRun"
        ),
        // Test support shared by the test targets: peer binaries, child processes, temporary folders, free ports.
        .target(name: "PeerSupport", path: "Tests/PeerSupport"),
        .testTarget(name: "CrowsnestCoreTests", dependencies: ["CrowsnestCore"]),
        .testTarget(
            name: "CrowsnestKubeTests",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "KubeSim",
                "PeerSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CrowsnestGatewayTests",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestGateway",
                "CrowsnestKube",
                "KubeSim",
                "PeerSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "KubeSimTests",
            dependencies: [
                "KubeSim",
                "PeerSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // The built-in cloud credentials (aws, gcp) against moto_server, botocore, google-auth and KubeSim.
        .testTarget(
            name: "CloudCredentialTests",
            dependencies: [
                "CrowsnestCore",
                "CrowsnestKube",
                "KubeSim",
                "PeerSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + upcomingFeatures
}
