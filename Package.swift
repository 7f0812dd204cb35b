// swift-tools-version:6.2
// charnn: a character-level RNN / LSTM / GRU trainer and sampler. No package dependencies.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment

/// Set by the Makefile for this repository's own builds: `make` writes the build's commit into
/// Sources/charnn/BuildInfo+Commit.swift (git-ignored), compiled in place of BuildInfo.swift's default.
let localBuild = environment["CHARNN_LOCAL_BUILD"] == "1"
let buildInfo: [SwiftSetting] = localBuild ? [.define("CHARNN_BUILD_INFO")] : []

/// The CPU the numeric library is compiled for: the Makefile says `native`; a package that depends
/// on this one gets the toolchain's generic target unless its builder sets CHARNN_TARGET_CPU too
/// (native, or a baseline such as x86-64-v3 that has the FMA instructions the kernels want).
let targetCPU = environment["CHARNN_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }

// The kernels are written with SIMD types; they only become AVX/FMA instructions when the
// compiler may target a CPU that has them (targetCPU). Bounds and exclusivity checks are dropped
// from release builds of the numeric library only (the CLI keeps its checks). SwiftPM accepts these
// flags from a versioned dependency from tools version 6.2.
let fastMath: [SwiftSetting] = (targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []) + [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// The bfloat16 kernels (AVX-512 BF16) are C with per-function target attributes, chosen at run time;
// -O3 in every configuration, so the debug build's tests run them at speed too.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3"])]

let package = Package(
    name: "charnn",
    products: [
        .library(name: "CharRNN", targets: ["CharRNN"]),
        .executable(name: "charnn", targets: ["charnn"]),
    ],
    targets: [
        .target(name: "CBF16", cSettings: kernelFlags),
        .target(name: "CharRNN", dependencies: ["CBF16"], swiftSettings: fastMath),
        .executableTarget(name: "charnn", dependencies: ["CharRNN"], swiftSettings: buildInfo),
        .target(name: "TestSupport", dependencies: ["CharRNN"], path: "Tests/TestSupport"),
        .testTarget(name: "CharRNNTests", dependencies: ["CharRNN", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
