import ArgumentParser
import SluiceCore
import SluiceSpark

/// `--engine spark` and where the Spark run goes: the pipeline's plan compiled to Spark SQL,
/// run by `spark-sql` on any master, its results loaded by Sluice.
struct SparkOptions: ParsableArguments {
    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case local, spark
    }

    @Option(help: ArgumentHelp("Where the plan runs: local (this process) or spark (compiled to Spark SQL, run by spark-sql).", valueName: "local|spark"))
    var engine: Engine = .local

    @Option(name: .customLong("spark-home"), help: "The Spark install (default: $SPARK_HOME, then spark-sql on the PATH).")
    var sparkHome: String?

    @Option(help: "Spark's master URL: local[N], spark://host:7077, yarn, k8s://… (default local[*]).")
    var master: String?

    @Option(name: .customLong("spark-conf"), help: ArgumentHelp("A Spark setting, key=value; repeat for more.", valueName: "key=value"))
    var sparkConf: [String] = []

    @Option(help: "Folder for staged inputs and Spark's results, reachable under the same path by Sluice, the driver and the executors (default: under --temp-dir).")
    var staging: String?

    @Flag(name: .customLong("keep-staging"), help: "Keep the staging folder (the script, Spark's log, the part files).")
    var keepStaging = false

    func validate() throws {
        guard engine == .spark || (sparkHome == nil && master == nil && sparkConf.isEmpty && staging == nil && !keepStaging) else {
            throw ValidationError("--spark-home, --master, --spark-conf, --staging and --keep-staging need --engine spark")
        }
        do {
            _ = try SparkSettings.parseConf(sparkConf)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The Spark settings, or nil for the local engine.
    func settings() throws -> SparkSettings? {
        guard engine == .spark else { return nil }
        return SparkSettings(sparkHome: sparkHome, master: master ?? "local[*]", conf: try SparkSettings.parseConf(sparkConf), staging: staging,
                             keepStaging: keepStaging)
    }
}
