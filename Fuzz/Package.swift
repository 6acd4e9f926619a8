// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Sluice's CSV tokenizer and JSON decoder: a package of its own that
// depends on the root package by path, built only with the fuzzer flags
// (scripts/fuzz-libfuzzer.sh). Each target's main file defines LLVMFuzzerTestOneInput and
// hands the bytes to `FuzzEntry` (`@_spi(Fuzzing)` in SluiceIO), which traps on a broken
// invariant.
let package = Package(
    name: "sluice-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: ".."),
    ],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "FuzzCSV", dependencies: ["CFuzzDriver", .product(name: "SluiceIO", package: "Sluice")]),
        .executableTarget(name: "FuzzJSON", dependencies: ["CFuzzDriver", .product(name: "SluiceIO", package: "Sluice")]),
    ]
)
