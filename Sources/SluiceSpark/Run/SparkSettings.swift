import Foundation
public import SluiceCore

/// Where and how a run's Spark script runs: `sluice run … --engine spark [--spark-home DIR]
/// [--master URL] [--spark-conf k=v …] [--staging DIR] [--keep-staging]`.
public struct SparkSettings: Sendable {
    /// The Spark installation (with `bin/spark-sql`); nil: `SPARK_HOME`, then `spark-sql` on the PATH.
    public var sparkHome: String?
    /// The master URL: `local[N]`, `spark://host:7077`, `yarn`, `k8s://…`.
    public var master: String
    /// Extra Spark settings, applied after Sluice's own (so a user's value wins).
    public var conf: [(String, String)]
    /// Where inputs Spark cannot read are staged and where the results are written; it must
    /// be reachable under the same path by Sluice, the driver and every executor. nil: a
    /// folder under the run's temporary directory (fine for `local[N]`).
    public var staging: String?
    /// Leaves the staging folder in place after the run (to look at the part files).
    public var keepStaging: Bool

    public init(sparkHome: String? = nil, master: String = "local[*]", conf: [(String, String)] = [], staging: String? = nil,
                keepStaging: Bool = false) {
        self.sparkHome = sparkHome
        self.master = master
        self.conf = conf
        self.staging = staging
        self.keepStaging = keepStaging
    }

    /// `k=v` pairs from `--spark-conf`, checked.
    /// - Throws: a configuration error for a pair without `=` or with an empty key.
    public static func parseConf(_ pairs: [String]) throws(SluiceError) -> [(String, String)] {
        var parsed: [(String, String)] = []
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw SluiceError(.configuration, "--spark-conf '\(pair)' is not key=value", hint: "for example --spark-conf spark.executor.memory=4g")
            }
            parsed.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
        }
        return parsed
    }

    /// The `spark-sql` program to run.
    /// - Throws: a configuration error saying where it looked.
    public func sparkSQL(environment: [String: String]? = nil) throws(SluiceError) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var tried: [String] = []
        for home in [sparkHome, environment["SPARK_HOME"]].compactMap({ $0 }) where !home.isEmpty {
            let program = (home as NSString).appendingPathComponent("bin/spark-sql")
            if FileManager.default.isExecutableFile(atPath: program) { return program }
            tried.append(program)
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let program = (String(directory) as NSString).appendingPathComponent("spark-sql")
            if FileManager.default.isExecutableFile(atPath: program) { return program }
        }
        throw SluiceError(.configuration, "no Spark found" + (tried.isEmpty ? "" : " (not executable: \(tried.joined(separator: ", ")))"),
                          hint: "give --spark-home DIR or set SPARK_HOME to a Spark 3.5+/4.x install, or `pip install pyspark` and point it at site-packages/pyspark")
    }
}
