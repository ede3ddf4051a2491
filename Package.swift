// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "arbiter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "arbiter", targets: ["arbiter"]),
        .library(name: "ArbiterCore", targets: ["ArbiterCore"]),
        .library(name: "ArbiterMetrics", targets: ["ArbiterMetrics"]),
        .library(name: "ArbiterJobs", targets: ["ArbiterJobs"]),
        .library(name: "ArbiterTSDB", targets: ["ArbiterTSDB"]),
        .library(name: "ArbiterPromQL", targets: ["ArbiterPromQL"]),
        .library(name: "ArbiterRules", targets: ["ArbiterRules"]),
        .library(name: "ArbiterNotifier", targets: ["ArbiterNotifier"]),
        .library(name: "ArbiterStorage", targets: ["ArbiterStorage"]),
        .library(name: "ArbiterHTTP", targets: ["ArbiterHTTP"]),
        .library(name: "ArbiterApp", targets: ["ArbiterApp"]),
        .library(name: "ArbiterWorkerProtocol", targets: ["ArbiterWorkerProtocol"]),
        .library(name: "ArbiterWorkerKit", targets: ["ArbiterWorkerKit"]),
        .library(name: "ArbiterTesting", targets: ["ArbiterTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C libraries from Debian: a module map with `link` and a one-line header each, no logic.
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(name: "ArbiterCore", swiftSettings: swiftSettings),
        .target(
            name: "ArbiterMetrics",
            dependencies: [
                "ArbiterCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "ArbiterJobs", dependencies: ["ArbiterCore"], swiftSettings: swiftSettings),
        .target(name: "ArbiterTSDB", dependencies: ["ArbiterCore"], swiftSettings: swiftSettings),
        .target(name: "ArbiterPromQL", dependencies: ["ArbiterCore", "ArbiterTSDB"], swiftSettings: swiftSettings),
        .target(
            name: "ArbiterNotifier",
            dependencies: [
                "ArbiterCore", "ArbiterMetrics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArbiterRules",
            dependencies: ["ArbiterCore", "ArbiterTSDB", "ArbiterPromQL", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "ArbiterWorkerProtocol", swiftSettings: swiftSettings),
        .target(
            name: "ArbiterWorkerKit",
            dependencies: [
                "ArbiterCore",
                "ArbiterWorkerProtocol",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArbiterStorage",
            dependencies: [
                "ArbiterCore", "ArbiterJobs", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArbiterHTTP",
            dependencies: [
                "ArbiterCore",
                "ArbiterJobs",
                "ArbiterMetrics",
                "ArbiterTSDB",
                "ArbiterPromQL",
                "ArbiterRules",
                "ArbiterWorkerProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArbiterApp",
            dependencies: [
                "ArbiterCore",
                "ArbiterMetrics",
                "ArbiterHTTP",
                "ArbiterJobs",
                "ArbiterStorage",
                "ArbiterTSDB",
                "ArbiterPromQL",
                "ArbiterRules",
                "ArbiterNotifier",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "arbiter",
            dependencies: [
                "ArbiterApp",
                "ArbiterCore",
                "ArbiterJobs",
                "ArbiterPromQL",
                "ArbiterRules",
                "ArbiterStorage",
                "ArbiterWorkerKit",
                "ArbiterWorkerProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ArbiterTesting",
            dependencies: [
                "ArbiterCore",
                "ArbiterTSDB",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "CLibrariesTests",
            dependencies: ["CLibPQ", "CHiredis", "CProtobufC", "CSnappy", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArbiterMetricsTests",
            dependencies: [
                "ArbiterMetrics", "ArbiterTesting",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ArbiterCoreTests", dependencies: ["ArbiterCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterJobsTests", dependencies: ["ArbiterJobs", "ArbiterTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterTSDBTests", dependencies: ["ArbiterTSDB"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterPromQLTests", dependencies: ["ArbiterPromQL", "ArbiterTSDB"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterRulesTests", dependencies: ["ArbiterRules", "ArbiterPromQL", "ArbiterTSDB"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterWorkerProtocolTests", dependencies: ["ArbiterWorkerProtocol"], swiftSettings: swiftSettings),
        .testTarget(name: "ArbiterStorageTests", dependencies: ["ArbiterStorage", "ArbiterJobs", "ArbiterTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ArbiterAppTests",
            dependencies: [
                "ArbiterApp", "ArbiterHTTP", "ArbiterJobs", "ArbiterMetrics", "ArbiterStorage", "ArbiterTesting", "ArbiterWorkerProtocol",
                "ArbiterTSDB", "ArbiterPromQL", "ArbiterRules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArbiterIntegrationTests",
            dependencies: [
                "ArbiterTesting", "ArbiterStorage", "ArbiterHTTP", "ArbiterJobs", "ArbiterRules", "arbiter",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
