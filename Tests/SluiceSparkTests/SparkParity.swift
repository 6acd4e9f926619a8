import Foundation
import SluiceCore
import SluiceEngine
import SluiceIO
import SluiceSpark
import SluiceTestSupport

/// Runs the same frames on the local engine and on Spark and returns what each gives: every
/// case's result as CSV text (as Sluice's writer writes it), the rejects and the per-source
/// counts. All the cases of one call run in one Spark script: one JVM start.
enum SparkParity {
    struct Outcome {
        var texts: [String: String] = [:]
        var rejects: [Reject] = []
        var counts: [SourceCounts] = []
        var observations: [String: Int64] = [:]
    }

    /// A case: its name, its frame over sources that report to `rejects`, and whether its
    /// rows are in a defined order (otherwise both sides' rows are compared sorted).
    struct Case {
        var name: String
        var ordered: Bool
        var frame: (RejectSink) throws -> DataFrame
    }

    static var settings: SparkSettings {
        SparkSettings(sparkHome: SparkTestEnvironment.sparkHome, master: "local[2]",
                      conf: [("spark.sql.shuffle.partitions", "2"), ("spark.driver.memory", "1g"), ("spark.default.parallelism", "2")])
    }

    static func local(_ cases: [Case]) throws -> Outcome {
        let runtime = TestSupport.runtime(workers: 2)
        var outcome = Outcome()
        for item in cases {
            let frame = try item.frame(runtime.rejects)
            outcome.texts[item.name] = text(try frame.collect(runtime: runtime), schema: try frame.schema(), ordered: item.ordered)
        }
        return finish(outcome, runtime: runtime)
    }

    static func spark(_ cases: [Case]) throws -> Outcome {
        let runtime = TestSupport.runtime(workers: 2)
        let staging = try TestSupport.temporaryDirectory("sluice-spark").path
        defer { if ProcessInfo.processInfo.environment["SLUICE_KEEP_SPARK_STAGING"] == nil { try? FileManager.default.removeItem(atPath: staging) } }
        var steps: [SparkStep] = []
        for item in cases { steps.append(SparkStep(name: item.name, plan: try item.frame(runtime.rejects).plan)) }
        let script = try SparkJobCompiler.compile(steps, staging: staging, rejects: runtime.rejects) { source, path in
            try SparkStagedInput.write(DataFrame(source), to: path, runtime: runtime)
            return source.schema
        }
        try SparkRunner.run(script, settings: settings, staging: staging, runtime: runtime)
        try SparkOutcome.apply(script, staging: staging, runtime: runtime)
        var outcome = Outcome()
        for item in cases {
            guard let output = script.outputs.first(where: { $0.kind == .result(step: item.name) }) else { continue }
            let source = try SparkResultSource(files: try SparkRunner.partFiles(output, staging: staging), schema: output.schema, name: item.name)
            outcome.texts[item.name] = text(try DataFrame(source).collect(runtime: runtime), schema: output.schema, ordered: item.ordered)
        }
        return finish(outcome, runtime: runtime)
    }

    private static func finish(_ outcome: Outcome, runtime: ExecutionRuntime) -> Outcome {
        var outcome = outcome
        outcome.rejects = ((try? runtime.rejects.allRejects()) ?? []).sorted { ($0.source, $0.line, $0.kind.rawValue) < ($1.source, $1.line, $1.kind.rawValue) }
        outcome.counts = runtime.rejects.sourceCounts.sorted { $0.source < $1.source }
        outcome.observations = Dictionary(runtime.observations.all.map { ($0.name, $0.value) }, uniquingKeysWith: +)
        return outcome
    }

    /// The rows as Sluice's CSV writer writes them; sorted when their order is not defined.
    static func text(_ batches: [RecordBatch], schema: Schema, ordered: Bool) -> String {
        let writer = CSVWriter()
        var header: [UInt8] = []
        writer.appendHeader(schema, to: &header)
        var body: [UInt8] = []
        for batch in batches { writer.appendRows(batch, to: &body) }
        var lines = String(decoding: body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if !ordered { lines.sort() }
        return String(decoding: header, as: UTF8.self) + lines.map { $0 + "\n" }.joined()
    }
}
