// swift-tools-version: 6.1
import PackageDescription

// Micro benchmarks (ordo-one/benchmark), a package of their own so the main build never
// pulls in the benchmark harness. Run from this folder:
//   swift package benchmark                 # all
//   swift package benchmark --filter CSV    # one group
let package = Package(
    name: "SluiceBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Not a micro benchmark: times PostgreSQL loads end to end (Benchmarks/load/run).
        .executableTarget(
            name: "LoadBenchmark",
            dependencies: [
                .product(name: "SluiceCore", package: "Sluice"),
                .product(name: "SluicePostgres", package: "Sluice"),
            ],
            path: "Sources/LoadBenchmark"
        ),
        .executableTarget(
            name: "IOBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "Sluice"),
                .product(name: "SluiceEngine", package: "Sluice"),
                .product(name: "SluiceIO", package: "Sluice"),
                .product(name: "SluicePipelines", package: "Sluice"),
            ],
            path: "Benchmarks/IOBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "Sluice"),
                .product(name: "SluiceEngine", package: "Sluice"),
                .product(name: "SluicePostgres", package: "Sluice"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
