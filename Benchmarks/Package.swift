// swift-tools-version:6.1
import Foundation
import PackageDescription

// Arbiter's own package is the parent directory; a path dependency's identity is that directory's
// name, which depends on where the repository was cloned.
let arbiterPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "arbiter-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "MetricsBenchmark",
            dependencies: [
                .product(name: "ArbiterMetrics", package: arbiterPackage),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "JobsBenchmark",
            dependencies: [
                .product(name: "ArbiterApp", package: arbiterPackage),
                .product(name: "ArbiterCore", package: arbiterPackage),
                .product(name: "ArbiterJobs", package: arbiterPackage),
                .product(name: "ArbiterMetrics", package: arbiterPackage),
                .product(name: "ArbiterStorage", package: arbiterPackage),
                .product(name: "ArbiterTesting", package: arbiterPackage),
                .product(name: "ArbiterWorkerKit", package: arbiterPackage),
                .product(name: "ArbiterWorkerProtocol", package: arbiterPackage),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        // The workload and process measurements the benchmarks share.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "ArbiterMetrics", package: arbiterPackage)],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "RemoteWriteBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "ArbiterCore", package: arbiterPackage),
                .product(name: "ArbiterMetrics", package: arbiterPackage),
                .product(name: "ArbiterTSDB", package: arbiterPackage),
                .product(name: "ArbiterRemoteWrite", package: arbiterPackage),
                .product(name: "ArbiterTesting", package: arbiterPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "RulesBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "ArbiterCore", package: arbiterPackage),
                .product(name: "ArbiterMetrics", package: arbiterPackage),
                .product(name: "ArbiterTSDB", package: arbiterPackage),
                .product(name: "ArbiterPromQL", package: arbiterPackage),
                .product(name: "ArbiterRules", package: arbiterPackage),
                .product(name: "ArbiterTesting", package: arbiterPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
