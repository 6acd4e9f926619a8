import Foundation
import SluiceCore
import SluiceEngine
@testable import SluicePipelines
import SluicePostgres
import SluiceTestSupport
import Testing

/// `--select`: only the outputs named are written, and a step left only feeding another is
/// computed inside it.
@Suite("output selection")
struct OutputSelectionTests {
    static func creditsJob() throws -> Job {
        try CreditsPipeline.job(.init(source: TestSupport.seedFile("credits_test_data.csv")),
                                context: JobContext(runtime: TestSupport.runtime(), database: nil))
    }

    @Test("credits with only the balances selected: the same balances and counts as a whole run, no events file, the events step inlined")
    func creditsBalancesOnly() throws {
        let seed = TestSupport.seedFile("credits_test_data.csv")
        let whole = try CreditsPipelineTests.run(seed)
        for workers in [1, 4] {
            let runtime = TestSupport.runtime(workers: workers)
            let selected = try PipelineRun.run(CreditsPipeline.self, .init(source: seed), runtime: runtime, selection: ["finance_org_balance"])
            #expect(selected.file("finance_org_balance.csv") == whole.file("finance_org_balance.csv"), "workers \(workers)")
            #expect(selected.file("events.csv").isEmpty)
            #expect(selected.file("rejects.csv") == whole.file("rejects.csv"))
            #expect(selected.outcome.observed("events") == 957 && selected.outcome.observed("duplicates") == 2)
            #expect(selected.outcome.rowsRejected == 41 && selected.outcome.rowsRead == 1_000)
            #expect(selected.outcome.skippedSteps == ["events"])
            let files = try FileManager.default.contentsOfDirectory(atPath: selected.directory.path).sorted()
            #expect(files == ["finance_org_balance.csv", "rejects.csv"])
            // One pass: no sort, and the events never held.
            #expect(!selected.outcome.stages.contains { $0.summary.contains("StepResult") || $0.summary.contains("Sort →") })
        }
    }

    @Test("what each step does: run, inlined into its one reader, or left out")
    func dispositions() throws {
        let job = try Self.creditsJob()
        func plan(_ directory: String?, _ selection: Set<String>?) throws -> [StepDisposition] {
            try StepDisposition.plan(job, outputDirectory: directory, hasDatabase: false, selection: selection).dispositions
        }
        #expect(try plan("/tmp/out", nil) == [.run, .run])
        #expect(try plan("/tmp/out", ["finance_org_balance.csv"]) == [.inline(into: 1), .run])
        #expect(try plan("/tmp/out", ["events"]) == [.run, .skip])
        // No outputs at all: everything is still read and checked, in one pass.
        #expect(try plan(nil, nil) == [.inline(into: 1), .run])
    }

    @Test("a result read by two steps is held once, not computed twice")
    func twoReaders() throws {
        let frame = DataFrame(TestSupport.table(try RecordBatch(schema: Schema([Field("k", .string)]), columns: [.string(["a", "b"])])))
        let held = try SpooledResult(schema: try frame.schema(), name: "first")
        let job = Job(inputs: [], parameters: "", steps: [
            JobStep(name: "first", frame: frame, outputs: [.feeds(held)]),
            JobStep(name: "second", frame: DataFrame(held).groupBy("k").agg(Agg.count().as("n")), outputs: [.csv("second.csv")]),
            JobStep(name: "third", frame: DataFrame(held).select(col("k")), outputs: [.csv("third.csv")]),
        ])
        let planned = try StepDisposition.plan(job, outputDirectory: "/tmp/out", hasDatabase: false, selection: nil).dispositions
        #expect(planned == [.run, .run, .run])
        let one = try StepDisposition.plan(job, outputDirectory: "/tmp/out", hasDatabase: false, selection: ["third"]).dispositions
        #expect(one == [.inline(into: 2), .skip, .run])
    }

    @Test("a name that is no output, a CSV without --out and a table without a database are refused, naming the fix")
    func refusals() throws {
        let job = try Self.creditsJob()
        func refusal(_ directory: String?, _ name: String) -> SluiceError? {
            do {
                _ = try StepDisposition.plan(job, outputDirectory: directory, hasDatabase: false, selection: [name])
                return nil
            } catch {
                return error
            }
        }
        let unknown = refusal("/tmp/out", "balances")
        #expect(unknown?.kind == .configuration && unknown?.hint?.contains("finance_org_balance.csv") == true)
        #expect(refusal(nil, "events.csv")?.hint == "add --out DIR")
        #expect(refusal("/tmp/out", "credit_events")?.hint == "add --db URL")
    }
}
