// swift-tools-version:6.0
import PackageDescription

// One pipeline, one module per stage (see README "Layout"):
// CPcap → Capture → Dissect → Flows → Report → callpath. Wire holds the shared byte-level types.
let package = Package(
    name: "callpath",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "callpath", targets: ["callpath"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .target(name: "Wire"),
        .target(name: "Capture", dependencies: ["CPcap", "Wire"]),
        // swift-crypto opens QUIC Initial packets (AES-GCM, HKDF, and AES-ECB for header protection).
        .target(
            name: "Dissect",
            dependencies: [
                "Wire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "Flows", dependencies: ["Wire", "Dissect"]),
        .target(name: "Calls", dependencies: ["Wire", "Dissect", "Flows"]),
        .target(name: "Judge", dependencies: ["Wire", "Dissect", "Flows", "Calls"]),
        .target(name: "Pipeline", dependencies: ["Capture", "Dissect", "Flows", "Calls", "Judge", "Report", "Wire"]),
        .target(name: "Report", dependencies: ["Wire", "Dissect", "Flows", "Judge"]),
        .executableTarget(
            name: "callpath",
            dependencies: [
                "Capture", "Dissect", "Flows", "Judge", "Pipeline", "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "DissectTests", dependencies: ["Dissect", "Wire"]),
        .testTarget(name: "FlowsTests", dependencies: ["Flows", "Dissect", "Wire"]),
        .testTarget(name: "JudgeTests", dependencies: ["Judge", "Calls", "Wire"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Flows", "Judge", "Capture", "Report", "Wire"]),
        .testTarget(name: "EndToEndTests", dependencies: ["callpath"]),
    ]
)
