// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "fastiofs",
    products: [
        .executable(name: "fastiofs", targets: ["fastiofs"]),
        .executable(name: "fastio-emulator", targets: ["fastio-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        // pkg-config carriers: empty module maps, no code.
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The few C wrappers Swift cannot call directly (macros, variadics, opaque loop config).
        .target(name: "CFuseShim", dependencies: ["CFuse3"]),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),

        // The Fast.io API client over libcurl. Knows nothing about FUSE.
        .target(
            name: "FastIO",
            dependencies: ["CCurlShim", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // The filesystem core: node cache, namespace, streamer, (later) uploader and poller. No libfuse.
        .target(
            name: "FastIOFS",
            dependencies: ["FastIO", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // The low-level FUSE adapter: op table, replies, session loop, kernel invalidation. No policy.
        .target(
            name: "FuseBridge",
            dependencies: ["FastIOFS", "CFuseShim", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // `--metrics-addr`: the Prometheus registry, what it samples at scrape time, and the small HTTP
        // server that answers `GET /metrics`. Used only by the `fastiofs` executable.
        .target(
            name: "FastIOFSMetrics",
            dependencies: ["FastIO", "FastIOFS", "FuseBridge",
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // The local Fast.io API server. Shares no code with the client.
        .target(
            name: "FastIOEmulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        .executableTarget(
            name: "fastiofs",
            dependencies: [
                "FastIO", "FastIOFS", "FuseBridge", "FastIOFSMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "fastio-emulator",
            dependencies: [
                "FastIOEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Test support: starts a real emulator process on a free port, mounts, cleans up.
        .target(name: "EmulatorHarness", path: "Tests/EmulatorHarness", swiftSettings: strict),

        .testTarget(name: "FastIOEmulatorTests", dependencies: ["EmulatorHarness"], swiftSettings: strict),
        .testTarget(name: "FastIOEmulatorUnitTests", dependencies: ["FastIOEmulator"], swiftSettings: strict),
        .testTarget(name: "FastIOTests", dependencies: ["FastIO", "EmulatorHarness"], swiftSettings: strict),
        .testTarget(name: "FastIOFSTests", dependencies: ["FastIOFS", "FastIO", "EmulatorHarness"], swiftSettings: strict),
        .testTarget(name: "MountTests", dependencies: ["EmulatorHarness", "CFuseShim"], swiftSettings: strict),
        // FuseBridge through the real kernel, against an in-memory FilesystemOperations double.
        .testTarget(name: "FuseBridgeTests", dependencies: ["FuseBridge", "FastIOFS", "FastIO"], swiftSettings: strict),
        // The metrics exposition and its HTTP server, without a mount.
        .testTarget(name: "FastIOFSMetricsTests", dependencies: ["FastIOFSMetrics", "FastIO", "FastIOFS", "FuseBridge"],
                    swiftSettings: strict),
    ]
)

// `scripts/fuzz.sh`: libFuzzer targets, declared only when FASTIOFS_FUZZ is set. They have no `main`
// (libFuzzer's comes with `-sanitize=fuzzer`), so they link only in that build.
if Context.environment["FASTIOFS_FUZZ"] != nil {
    let fuzzTargets: [(name: String, directory: String, dependencies: [Target.Dependency])] = [
        ("FuzzEnvelope", "Envelope", ["FastIO"]),
        ("FuzzNode", "Node", ["FastIO", "FastIOFS"]),
        ("FuzzTimestamp", "Timestamp", ["FastIO", "FastIOFS"]),
        ("FuzzRateLimit", "RateLimit", ["FastIO"]),
        ("FuzzPosixNames", "PosixNames", ["FastIOFS"]),
        ("FuzzMultipart", "Multipart", ["FastIOEmulator"]),
        ("FuzzByteRange", "ByteRange", ["FastIOEmulator"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: target.dependencies, path: "Tests/Fuzz/\(target.directory)",
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library", "-import-objc-header",
                                                   Context.packageDirectory + "/Tests/Fuzz/FuzzDriver.h"])]))
    }
}
