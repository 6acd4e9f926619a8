public import Foundation
public import Testing

/// Where the tests find Apache Spark: `SLUICE_SPARK_HOME`, else the pyspark that
/// `Benchmarks/peers/run --venv-only` installs into `Benchmarks/.venv` (its `bin/spark-sql`),
/// with Java on the PATH. Suites that need Spark are enabled only when it is there; CI
/// installs it and runs them in a phase of their own.
public enum SparkTestEnvironment {
    /// The Spark home, or nil when there is none.
    public static let sparkHome: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["SLUICE_SPARK_HOME"], !home.isEmpty {
            return FileManager.default.isExecutableFile(atPath: home + "/bin/spark-sql") ? home : nil
        }
        guard environment["SLUICE_SPARK_TESTS"] == "1" else { return nil }
        let lib = TestSupport.repositoryRoot.appendingPathComponent("Benchmarks/.venv/lib").path
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
        for version in versions.sorted() where version.hasPrefix("python") {
            let home = "\(lib)/\(version)/site-packages/pyspark"
            if FileManager.default.isExecutableFile(atPath: home + "/bin/spark-sql") { return home }
        }
        return nil
    }()

    public static var available: Bool { sparkHome != nil }

    public static let skipReason: Comment =
        "no Spark: set SLUICE_SPARK_HOME, or SLUICE_SPARK_TESTS=1 with Benchmarks/.venv installed (Benchmarks/peers/run --venv-only)"
}
