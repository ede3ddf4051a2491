// swift-tools-version:6.1
// libFuzzer drivers for Arbiter's parsers: one binary, the target named by ARBITER_FUZZ_TARGET.
// Built and run by scripts/fuzz (release, -sanitize=fuzzer); not part of the main build.
import PackageDescription

let package = Package(
    name: "arbiter-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "arbiter", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "arbiter-fuzz",
            dependencies: ["CFuzzerDriver", .product(name: "ArbiterFuzzing", package: "arbiter")]
        ),
    ]
)
