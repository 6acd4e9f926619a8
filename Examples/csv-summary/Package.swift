// swift-tools-version: 6.1
import PackageDescription

// An example of using Sluice as a library: a package of its own that depends on the root
// package by path and runs a DataFrame job written here, not one of the built-in pipelines.
let package = Package(
    name: "csv-summary",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sluice", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "csv-summary",
            dependencies: [
                .product(name: "SluiceCore", package: "Sluice"),
                .product(name: "SluiceEngine", package: "Sluice"),
                .product(name: "SluiceIO", package: "Sluice"),
            ]
        ),
    ]
)
