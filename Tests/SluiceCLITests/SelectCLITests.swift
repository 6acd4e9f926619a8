import Foundation
import SluiceTestSupport
import Testing

@Suite("sluice run --select (the binary)")
struct SelectCLITests {
    @Test("--select finance_org_balance writes the balances and the rejects only, with the whole run's balances")
    func balancesOnly() throws {
        let seed = TestSupport.seedFile("credits_test_data.csv")
        let whole = try TestSupport.temporaryDirectory(), selected = try TestSupport.temporaryDirectory()
        let reference = try CLI.run(["run", "credits", "--source", seed, "--out", whole.path, "--no-progress"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let output = try CLI.run(["run", "credits", "--source", seed, "--out", selected.path, "--select", "finance_org_balance", "--no-progress"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("1000 rows = 957 events + 2 duplicates + 41 rejects"), "\(output.stdout)")
        #expect(!output.stdout.contains("events rows"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: selected.path).sorted() == ["finance_org_balance.csv", "rejects.csv"])
        let balances = { (folder: URL) in try String(contentsOf: folder.appendingPathComponent("finance_org_balance.csv"), encoding: .utf8) }
        #expect(try balances(selected) == balances(whole))
    }

    @Test("an unknown output is refused before anything runs, with the outputs it could be")
    func unknown() throws {
        let directory = try TestSupport.temporaryDirectory()
        let output = try CLI.run(["run", "credits", "--source", TestSupport.seedFile("credits_test_data.csv"), "--out", directory.path,
                                  "--select", "balances", "--no-progress"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--select balances: the job has no output of that name"), "\(output.stderr)")
        #expect(output.stderr.contains("events.csv") && output.stderr.contains("finance_org_balance.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("explain --select shows the one-pass plan: the events step inside the balances, no held result, no sort by line")
    func explain() throws {
        let output = try CLI.run(["explain", "credits", "--select", "finance_org_balance"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("result 1: events (computed inside balances, which reads it)"))
        #expect(!output.stdout.contains("StepResult") && !output.stdout.contains("source_line ASC"))
        let whole = try CLI.run(["explain", "credits"])
        #expect(whole.stdout.contains("StepResult") && whole.stdout.contains("source_line ASC"))
    }
}
